package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/pano-signage/pano/protocol"
)

// HealthSample is one point of a display's health history.
type HealthSample struct {
	At            time.Time `json:"at"`
	FPS           float64   `json:"fps"`
	TargetFPS     float64   `json:"target_fps"`
	ClockOffsetMS float64   `json:"clock_offset_ms"`
	CPUTempC      *float64  `json:"cpu_temp_c"` // nil: no sensor
	SyncDone      int64     `json:"sync_done_bytes"`
	SyncTotal     int64     `json:"sync_total_bytes"`
	Frozen        bool      `json:"frozen"`
	StorageError  bool      `json:"storage_error"`
	DriverError   bool      `json:"driver_error"`
}

// HealthSampleOf is the sample of a health report received at at.
func HealthSampleOf(h protocol.Health, at time.Time) HealthSample {
	return HealthSample{At: at, FPS: h.AchievedFPS, TargetFPS: h.TargetFPS, ClockOffsetMS: h.ClockOffsetMS, CPUTempC: h.CPUTempC,
		SyncDone: h.SyncDone, SyncTotal: h.SyncTotal, Frozen: h.Frozen, StorageError: h.StorageError != "", DriverError: h.DriverState == "error"}
}

// AddHealthSample keeps h unless the display has a sample newer than
// h.At − every: agents report every 10 s, the history needs less. It
// reports whether h was kept.
func (s *Store) AddHealthSample(ctx context.Context, displayID int64, h HealthSample, every time.Duration) (bool, error) {
	b := func(v bool) int {
		if v {
			return 1
		}
		return 0
	}
	var temp sql.NullFloat64
	if h.CPUTempC != nil {
		temp = sql.NullFloat64{Float64: *h.CPUTempC, Valid: true}
	}
	res, err := s.w.ExecContext(ctx, `
		INSERT INTO health_samples (display_id, at, fps, target_fps, clock_offset_ms, cpu_temp_c, sync_done, sync_total, frozen, storage_error, driver_error)
		SELECT ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?
		WHERE NOT EXISTS (SELECT 1 FROM health_samples WHERE display_id = ? AND at > ?)
		ON CONFLICT DO NOTHING`,
		displayID, fmtTime(h.At), h.FPS, h.TargetFPS, h.ClockOffsetMS, temp, h.SyncDone, h.SyncTotal, b(h.Frozen), b(h.StorageError), b(h.DriverError),
		displayID, fmtTime(h.At.Add(-every)))
	if isForeignKey(err) {
		return false, nil // the display was deleted meanwhile
	}
	if err != nil {
		return false, fmt.Errorf("store: health sample of display %d: %w", displayID, err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// HealthSamples returns a display's samples from from (inclusive) to to
// (exclusive), oldest first, at most limit.
func (s *Store) HealthSamples(ctx context.Context, displayID int64, from, to time.Time, limit int) ([]HealthSample, error) {
	rows, err := s.r.QueryContext(ctx, `
		SELECT at, fps, target_fps, clock_offset_ms, cpu_temp_c, sync_done, sync_total, frozen, storage_error, driver_error
		FROM health_samples WHERE display_id = ? AND at >= ? AND at < ? ORDER BY at LIMIT ?`,
		displayID, fmtTime(from), fmtTime(to), limit)
	if err != nil {
		return nil, fmt.Errorf("store: health samples of display %d: %w", displayID, err)
	}
	defer rows.Close()
	out := []HealthSample{}
	for rows.Next() {
		var h HealthSample
		var at string
		var temp sql.NullFloat64
		if err := rows.Scan(&at, &h.FPS, &h.TargetFPS, &h.ClockOffsetMS, &temp, &h.SyncDone, &h.SyncTotal, &h.Frozen, &h.StorageError, &h.DriverError); err != nil {
			return nil, fmt.Errorf("store: health samples of display %d: %w", displayID, err)
		}
		h.At = parseTime(at)
		if temp.Valid {
			h.CPUTempC = &temp.Float64
		}
		out = append(out, h)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: health samples of display %d: %w", displayID, err)
	}
	return out, nil
}

// PruneHealthSamples deletes the samples older than before and says how
// many.
func (s *Store) PruneHealthSamples(ctx context.Context, before time.Time) (int64, error) {
	// In chunks: an hour of samples of thousands of displays is a million
	// rows, and one statement deleting them all would hold the single
	// writer for seconds.
	var total int64
	for {
		res, err := s.w.ExecContext(ctx, `DELETE FROM health_samples WHERE (display_id, at) IN
			(SELECT display_id, at FROM health_samples WHERE at < ? LIMIT ?)`, fmtTime(before), pruneChunk)
		if err != nil {
			return total, fmt.Errorf("store: prune health samples: %w", err)
		}
		n, err := res.RowsAffected()
		if err != nil {
			return total, fmt.Errorf("store: prune health samples: %w", err)
		}
		total += n
		if n < int64(pruneChunk) {
			return total, nil
		}
	}
}

// pruneChunk is how many samples one statement of PruneHealthSamples
// deletes (a variable for tests).
var pruneChunk = 5000

// HealthWrite is a display's health as the plan service kept it in memory:
// the latest report (JSON) and the samples taken since the last write.
type HealthWrite struct {
	DisplayID int64
	Health    []byte
	At        time.Time
	Samples   []HealthSample
}

// SaveHealths stores the latest reports and the history samples of many
// displays in one write transaction: 10,000 agents reporting every 10 s
// take the single writer once per flush, not 1,000 times a second. A
// display deleted meanwhile is skipped. Samples keep AddHealthSample's
// rule: none within every of a newer one.
func (s *Store) SaveHealths(ctx context.Context, hs []HealthWrite, every time.Duration) error {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: save health: %w", err)
	}
	defer tx.Rollback()
	// A display deleted meanwhile is looked up, not left to the foreign
	// key, whose refusal would abort PostgreSQL's transaction (and with it
	// every other display's health).
	latest, err := tx.PrepareContext(ctx, `INSERT INTO display_status (display_id, health, health_at)
		SELECT ?, ?, ? WHERE EXISTS (SELECT 1 FROM displays WHERE id = ?)
		ON CONFLICT (display_id) DO UPDATE SET health = excluded.health, health_at = excluded.health_at`)
	if err != nil {
		return fmt.Errorf("store: save health: %w", err)
	}
	defer latest.Close()
	sample, err := tx.PrepareContext(ctx, `
		INSERT INTO health_samples (display_id, at, fps, target_fps, clock_offset_ms, cpu_temp_c, sync_done, sync_total, frozen, storage_error, driver_error)
		SELECT ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?
		WHERE NOT EXISTS (SELECT 1 FROM health_samples WHERE display_id = ? AND at > ?)
		ON CONFLICT DO NOTHING`)
	if err != nil {
		return fmt.Errorf("store: save health: %w", err)
	}
	defer sample.Close()
	for _, h := range hs {
		res, err := latest.ExecContext(ctx, h.DisplayID, string(h.Health), fmtTime(h.At), h.DisplayID)
		if err != nil {
			return fmt.Errorf("store: health of display %d: %w", h.DisplayID, err)
		}
		if n, err := res.RowsAffected(); err != nil {
			return fmt.Errorf("store: health of display %d: %w", h.DisplayID, err)
		} else if n == 0 {
			continue // the display was deleted meanwhile
		}
		for _, x := range h.Samples {
			var temp sql.NullFloat64
			if x.CPUTempC != nil {
				temp = sql.NullFloat64{Float64: *x.CPUTempC, Valid: true}
			}
			if _, err := sample.ExecContext(ctx, h.DisplayID, fmtTime(x.At), x.FPS, x.TargetFPS, x.ClockOffsetMS, temp, x.SyncDone, x.SyncTotal,
				x.Frozen, x.StorageError, x.DriverError, h.DisplayID, fmtTime(x.At.Add(-every))); err != nil {
				return fmt.Errorf("store: health sample of display %d: %w", h.DisplayID, err)
			}
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("store: save health: %w", err)
	}
	return nil
}
