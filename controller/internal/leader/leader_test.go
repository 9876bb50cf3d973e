package leader

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"testing"
	"time"
)

var errTaken = errors.New("taken")

// fakeLead hands out the lead when the test says so.
type fakeLead struct {
	grant chan chan struct{} // a lost channel per lead granted
	asked chan struct{}
}

func (f *fakeLead) lead(ctx context.Context) (<-chan struct{}, func(), error) {
	select {
	case f.asked <- struct{}{}:
	default:
	}
	select {
	case lost := <-f.grant:
		return lost, func() {}, nil
	default:
		return nil, nil, errTaken
	}
}

// TestWorkRunsOnlyWhileLeading: no work while another replica leads; the
// work starts when the lead is taken, its context ends when the lead is
// lost, and it starts again when the lead comes back.
func TestWorkRunsOnlyWhileLeading(t *testing.T) {
	f := &fakeLead{grant: make(chan chan struct{}, 1), asked: make(chan struct{}, 1)}
	started, ended := make(chan struct{}, 4), make(chan struct{}, 4)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		Run(ctx, f.lead, errTaken, time.Millisecond, slog.New(slog.NewTextHandler(io.Discard, nil)), func(ctx context.Context) {
			started <- struct{}{}
			<-ctx.Done()
			ended <- struct{}{}
		})
	}()
	<-f.asked
	<-f.asked // asked twice, refused both times: no work
	select {
	case <-started:
		t.Fatal("work ran while another replica leads")
	default:
	}
	for term := 0; term < 2; term++ {
		lost := make(chan struct{})
		f.grant <- lost
		<-started
		close(lost)
		select {
		case <-ended:
		case <-time.After(10 * time.Second):
			t.Fatalf("term %d: the work went on after the lead was lost", term)
		}
	}
	cancel()
	<-done
}

// TestWorkThatGivesUpLetsTheLeadGo: work that returns on its own (its
// pipeline could not start) releases the lead, which is asked for again.
func TestWorkThatGivesUpLetsTheLeadGo(t *testing.T) {
	released := make(chan struct{}, 4)
	lead := func(context.Context) (<-chan struct{}, func(), error) {
		return make(chan struct{}), func() { released <- struct{}{} }, nil
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	tries := make(chan struct{}, 4)
	done := make(chan struct{})
	go func() {
		defer close(done)
		Run(ctx, lead, errTaken, time.Millisecond, slog.New(slog.NewTextHandler(io.Discard, nil)), func(context.Context) {
			tries <- struct{}{}
		})
	}()
	for i := 0; i < 2; i++ {
		select {
		case <-tries:
		case <-time.After(10 * time.Second):
			t.Fatalf("try %d: the lead was not asked for again after the work gave up", i)
		}
		select {
		case <-released:
		case <-time.After(10 * time.Second):
			t.Fatalf("try %d: the lead was kept after the work gave up", i)
		}
	}
	cancel()
	<-done
}
