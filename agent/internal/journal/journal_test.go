package journal

import (
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/pano-signage/pano/protocol"
)

func rec(i int) protocol.PlayRecord {
	t0 := time.Date(2026, 11, 25, 1, 0, 0, 0, time.UTC).Add(time.Duration(i) * 10 * time.Second)
	return protocol.PlayRecord{ID: fmt.Sprintf("r-%06d", i), Display: 3, PlanRevision: 1, Entry: 1, Item: 11, Media: 7, Start: t0, End: t0.Add(10 * time.Second)}
}

func TestAppendPendingAckSurviveReopen(t *testing.T) {
	dir := t.TempDir()
	j, err := Open(dir, 0)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 5; i++ {
		if err := j.Append(rec(i)); err != nil {
			t.Fatal(err)
		}
	}
	b, err := j.Pending(3)
	if err != nil || len(b.Records) != 3 || b.Records[0].ID != "r-000000" {
		t.Fatalf("pending %+v %v", b.Records, err)
	}
	if err := j.Ack(b); err != nil {
		t.Fatal(err)
	}
	j.Close()

	j, err = Open(dir, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	b, _ = j.Pending(10)
	if len(b.Records) != 2 || b.Records[0].ID != "r-000003" {
		t.Fatalf("after reopen pending %+v", b.Records)
	}
}

func TestTornTailIsDropped(t *testing.T) {
	dir := t.TempDir()
	j, _ := Open(dir, 0)
	j.Append(rec(0))
	j.Append(rec(1))
	j.Close()
	// A crash in the middle of a write leaves half a line.
	f, _ := os.OpenFile(filepath.Join(dir, fileName), os.O_APPEND|os.O_WRONLY, 0)
	f.WriteString(`{"id":"r-000002","display":3,"sta`)
	f.Close()

	j, err := Open(dir, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	if err := j.Append(rec(3)); err != nil {
		t.Fatal(err)
	}
	b, _ := j.Pending(10)
	if len(b.Records) != 3 || b.Records[2].ID != "r-000003" {
		t.Fatalf("records %+v", b.Records)
	}
}

func TestBoundDropsOldestUnackedAndCounts(t *testing.T) {
	dir := t.TempDir()
	line := int64(len(mustLine(rec(0))))
	j, err := Open(dir, 20*line)
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	for i := 0; i < 50; i++ {
		if err := j.Append(rec(i)); err != nil {
			t.Fatal(err)
		}
	}
	b, _ := j.Pending(1000)
	pending, dropped := j.Stats()
	if int64(len(b.Records))+dropped != 50 || dropped == 0 || pending > 20*line {
		t.Fatalf("%d pending + %d dropped, %d bytes", len(b.Records), dropped, pending)
	}
	if last := b.Records[len(b.Records)-1].ID; last != "r-000049" {
		t.Fatalf("newest record %s was not kept", last)
	}
	if b.Dropped != dropped {
		t.Fatalf("batch reports %d dropped, journal %d", b.Dropped, dropped)
	}
}

func TestAckedRecordsGoFirstWhenCompacting(t *testing.T) {
	dir := t.TempDir()
	line := int64(len(mustLine(rec(0))))
	j, _ := Open(dir, 10*line)
	defer j.Close()
	for i := 0; i < 8; i++ {
		j.Append(rec(i))
	}
	b, _ := j.Pending(8)
	j.Ack(b)
	for i := 8; i < 12; i++ {
		j.Append(rec(i))
	}
	b, _ = j.Pending(100)
	if _, dropped := j.Stats(); dropped != 0 || len(b.Records) != 4 {
		t.Fatalf("dropped %d, pending %d; acknowledged records should have made room", dropped, len(b.Records))
	}
}

func TestConcurrentAppendsAreAllDurable(t *testing.T) {
	dir := t.TempDir()
	j, _ := Open(dir, 0)
	var wg sync.WaitGroup
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 25; i++ {
				if err := j.Append(rec(w*100 + i)); err != nil {
					t.Error(err)
				}
			}
		}()
	}
	wg.Wait()
	j.Close()
	j, _ = Open(dir, 0)
	defer j.Close()
	b, _ := j.Pending(1000)
	if len(b.Records) != 200 {
		t.Fatalf("%d records after reopen, want 200", len(b.Records))
	}
}

