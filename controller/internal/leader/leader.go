// Package leader runs the work that must run on one controller replica at
// a time (compiling plans, rendering, CAP polling, collecting) on the
// replica that holds the lead the database gives (store.Lead), and moves
// it to another replica when that one dies or loses its database session.
package leader

import (
	"context"
	"errors"
	"log/slog"
	"time"
)

// LeadFunc takes the lead or says it is taken (see store.Store.Lead).
type LeadFunc func(ctx context.Context) (lost <-chan struct{}, release func(), err error)

// Run calls work with a context that ends when the lead is lost, each
// time this replica takes the lead, until ctx ends; while another replica
// leads it asks again every retry (1 s if zero). Work that returns on its
// own (it could not start) lets the lead go, to be asked for again. Errors other than "taken"
// (the database away) are logged once until the lead is taken again.
func Run(ctx context.Context, lead LeadFunc, taken error, retry time.Duration, log *slog.Logger, work func(ctx context.Context)) {
	if retry <= 0 {
		retry = time.Second
	}
	failing := false
	for ctx.Err() == nil {
		lost, release, err := lead(ctx)
		if err != nil {
			if !errors.Is(err, taken) && !failing && ctx.Err() == nil {
				log.Error("cannot ask the database for the lead; asking again every second", "err", err)
			}
			failing = !errors.Is(err, taken)
			select {
			case <-ctx.Done():
			case <-time.After(retry):
			}
			continue
		}
		failing = false
		log.Info("this replica leads: it compiles plans, renders, polls CAP feeds and collects")
		term, end := context.WithCancel(ctx)
		done := make(chan struct{})
		go func() { defer close(done); work(term) }()
		gaveUp := false
		select {
		case <-lost:
			log.Warn("this replica lost the lead; another takes it over")
		case <-done:
			gaveUp = true
		case <-ctx.Done():
		}
		end()
		<-done
		release()
		if gaveUp {
			select {
			case <-ctx.Done():
			case <-time.After(retry):
			}
		}
	}
}
