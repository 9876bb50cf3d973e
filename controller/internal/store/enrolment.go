package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// EnrolmentCode is a one-time code that lets an agent join as a display.
// Only its SHA-256 is stored; the code is shown once to the technician.
type EnrolmentCode struct {
	ID        int64     `json:"id"`
	DisplayID int64     `json:"display_id"`
	CreatedAt time.Time `json:"created_at"`
	ExpiresAt time.Time `json:"expires_at"`
}

// CreateEnrolmentCode stores a code's hash for a display, valid until
// expires.
func (s *Store) CreateEnrolmentCode(ctx context.Context, who Actor, displayID int64, codeHash string, expires time.Time) (EnrolmentCode, error) {
	now := s.now()
	id, err := s.change(ctx, who, "display.enrolment_code", "display", func(tx *sql.Tx) (int64, map[string]any, error) {
		_, err := tx.ExecContext(ctx, `INSERT INTO enrolment_codes (display_id, code_hash, created_by, created_at, expires_at) VALUES (?, ?, ?, ?, ?)`,
			displayID, codeHash, nullInt(&who.UserID), fmtTime(now), fmtTime(expires))
		if isForeignKey(err) {
			return 0, nil, ErrNotFound
		}
		return displayID, map[string]any{"expires_at": fmtTime(expires)}, err
	})
	if err != nil {
		return EnrolmentCode{}, fmt.Errorf("store: enrolment code for display %d: %w", displayID, err)
	}
	var c EnrolmentCode
	err = s.r.QueryRowContext(ctx, `SELECT id FROM enrolment_codes WHERE code_hash = ?`, codeHash).Scan(&c.ID)
	if err != nil {
		return EnrolmentCode{}, fmt.Errorf("store: enrolment code for display %d: %w", id, err)
	}
	c.DisplayID, c.CreatedAt, c.ExpiresAt = displayID, now.UTC(), expires.UTC()
	return c, nil
}

// RedeemEnrolmentCode uses a code once, before it expires: it marks the code
// used, stores the device credential's hash for the code's display and marks
// the display enrolled, in one transaction. A wrong, used or expired code is
// ErrNotFound, without saying which (the agent runtime issue wires this to
// the websocket).
func (s *Store) RedeemEnrolmentCode(ctx context.Context, who Actor, codeHash, secretHash string) (int64, error) {
	now := fmtTime(s.now())
	id, err := s.change(ctx, who, "display.enrol", "display", func(tx *sql.Tx) (int64, map[string]any, error) {
		var id, displayID int64
		err := tx.QueryRowContext(ctx, `SELECT id, display_id FROM enrolment_codes WHERE code_hash = ? AND used_at IS NULL AND expires_at > ?`,
			codeHash, now).Scan(&id, &displayID)
		if errors.Is(err, sql.ErrNoRows) {
			return 0, nil, ErrNotFound
		}
		if err != nil {
			return 0, nil, err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE enrolment_codes SET used_at = ? WHERE id = ?`, now, id); err != nil {
			return 0, nil, err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO device_credentials (display_id, secret_hash, created_at) VALUES (?, ?, ?)`, displayID, secretHash, now); err != nil {
			return 0, nil, err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE displays SET enrolment = 'enrolled' WHERE id = ?`, displayID); err != nil {
			return 0, nil, err
		}
		return displayID, map[string]any{"code_id": id}, nil
	})
	if err != nil {
		return 0, fmt.Errorf("store: redeem enrolment code: %w", err)
	}
	return id, nil
}

// DisplayByCredential returns the display a live device credential belongs
// to; a revoked or unknown one is ErrNotFound.
func (s *Store) DisplayByCredential(ctx context.Context, secretHash string) (Display, error) {
	d, err := scanDisplay(s.r.QueryRowContext(ctx, `SELECT `+displayCols+` FROM displays WHERE id =
		(SELECT display_id FROM device_credentials WHERE secret_hash = ? AND revoked_at IS NULL)`, secretHash))
	if errors.Is(err, sql.ErrNoRows) {
		return Display{}, fmt.Errorf("store: device credential: %w", ErrNotFound)
	}
	if err != nil {
		return Display{}, fmt.Errorf("store: device credential: %w", err)
	}
	return d, nil
}

// RevokeDisplay revokes every credential of a display; its agent is then
// refused until enrolled again.
func (s *Store) RevokeDisplay(ctx context.Context, who Actor, displayID int64) error {
	_, err := s.change(ctx, who, "display.revoke", "display", func(tx *sql.Tx) (int64, map[string]any, error) {
		res, err := tx.ExecContext(ctx, `UPDATE displays SET enrolment = 'revoked' WHERE id = ?`, displayID)
		if err := affected(res, err); err != nil {
			return 0, nil, err
		}
		_, err = tx.ExecContext(ctx, `UPDATE device_credentials SET revoked_at = ? WHERE display_id = ? AND revoked_at IS NULL`, s.stamp(), displayID)
		return displayID, nil, err
	})
	if err != nil {
		return fmt.Errorf("store: revoke display %d: %w", displayID, err)
	}
	return nil
}

// EnrolmentCodeDisplay returns the display a valid (unused, unexpired) code
// is for, so the enrolment can be checked before the code is spent; any other
// code is ErrNotFound.
func (s *Store) EnrolmentCodeDisplay(ctx context.Context, codeHash string) (Display, error) {
	d, err := scanDisplay(s.r.QueryRowContext(ctx, `SELECT `+displayCols+` FROM displays WHERE id =
		(SELECT display_id FROM enrolment_codes WHERE code_hash = ? AND used_at IS NULL AND expires_at > ?)`, codeHash, s.stamp()))
	if errors.Is(err, sql.ErrNoRows) {
		return Display{}, fmt.Errorf("store: enrolment code: %w", ErrNotFound)
	}
	if err != nil {
		return Display{}, fmt.Errorf("store: enrolment code: %w", err)
	}
	return d, nil
}
