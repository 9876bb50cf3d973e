package player

import (
	"io"
	"log/slog"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/pano-signage/pano/protocol"
)

// openRecorder is a memRecorder that also hears of the item on screen.
type openRecorder struct {
	memRecorder
	mu    sync.Mutex
	notes []string // "begin ID end" / "alive ID end"
	open  protocol.PlayRecord
}

func (o *openRecorder) Begin(r protocol.PlayRecord) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.notes = append(o.notes, "begin "+r.ID+" "+r.End.Format("15:04:05.000"))
	o.open = r
	return nil
}

func (o *openRecorder) Alive(r protocol.PlayRecord) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.notes = append(o.notes, "alive "+r.ID+" "+r.End.Format("15:04:05.000"))
	o.open = r
	return nil
}

// TestItemOnScreenIsKeptAliveForTheRecorder: the record of the item on
// screen is handed to an OpenRecorder at its first frame and again at a
// frame shown every AliveEvery, so that an agent killed in the middle of it
// leaves a record ending at most AliveEvery before its last frame.
func TestItemOnScreenIsKeptAliveForTheRecorder(t *testing.T) {
	r := newRig(t, protocol.FallbackBlack)
	o := &openRecorder{}
	sched := r.p.Schedule()
	r.p = New(r.v, r.clk, dirAssets{r.dir}, o, slog.New(slog.NewTextHandler(io.Discard, nil)), Options{FPS: 10, Display: 3, AliveEvery: time.Second})
	r.p.SetSchedule(sched)
	for ms := 0; ms <= 2_500; ms += 100 {
		r.stepAt(time.Duration(ms) * time.Millisecond)
	}
	// Killed here: the last frame was shown at 06:00:02.500.
	close(r.p.recs)
	r.p.writeRecords()
	id := "3-7-11-" + strconv.FormatInt(r.window.UnixMilli(), 10)
	at := func(d time.Duration) string { return r.window.Add(d).UTC().Format("15:04:05.000") }
	want := []string{"begin " + id + " " + at(0), "alive " + id + " " + at(time.Second), "alive " + id + " " + at(2*time.Second)}
	if len(o.notes) != len(want) {
		t.Fatalf("notes %q, want %q", o.notes, want)
	}
	for i := range want {
		if o.notes[i] != want[i] {
			t.Fatalf("notes %q, want %q", o.notes, want)
		}
	}
	if len(o.all()) != 0 {
		t.Fatalf("records %+v appended for an item that has not ended", o.all())
	}
	if !o.open.Start.Equal(r.window) || r.window.Add(2500*time.Millisecond).Sub(o.open.End) > time.Second {
		t.Fatalf("open record %+v: it must start at the first frame and end within 1 s of the last", o.open)
	}
}
