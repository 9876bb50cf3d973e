package assets

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"
)

// Many decodes of different sizes at once never hold more than the budget,
// all of them finish, and a decode larger than the whole budget still runs
// (alone).
func TestBudgetNeverHoldsMoreThanItsCapacity(t *testing.T) {
	b := NewBudget(100)
	var wg sync.WaitGroup
	var mu sync.Mutex
	held, most := int64(0), int64(0)
	for i := 0; i < 40; i++ {
		n := int64(10 + 13*i%97)
		if i == 7 {
			n = 250 // larger than the budget: waits for all of it
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			release, err := b.Acquire(context.Background(), n)
			if err != nil {
				t.Error(err)
				return
			}
			mu.Lock()
			held += min(n, 100)
			most = max(most, held)
			mu.Unlock()
			time.Sleep(time.Millisecond) // hold it while others try
			mu.Lock()
			held -= min(n, 100)
			mu.Unlock()
			release()
		}()
	}
	wg.Wait()
	st := b.Stats()
	if most > 100 || st.Peak > 100 || st.InUse != 0 || st.Waiting != 0 {
		t.Fatalf("held at most %d, stats %+v; want ≤ 100 and nothing left", most, st)
	}
}

// A view with a wait gives up with ErrDecodeBusy; a cancelled context
// gives up with its error; neither leaves anything taken, and the waiter
// behind a given-up one is served.
func TestBudgetGivesUpAfterItsWait(t *testing.T) {
	b := NewBudget(100)
	hold, err := b.Acquire(context.Background(), 80)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if _, err := b.Wait(20*time.Millisecond).Acquire(context.Background(), 50); !errors.Is(err, ErrDecodeBusy) {
		t.Fatalf("got %v, want ErrDecodeBusy", err)
	}
	if time.Since(start) < 20*time.Millisecond {
		t.Fatal("gave up before its wait")
	}
	ctx, cancel := context.WithCancel(context.Background())
	gaveUp := make(chan error)
	go func() {
		_, err := b.Acquire(ctx, 50)
		gaveUp <- err
	}()
	small := make(chan func())
	go func() {
		for b.Stats().Waiting < 1 { // the big one queues first
			time.Sleep(time.Millisecond)
		}
		r, _ := b.Acquire(context.Background(), 10) // fits, but waits its turn behind the 50
		small <- r
	}()
	for b.Stats().Waiting < 2 {
		time.Sleep(time.Millisecond)
	}
	cancel()
	if err := <-gaveUp; !errors.Is(err, context.Canceled) {
		t.Fatalf("got %v, want context.Canceled", err)
	}
	(<-small)()
	hold()
	if st := b.Stats(); st.InUse != 0 || st.Waiting != 0 {
		t.Fatalf("left behind: %+v", st)
	}
	var nilBudget *Budget
	if r, err := nilBudget.Wait(time.Second).Acquire(context.Background(), 1<<40); err != nil {
		t.Fatal(err)
	} else {
		r()
	}
}
