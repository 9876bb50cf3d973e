package store

import (
	"context"
	"runtime"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// gather is the value of the metric name (one series) in reg.
func gather(t *testing.T, reg *prometheus.Registry, name string) float64 {
	t.Helper()
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() == name && len(f.Metric) == 1 {
			m := f.Metric[0]
			if m.Counter != nil {
				return m.Counter.GetValue()
			}
			return m.Gauge.GetValue()
		}
	}
	t.Fatalf("no single series %s", name)
	return 0
}

// TestWritesQueuedBehindTheWriterAreCounted: a write that waits for the
// one writer connection shows in pano_store_writer_waits_total.
func TestWritesQueuedBehindTheWriterAreCounted(t *testing.T) {
	ctx := context.Background()
	s, _ := openTest(t)
	reg := prometheus.NewRegistry()
	reg.MustRegister(s.Collectors()...)
	before := gather(t, reg, "pano_store_writer_waits_total")
	tx, err := s.w.BeginTx(ctx, nil) // holds the writer
	if err != nil {
		t.Fatal(err)
	}
	if busy := gather(t, reg, "pano_store_writer_busy"); busy != 1 {
		t.Errorf("writer busy %v while a transaction holds it", busy)
	}
	done := make(chan error)
	go func() { _, err := s.CreateUnit(ctx, System, Unit{Name: "Tổ dân phố 3"}); done <- err }()
	// The pool counts a wait when the request queues: poll that counter
	// (no other signal tells when a goroutine blocks in database/sql).
	deadline := time.Now().Add(5 * time.Second)
	for float64(s.w.Stats().WaitCount) == before && time.Now().Before(deadline) {
		runtime.Gosched()
	}
	tx.Rollback()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if after := gather(t, reg, "pano_store_writer_waits_total"); after != before+1 {
		t.Fatalf("writer waits %v → %v, want one more", before, after)
	}
	if waited := gather(t, reg, "pano_store_writer_wait_seconds_total"); waited <= 0 {
		t.Fatalf("writer wait seconds %v after a write waited", waited)
	}
}

// Each transaction the writer commits counts once in
// pano_store_writer_commits_total, however many statements it holds.
func TestWriterCommitsAreCounted(t *testing.T) {
	ctx := context.Background()
	s, _ := openTest(t)
	reg := prometheus.NewRegistry()
	reg.MustRegister(s.Collectors()...)
	before := gather(t, reg, "pano_store_writer_commits_total")
	if _, err := s.CreateUnit(ctx, System, Unit{Name: "Tổ dân phố 4"}); err != nil { // the unit and its audit event
		t.Fatal(err)
	}
	if n := gather(t, reg, "pano_store_writer_commits_total") - before; n != 1 {
		t.Fatalf("%v commits for one transaction, want 1", n)
	}
}
