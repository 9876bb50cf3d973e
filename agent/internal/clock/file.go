package clock

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"sync"
	"time"
)

// FileLocal is a local clock for tests only (the agent takes it when
// PANO_CLOCK_FILE names a file, and never otherwise): it lets an
// end-to-end test move a real agent process through days in seconds.
//
// The file holds one instant, RFC 3339 (milliseconds or finer): the clock
// reads that instant at the file's modification time and runs on from it
// in real time, until the file changes. The file is looked at (a stat) at
// most every checkEvery, so a change takes effect within that; a writer
// replaces it whole (writes another file and renames it over this one:
// a rewrite in place within the same few ms and of the same size could go
// unseen, as modification times are coarse). A file that
// cannot be read or parsed at start is an error; later, a bad read keeps
// the instant in use.
func FileLocal(path string) (func() time.Time, error) {
	f := &fileClock{path: path}
	if err := f.load(); err != nil {
		return nil, err
	}
	return f.now, nil
}

const checkEvery = 2 * time.Millisecond

type fileClock struct {
	path string

	mu      sync.Mutex
	checked time.Time   // when the file was last looked at (monotonic)
	info    os.FileInfo // the file read last
	mtime   time.Time   // its modification time: base is read then
	base    time.Time
}

func (f *fileClock) now() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	if time.Since(f.checked) >= checkEvery {
		_ = f.load() // a half-written or vanished file keeps the clock going
	}
	// Wall time since the file was written: mtime carries no monotonic
	// reading.
	return f.base.Add(time.Now().Round(0).Sub(f.mtime))
}

// load rereads the file if its modification time or size changed; the
// instant and the time are taken from one open file, so a file replaced
// meanwhile is not read with the other's time.
func (f *fileClock) load() error {
	f.checked = time.Now()
	st, err := os.Stat(f.path)
	if err != nil {
		return err
	}
	// The same file (a rename makes another), unchanged. Modification
	// times are coarse (a few ms), so two writes may share one.
	if f.info != nil && os.SameFile(st, f.info) && st.ModTime().Equal(f.info.ModTime()) && st.Size() == f.info.Size() {
		return nil
	}
	file, err := os.Open(f.path)
	if err != nil {
		return err
	}
	defer file.Close()
	if st, err = file.Stat(); err != nil {
		return err
	}
	b, err := io.ReadAll(io.LimitReader(file, 100))
	if err != nil {
		return err
	}
	t, err := time.Parse(time.RFC3339Nano, string(bytes.TrimSpace(b)))
	if err != nil {
		return fmt.Errorf("clock file %s: %q is not an RFC 3339 instant", f.path, bytes.TrimSpace(b))
	}
	f.base, f.mtime, f.info = t, st.ModTime(), st
	return nil
}
