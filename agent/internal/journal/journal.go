// Package journal is the agent's proof-of-play journal: an append-only file
// of JSON lines, one protocol.PlayRecord each, kept through restarts and
// offline periods until the controller acknowledges it.
//
// Durability: Append returns once its record is fsynced; records that arrive
// while an fsync runs share the next one (group commit), so a burst costs one
// fsync. A crash can tear only the last line, which Open drops.
//
// Upload: a cursor file holds the byte offset up to which the controller has
// acknowledged. Pending returns the records after it; Ack moves it.
//
// Bound: when the file outgrows MaxBytes, acknowledged records are dropped
// first, then the oldest unacknowledged ones, which are counted in Dropped.
//
// The item on screen, whose record is not written until it ends, is kept
// in a file of its own so that a restart after a death records it too
// (open.go).
package journal

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"

	"github.com/pano-signage/pano/agent/internal/atomicfile"
	"github.com/pano-signage/pano/protocol"
)

const (
	fileName   = "journal.jsonl"
	cursorName = "journal.cursor"
	// DefaultMaxBytes bounds the journal: about 50 000 records, months of play.
	DefaultMaxBytes = 16 << 20
)

// Journal is safe for concurrent use.
type Journal struct {
	dir      string
	maxBytes int64

	mu      sync.Mutex
	f       *os.File
	size    int64 // bytes in the file
	cursor  int64 // bytes acknowledged
	dropped int64 // unacknowledged records lost to the bound, ever

	// Group commit. Lock order: syncMu, then mu; never the other way
	// round (Append and compaction hold mu alone).
	syncMu     sync.Mutex
	written    int64    // bytes written to f (under mu)
	synced     int64    // bytes of syncedFile known durable (under syncMu)
	syncedFile *os.File // the file synced counts for (under syncMu)

	// The item on screen (open.go). Lock order: openMu is never held
	// with mu or syncMu.
	openMu   sync.Mutex
	open     protocol.PlayRecord
	openFile *os.File
	closed   string // the ID Open closed for a death's item on screen
}

// Open opens (or creates) the journal in dir. maxBytes ≤ 0 takes the default.
func Open(dir string, maxBytes int64) (*Journal, error) {
	if maxBytes <= 0 {
		maxBytes = DefaultMaxBytes
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("journal: %w", err)
	}
	j := &Journal{dir: dir, maxBytes: maxBytes}
	if err := j.readCursor(); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(filepath.Join(dir, fileName), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("journal: %w", err)
	}
	left := readOpen(dir)
	size, found, err := validPrefix(f, left.ID)
	if err != nil {
		f.Close()
		return nil, err
	}
	// Drop a torn last line left by a crash.
	if err := f.Truncate(size); err != nil {
		f.Close()
		return nil, fmt.Errorf("journal: truncate torn tail: %w", err)
	}
	if _, err := f.Seek(size, io.SeekStart); err != nil {
		f.Close()
		return nil, fmt.Errorf("journal: %w", err)
	}
	j.f, j.size, j.written, j.synced = f, size, size, size
	if j.cursor > size {
		j.cursor = size
	}
	j.closeOpen(left, found)
	return j, nil
}

// validPrefix returns the length of the longest prefix of complete, valid
// lines, and whether one of them holds the record id (if not empty).
func validPrefix(f *os.File, id string) (n int64, found bool, err error) {
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return 0, false, fmt.Errorf("journal: %w", err)
	}
	r := bufio.NewReader(f)
	for {
		line, err := r.ReadBytes('\n')
		if errors.Is(err, io.EOF) {
			return n, found, nil // a line without its newline is torn
		}
		if err != nil {
			return 0, false, fmt.Errorf("journal: read: %w", err)
		}
		var rec protocol.PlayRecord
		if json.Unmarshal(line, &rec) != nil || rec.ID == "" {
			return n, found, nil
		}
		found = found || (id != "" && rec.ID == id)
		n += int64(len(line))
	}
}

func (j *Journal) readCursor() error {
	data, err := os.ReadFile(filepath.Join(j.dir, cursorName))
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("journal: %w", err)
	}
	fields := strings.Fields(string(data))
	if len(fields) != 2 {
		return nil // unreadable cursor: resend everything, the controller deduplicates
	}
	j.cursor, _ = strconv.ParseInt(fields[0], 10, 64)
	j.dropped, _ = strconv.ParseInt(fields[1], 10, 64)
	return nil
}

func (j *Journal) writeCursorLocked() error {
	data := fmt.Sprintf("%d %d\n", j.cursor, j.dropped)
	return atomicfile.WriteFile(filepath.Join(j.dir, cursorName), []byte(data), 0o600)
}

// Append adds a record and returns once it is durable.
func (j *Journal) Append(rec protocol.PlayRecord) error {
	line, err := json.Marshal(rec)
	if err != nil {
		return fmt.Errorf("journal: encode: %w", err)
	}
	line = append(line, '\n')
	j.mu.Lock()
	if j.size+int64(len(line)) > j.maxBytes {
		if err := j.compactLocked(int64(len(line))); err != nil {
			j.mu.Unlock()
			return err
		}
	}
	if _, err := j.f.Write(line); err != nil {
		j.mu.Unlock()
		return fmt.Errorf("journal: write: %w", err)
	}
	j.size += int64(len(line))
	j.written += int64(len(line))
	mine := j.written
	f := j.f
	j.mu.Unlock()
	if err := j.syncUpTo(f, mine); err != nil {
		return err
	}
	j.endOpen(rec.ID)
	return nil
}

