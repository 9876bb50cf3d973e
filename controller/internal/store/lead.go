package store

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/pano-signage/pano/controller/internal/store/pgsql"
)

// ErrLeadTaken: another replica leads.
var ErrLeadTaken = errors.New("another replica leads")

// leadKey is the advisory lock the leading replica holds; see Lead.
const leadKey = pgsql.WriteLockKey + 1

// leadIdle is how long PostgreSQL keeps the lead session of a replica that
// has stopped asking (its check runs every second): a leader whose machine
// lost its power or network closes nothing, and without this the database
// would hold its lock until TCP keepalive gives up (hours), and no
// replica would lead meanwhile.
const leadIdle = 10 * time.Second

// Lead makes this controller the replica that runs the work that must
// run once (compiling plans, rendering, CAP polling, collecting): on
// PostgreSQL it takes an advisory lock on a session of its own, held
// until release or until that session ends — a replica killed loses it as
// soon as the database sees its connection close, and another takes it.
// lost is closed when the session fails (the database restarted, the
// network cut): the caller must stop that work, then release. With
// another replica leading, Lead returns ErrLeadTaken at once. On SQLite
// (one controller) it always leads.
func (s *Store) Lead(ctx context.Context) (lost <-chan struct{}, release func(), err error) {
	if !s.pg {
		return make(chan struct{}), func() {}, nil
	}
	// One session of its own, kept between asks (a follower asks every
	// second).
	s.leadOnce.Do(func() {
		s.leadDB, s.leadErr = pgsql.Open(s.dbURL, pgsql.Options{Conns: 1, IdleSessionTimeout: int(leadIdle / time.Millisecond)})
	})
	if s.leadErr != nil {
		return nil, nil, s.leadErr
	}
	conn, err := s.leadDB.Conn(ctx)
	if err != nil {
		return nil, nil, fmt.Errorf("store: lead: %w", err)
	}
	var got bool
	if err := conn.QueryRowContext(ctx, `SELECT pg_try_advisory_lock(?)`, int64(leadKey)).Scan(&got); err != nil || !got {
		conn.Close()
		if err != nil {
			return nil, nil, fmt.Errorf("store: lead: %w", err)
		}
		return nil, nil, ErrLeadTaken
	}
	gone := make(chan struct{})
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() { // the session is checked every second
		defer close(done)
		t := time.NewTicker(time.Second)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
			}
			c, cancel := context.WithTimeout(context.Background(), 3*time.Second)
			var one int
			err := conn.QueryRowContext(c, `SELECT 1`).Scan(&one)
			cancel()
			if err != nil {
				log := s.log
				if log == nil {
					log = slog.Default()
				}
				log.Warn("lost the database session that holds the lead", "err", err)
				close(gone)
				return
			}
		}
	}()
	return gone, func() {
		close(stop)
		<-done
		c, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		defer cancel()
		conn.ExecContext(c, `SELECT pg_advisory_unlock(?)`, int64(leadKey))
		conn.Close() // back to the lead's pool; a cut session is dropped at its next use
	}, nil
}