func mustLine(r protocol.PlayRecord) string {
	dir, _ := os.MkdirTemp("", "j")
	defer os.RemoveAll(dir)
	j, _ := Open(dir, 0)
	j.Append(r)
	j.Close()
	data, _ := os.ReadFile(filepath.Join(dir, fileName))
	return string(data)
}

func TestInspectCountsPendingWithoutChanging(t *testing.T) {
	dir := t.TempDir()
	j, _ := Open(dir, 0)
	for i := 0; i < 5; i++ {
		j.Append(rec(i))
	}
	b, _ := j.Pending(2)
	j.Ack(b)
	before, _ := os.ReadFile(filepath.Join(dir, fileName))
	pending, dropped, err := Inspect(dir)
	if err != nil || pending != 3 || dropped != 0 {
		t.Fatalf("Inspect = %d, %d, %v; want 3 pending", pending, dropped, err)
	}
	after, _ := os.ReadFile(filepath.Join(dir, fileName))
	if string(before) != string(after) {
		t.Fatal("Inspect changed the journal")
	}
	j.Close()
	if n, _, _ := Inspect(t.TempDir()); n != 0 {
		t.Fatalf("empty dir: %d pending", n)
	}
}

// After a power cut a file system can leave a block of zeros where the last
// write was: a "line" that is not a record. It and what follows are dropped.
func TestZeroFilledTailIsDropped(t *testing.T) {
	dir := t.TempDir()
	j, _ := Open(dir, 0)
	j.Append(rec(0))
	j.Close()
	f, _ := os.OpenFile(filepath.Join(dir, fileName), os.O_APPEND|os.O_WRONLY, 0)
	f.Write(append(make([]byte, 100), '\n'))
	f.Close()
	j, err := Open(dir, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	j.Append(rec(1))
	b, err := j.Pending(10)
	if err != nil || len(b.Records) != 2 || b.Records[1].ID != "r-000001" {
		t.Fatalf("records %+v, %v", b.Records, err)
	}
}

// Eight appenders against a bound that compacts every few records, with
// an uploader acknowledging beside them: compaction (under mu) and group
// commit (under syncMu) once took their locks in opposite orders and
// deadlocked here. Every record is then delivered (in a batch the
// uploader read; the controller deduplicates resent ones), still pending, or
// counted as dropped.
func TestConcurrentAppendsWithCompactionNeitherDeadlockNorLose(t *testing.T) {
	dir := t.TempDir()
	line := int64(len(mustLine(rec(0))))
	j, err := Open(dir, 12*line)
	if err != nil {
		t.Fatal(err)
	}
	// No deferred Close: on a deadlock it would block forever too.
	const writers, each = 8, 150
	seen := map[string]bool{} // delivered in some batch
	stop := make(chan struct{})
	uploaded := make(chan struct{})
	go func() { // the uploader
		defer close(uploaded)
		for {
			select {
			case <-stop:
				return
			default:
			}
			b, err := j.Pending(5)
			if err != nil {
				t.Error(err)
				return
			}
			for _, r := range b.Records {
				seen[r.ID] = true
			}
			if err := j.Ack(b); err != nil {
				t.Error(err)
				return
			}
		}
	}()
	done := make(chan struct{})
	go func() {
		defer close(done)
		var wg sync.WaitGroup
		for w := 0; w < writers; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := 0; i < each; i++ {
					if err := j.Append(rec(w*1000 + i)); err != nil {
						t.Error(err)
					}
				}
			}()
		}
		wg.Wait()
	}()
	select {
	case <-done:
	case <-time.After(60 * time.Second):
		t.Fatal("appenders still blocked after 60 s: the journal's locks deadlocked")
	}
	close(stop)
	<-uploaded
	b, err := j.Pending(writers * each)
	if err != nil {
		t.Fatal(err)
	}
	_, dropped := j.Stats()
	for _, r := range b.Records {
		seen[r.ID] = true
	}
	if missing := int64(writers*each - len(seen)); missing > dropped {
		t.Fatalf("%d records neither delivered, pending nor counted (%d counted dropped)", missing, dropped)
	}
	j.Close()
}

