package journal

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"github.com/pano-signage/pano/protocol"
)

// The item on screen.
//
// A record is appended when its item ends, so the item on screen when the
// agent dies (kill -9, a power cut) would leave none. Begin writes that
// item's record, with End = Start, to a small file of its own
// (journal.open), durably; Alive moves its End on while the item plays; the
// Append of the finished record clears it. Open finds a record left there by
// a death, appends it to the journal with the last End written, and clears
// the file: the item is recorded as shown up to the last time the agent
// said it was alive.
//
// Bound: the player calls Alive with the instant of a frame it has shown,
// at most every AliveEvery (player.Options), so a record closed at restart
// ends no later than the last frame shown (never overstated) and no earlier
// than that frame less AliveEvery and the time of one write and fsync.
//
// Cost: one in-place write of a fixed-size block and one fsync per Alive;
// the file never changes size, so the fsync touches one data block and no
// directory.
//
// No duplicates: a record closed at Open is appended only if the journal
// does not hold its ID already (a death after the normal Append and before
// the file was cleared). The restarted player may resume the same slot; its
// record then has the same ID, and the controller keeps the first one (the
// part shown before the death), as after any restart in the middle of an
// item.

const (
	openName = "journal.open"
	openSize = 1024 // the file's fixed size: a record is ~250 bytes
)

// Begin durably notes rec as the item on screen.
func (j *Journal) Begin(rec protocol.PlayRecord) error {
	j.openMu.Lock()
	defer j.openMu.Unlock()
	j.open = rec
	return j.writeOpenLocked()
}

// Alive replaces the record of the item on screen, if rec is still that
// item, with rec: the same item shown up to a later End (and perhaps of a
// newer plan revision that kept it on screen).
func (j *Journal) Alive(rec protocol.PlayRecord) error {
	j.openMu.Lock()
	defer j.openMu.Unlock()
	if j.open.ID != rec.ID || !rec.End.After(j.open.End) {
		return nil
	}
	j.open = rec
	return j.writeOpenLocked()
}

// endOpen forgets the item on screen once its record, id, is durable in the
// journal. The file need not be durably cleared: if the clearing is lost,
// Open finds the ID in the journal and drops the note.
func (j *Journal) endOpen(id string) {
	j.openMu.Lock()
	defer j.openMu.Unlock()
	if j.open.ID != id || id == "" {
		return
	}
	j.open = protocol.PlayRecord{}
	if j.openFile != nil {
		_ = j.openFile.Truncate(0)
	}
}

func (j *Journal) writeOpenLocked() error {
	line, err := json.Marshal(j.open)
	if err != nil {
		return fmt.Errorf("journal: encode: %w", err)
	}
	if j.openFile == nil {
		f, err := os.OpenFile(filepath.Join(j.dir, openName), os.O_RDWR|os.O_CREATE, 0o600)
		if err != nil {
			return fmt.Errorf("journal: %w", err)
		}
		j.openFile = f
	}
	// Padded with spaces (still valid JSON) to a fixed size, so that each
	// write replaces the whole record in place and the size stays put.
	buf := bytes.Repeat([]byte{' '}, max(openSize, len(line)+1))
	copy(buf, line)
	buf[len(buf)-1] = '\n'
	if _, err := j.openFile.WriteAt(buf, 0); err != nil {
		return fmt.Errorf("journal: write open item: %w", err)
	}
	if err := j.openFile.Sync(); err != nil {
		return fmt.Errorf("journal: fsync open item: %w", err)
	}
	return nil
}

// readOpen returns the record a death left in journal.open, if any. A
// missing, torn or unreadable one is ignored: its item is lost, as before
// there was a note at all.
func readOpen(dir string) protocol.PlayRecord {
	data, err := os.ReadFile(filepath.Join(dir, openName))
	var rec protocol.PlayRecord
	if err != nil || len(bytes.TrimSpace(data)) == 0 || json.Unmarshal(data, &rec) != nil ||
		rec.ID == "" || rec.Start.IsZero() || rec.End.Before(rec.Start) {
		return protocol.PlayRecord{}
	}
	return rec
}

// closeOpen appends the record of the item a death left on screen, unless
// the journal has it already, and clears the note. It never keeps the
// journal from opening (the agent must play even on a full disk): a record
// that cannot be appended stays in the note for the next start, until the
// player's next item replaces it.
func (j *Journal) closeOpen(rec protocol.PlayRecord, inJournal bool) {
	if rec.ID != "" && !inJournal {
		if j.Append(rec) != nil {
			return
		}
		j.closed = rec.ID
	}
	_ = os.Truncate(filepath.Join(j.dir, openName), 0) // lost: Open finds the ID in the journal
}

// ClosedAtOpen is the ID of the record Open closed for the item a death
// left on screen; empty if there was none.
func (j *Journal) ClosedAtOpen() string { return j.closed }
