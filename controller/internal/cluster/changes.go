package cluster

// change is the body of pano.change: an object saved on one replica, as
// the store's OnChange names it.
type change struct {
	Type string `json:"type"`
	ID   int64  `json:"id"`
}

// PublishChange tells the other replicas that an object was saved here.
// It never blocks on NATS. A nil bus (a single controller) does nothing.
func (b *Bus) PublishChange(objectType string, id int64) {
	if b == nil {
		return
	}
	b.publish(subjectChange, change{Type: objectType, ID: id}, nil)
}

// OnChange sets what runs when another replica saved an object (this
// replica's own saves are not echoed back). It runs on the bus's one
// worker: it must return quickly. A nil bus does nothing.
func (b *Bus) OnChange(f func(objectType string, id int64)) {
	if b == nil {
		return
	}
	b.mu.Lock()
	b.onChange = f
	b.mu.Unlock()
}