// TestConcurrentAppendsThroughCompactionSurviveReopen: eight appenders and
// an uploader against a bound forty records long, ten times over, so the
// file is compacted again and again under them. The bound holds; after a
// close and reopen the journal holds the same pending records in the same
// order and the same dropped count; and every record was delivered, is
// pending, or is counted as dropped.
func TestConcurrentAppendsThroughCompactionSurviveReopen(t *testing.T) {
	dir := t.TempDir()
	line := int64(len(mustLine(rec(0))))
	maxBytes := 40 * line
	j, err := Open(dir, maxBytes)
	if err != nil {
		t.Fatal(err)
	}
	const writers, each = 8, 50
	delivered := map[string]bool{}
	stop := make(chan struct{})
	uploaded := make(chan struct{})
	go func() { // the uploader: acknowledges what it reads, as the controller would
		defer close(uploaded)
		for {
			select {
			case <-stop:
				return
			default:
			}
			b, err := j.Pending(10)
			if err != nil {
				t.Error(err)
				return
			}
			for _, r := range b.Records {
				delivered[r.ID] = true
			}
			if err := j.Ack(b); err != nil {
				t.Error(err)
				return
			}
		}
	}()
	var wg sync.WaitGroup
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < each; i++ {
				if err := j.Append(rec(w*1000 + i)); err != nil {
					t.Error(err)
				}
			}
		}()
	}
	wg.Wait()
	close(stop)
	<-uploaded

	// Ten times the bound was appended, and the file only grows between
	// compactions: within the bound, it was compacted.
	if st, err := os.Stat(filepath.Join(dir, fileName)); err != nil || st.Size() > maxBytes {
		t.Fatalf("the journal outgrew its bound: %v %v (bound %d bytes)", st.Size(), err, maxBytes)
	}
	// A last compaction with nobody acknowledging: what reopen finds
	// depends on the cursor and count that compaction wrote alone.
	b, err := j.Pending(5)
	if err != nil {
		t.Fatal(err)
	}
	if err := j.Ack(b); err != nil {
		t.Fatal(err)
	}
	for _, r := range b.Records {
		delivered[r.ID] = true
	}
	for i := 0; i < 50; i++ { // more than the bound holds: a compaction
		if err := j.Append(rec(9000 + i)); err != nil {
			t.Fatal(err)
		}
	}
	before, err := j.Pending(writers*each + 50)
	if err != nil {
		t.Fatal(err)
	}
	_, droppedBefore := j.Stats()
	j.Close()

	j, err = Open(dir, maxBytes)
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	after, err := j.Pending(writers*each + 50)
	if err != nil {
		t.Fatal(err)
	}
	_, dropped := j.Stats()
	if len(after.Records) != len(before.Records) || dropped != droppedBefore {
		t.Fatalf("after reopen %d pending, %d dropped; before %d pending, %d dropped", len(after.Records), dropped, len(before.Records), droppedBefore)
	}
	for i := range after.Records {
		if after.Records[i] != before.Records[i] {
			t.Fatalf("pending record %d is %+v after reopen, %+v before", i, after.Records[i], before.Records[i])
		}
		delivered[after.Records[i].ID] = true
	}
	if missing := int64(writers*each + 50 - len(delivered)); missing > dropped {
		t.Fatalf("%d records neither delivered, pending nor counted (%d counted dropped)", missing, dropped)
	}
}