// syncUpTo returns once at least upTo bytes of f are durable; one fsync
// covers every record written before it started.
func (j *Journal) syncUpTo(f *os.File, upTo int64) error {
	j.syncMu.Lock()
	defer j.syncMu.Unlock()
	if j.syncedFile == f && j.synced >= upTo {
		return nil
	}
	j.mu.Lock()
	target, current := j.written, j.f
	j.mu.Unlock()
	if f != current {
		return nil // a compaction rewrote and fsynced the file since
	}
	if err := f.Sync(); err != nil {
		j.mu.Lock()
		replaced := j.f != f
		j.mu.Unlock()
		if replaced {
			return nil // compacted (and closed) under our feet: the new file is durable
		}
		return fmt.Errorf("journal: fsync: %w", err)
	}
	j.synced, j.syncedFile = target, f
	return nil
}

// compactLocked makes room for need bytes: it drops the acknowledged
// records, then the oldest pending ones, and rewrites the file atomically.
func (j *Journal) compactLocked(need int64) error {
	pending, err := j.readFromLocked(j.cursor)
	if err != nil {
		return err
	}
	budget := j.maxBytes/2 - need // leave room so compaction is rare
	var kept [][]byte
	var keptBytes int64
	for i := len(pending) - 1; i >= 0; i-- {
		if keptBytes+int64(len(pending[i])) > budget {
			j.dropped += int64(i + 1)
			break
		}
		kept = append(kept, pending[i])
		keptBytes += int64(len(pending[i]))
	}
	path := filepath.Join(j.dir, fileName)
	err = atomicfile.Write(path, 0o600, func(w io.Writer) error {
		for i := len(kept) - 1; i >= 0; i-- {
			if _, err := w.Write(kept[i]); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("journal: compact: %w", err)
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_APPEND, 0o600)
	if err != nil {
		return fmt.Errorf("journal: reopen: %w", err)
	}
	j.f.Close()
	// atomicfile.Write fsynced the new file; a waiter on the old one sees
	// it replaced and returns.
	j.f, j.size, j.cursor, j.written = f, keptBytes, 0, keptBytes
	return j.writeCursorLocked()
}

// readFromLocked returns the lines after offset.
func (j *Journal) readFromLocked(offset int64) ([][]byte, error) {
	data := make([]byte, j.size-offset)
	if _, err := j.f.ReadAt(data, offset); err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("journal: read: %w", err)
	}
	var lines [][]byte
	for len(data) > 0 {
		i := bytes.IndexByte(data, '\n')
		if i < 0 {
			break
		}
		lines = append(lines, data[:i+1])
		data = data[i+1:]
	}
	return lines, nil
}

// Batch is a set of pending records and the cursor to acknowledge them with.
type Batch struct {
	Records []protocol.PlayRecord
	Dropped int64
	end     int64
	gen     *os.File // the file generation the offsets refer to
}

// Pending returns up to max records not yet acknowledged.
func (j *Journal) Pending(max int) (Batch, error) {
	j.mu.Lock()
	defer j.mu.Unlock()
	lines, err := j.readFromLocked(j.cursor)
	if err != nil {
		return Batch{}, err
	}
	b := Batch{Dropped: j.dropped, end: j.cursor, gen: j.f}
	for _, l := range lines {
		if len(b.Records) == max {
			break
		}
		var rec protocol.PlayRecord
		if err := json.Unmarshal(l, &rec); err != nil {
			return Batch{}, fmt.Errorf("journal: decode: %w", err)
		}
		b.Records = append(b.Records, rec)
		b.end += int64(len(l))
	}
	return b, nil
}

// Ack records that the controller stored b. A batch read before a
// compaction is ignored: its records are resent and deduplicated.
func (j *Journal) Ack(b Batch) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	if b.gen != j.f || b.end <= j.cursor {
		return nil
	}
	j.cursor = b.end
	return j.writeCursorLocked()
}

// Stats reports pending bytes and dropped records.
func (j *Journal) Stats() (pendingBytes, dropped int64) {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.size - j.cursor, j.dropped
}

// Close closes the files.
func (j *Journal) Close() error {
	j.openMu.Lock()
	if j.openFile != nil {
		j.openFile.Close()
		j.openFile = nil
	}
	j.openMu.Unlock()
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.f.Close()
}

// Inspect counts, without changing anything, the records of the journal in
// dir that the controller has not acknowledged and those dropped; safe to
// call while an agent runs.
func Inspect(dir string) (pending int, dropped int64, err error) {
	j := &Journal{dir: dir}
	if err := j.readCursor(); err != nil {
		return 0, 0, err
	}
	data, err := os.ReadFile(filepath.Join(dir, fileName))
	if errors.Is(err, os.ErrNotExist) {
		return 0, j.dropped, nil
	}
	if err != nil {
		return 0, 0, fmt.Errorf("journal: %w", err)
	}
	if j.cursor < int64(len(data)) {
		pending = bytes.Count(data[j.cursor:], []byte("\n"))
	}
	return pending, j.dropped, nil
}
