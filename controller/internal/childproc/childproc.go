// Package childproc runs a program of the project (the controller, an
// agent, a peer) as a child of a bench or harness: its output goes to a log
// file and is kept, so that the caller can wait for a line, count lines or
// show the last ones in an error.
package childproc

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Proc is a running child process.
type Proc struct {
	Cmd *exec.Cmd
	Log string // where its output goes
	// Done is closed once the process has exited and its last line is read.
	Done <-chan struct{}

	mu    sync.Mutex
	lines []string
	grew  chan struct{} // closed and replaced at each new line
}

// Start runs bin with args and env added to this process's environment;
// stdout and stderr go, line by line, to the file logf and to the lines
// kept. Where the platform allows, the child is killed when its parent dies.
func Start(logf string, env []string, bin string, args ...string) (*Proc, error) {
	f, err := os.Create(logf)
	if err != nil {
		return nil, err
	}
	done := make(chan struct{})
	p := &Proc{Cmd: exec.Command(bin, args...), Log: logf, Done: done, grew: make(chan struct{})}
	p.Cmd.Env = append(os.Environ(), env...)
	dieWithParent(p.Cmd)
	r, w := io.Pipe()
	p.Cmd.Stdout, p.Cmd.Stderr = w, w
	if err := p.Cmd.Start(); err != nil {
		f.Close()
		return nil, err
	}
	go func() {
		p.Cmd.Wait()
		w.Close()
	}()
	go func() {
		defer close(done) // after the last line is read
		defer f.Close()
		sc := bufio.NewScanner(r)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			fmt.Fprintln(f, sc.Text())
			p.mu.Lock()
			p.lines = append(p.lines, sc.Text())
			close(p.grew)
			p.grew = make(chan struct{})
			p.mu.Unlock()
		}
		io.Copy(io.Discard, r)
	}()
	return p, nil
}

// PID is the child's process id.
func (p *Proc) PID() int { return p.Cmd.Process.Pid }

// WaitLine waits for a line matching re and returns it.
func (p *Proc) WaitLine(re *regexp.Regexp, within time.Duration) (string, error) {
	deadline := time.After(within)
	seen := 0
	exited := false
	for {
		p.mu.Lock()
		for ; seen < len(p.lines); seen++ {
			if re.MatchString(p.lines[seen]) {
				l := p.lines[seen]
				p.mu.Unlock()
				return l, nil
			}
		}
		grew := p.grew
		p.mu.Unlock()
		if exited {
			return "", errors.New("exited")
		}
		select {
		case <-grew:
		case <-p.Done:
			// Its last lines may have come with the exit: look at them
			// once more (select picks either when both are ready).
			exited = true
		case <-deadline:
			return "", fmt.Errorf("no line matching %q within %v", re, within)
		}
	}
}

// Count is how many lines so far contain s.
func (p *Proc) Count(s string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := 0
	for _, l := range p.lines {
		if strings.Contains(l, s) {
			n++
		}
	}
	return n
}

// Tail is the last 15 lines of the output, for an error message.
func (p *Proc) Tail() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	l := p.lines
	if len(l) > 15 {
		l = l[len(l)-15:]
	}
	return strings.Join(l, "\n")
}

// Stop ends the process with SIGTERM, then SIGKILL after 10 s.
func (p *Proc) Stop() {
	p.Cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.Done:
	case <-time.After(10 * time.Second):
		p.Cmd.Process.Kill()
		<-p.Done
	}
}

// Kill ends the process with SIGKILL, as a power cut would, and waits.
func (p *Proc) Kill() {
	p.Cmd.Process.Signal(syscall.SIGKILL)
	<-p.Done
}
