// Package pgtest gives tests a PostgreSQL database: a cluster of its own
// started once per test process from the installed server (Debian's
// postgresql package), in a temporary directory, reachable only through a
// Unix socket there, and a new empty database for each caller.
package pgtest

import (
	"bufio"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // "pgx", for creating and dropping databases
)

// Wanted reports whether this run's tests should use PostgreSQL rather
// than SQLite: PANO_TEST_DB=postgres (make test runs the store's tests
// once each way).
func Wanted() bool { return os.Getenv("PANO_TEST_DB") == "postgres" }

var (
	once    sync.Once
	running *cluster
	failed  error
	dbs     atomic.Int64
)

// URL returns the address of a new, empty database, dropped when the test
// ends. Without a PostgreSQL server installed the test is skipped, or
// fails under CI=true.
func URL(tb testing.TB) string {
	tb.Helper()
	c := Cluster(tb)
	name := fmt.Sprintf("pano_%d_%d", os.Getpid(), dbs.Add(1))
	if _, err := c.admin.Exec(`CREATE DATABASE ` + name); err != nil {
		tb.Fatalf("pgtest: create database: %v", err)
	}
	tb.Cleanup(func() { c.admin.Exec(`DROP DATABASE IF EXISTS ` + name + ` WITH (FORCE)`) })
	return c.URL(name)
}

// Cluster starts (once) and returns the test process's cluster.
func Cluster(tb testing.TB) *cluster {
	tb.Helper()
	once.Do(func() { running, failed = start() })
	if failed != nil {
		if os.Getenv("CI") == "true" {
			tb.Fatalf("pgtest: %v (install Debian's postgresql package)", failed)
		}
		tb.Skipf("pgtest: %v", failed)
	}
	return running
}

// Stop stops the cluster and removes its files; TestMain calls it after
// the tests. A test process that dies leaves none running either: the
// server gets SIGQUIT when its parent goes.
func Stop() {
	if running != nil {
		running.stop()
	}
}

// Server is a cluster started outside a test, by a program of its own (the
// load generator's replicas): the same server, files and settings as a
// test's. Stop it when done; a program that dies leaves none running (the
// server gets SIGQUIT when its parent goes).
type Server struct{ c *cluster }

// StartServer starts a cluster in a new temporary directory.
func StartServer() (*Server, error) {
	c, err := start()
	if err != nil {
		return nil, err
	}
	return &Server{c}, nil
}

// CreateDatabase makes an empty database and returns its address.
func (s *Server) CreateDatabase(name string) (string, error) {
	if _, err := s.c.admin.Exec(`CREATE DATABASE ` + name); err != nil {
		return "", fmt.Errorf("pgtest: create database: %w", err)
	}
	return s.c.URL(name), nil
}

// Stop stops the server and removes its files.
func (s *Server) Stop() { s.c.stop() }

type cluster struct {
	dir   string // data in dir/data, the socket in dir
	proc  *exec.Cmd
	exit  chan struct{}
	admin *sql.DB
}

// URL is the address of database name in the cluster.
func (c *cluster) URL(name string) string {
	q := url.Values{"host": {c.dir}, "sslmode": {"disable"}}
	return "postgres://pano@/" + name + "?" + q.Encode()
}

// Kill stops the server at once, as a crash would (immediate shutdown:
// sessions cut, no checkpoint); Restart starts it again.
func (c *cluster) Kill() {
	c.proc.Process.Signal(syscall.SIGQUIT)
	<-c.exit
}

func (c *cluster) stop() {
	c.admin.Close()
	c.proc.Process.Signal(syscall.SIGINT) // fast shutdown
	<-c.exit
	os.RemoveAll(c.dir)
}

// removeStale removes the clusters of test processes that are gone
// without calling Stop (packages without a TestMain): their servers died
// with them (SIGQUIT on their parent's death), their files stay.
func removeStale() {
	dirs, _ := filepath.Glob(filepath.Join(os.TempDir(), "pano-pg-*-*"))
	for _, d := range dirs {
		pid, err := strconv.Atoi(strings.Split(filepath.Base(d), "-")[2])
		if err != nil || pid == os.Getpid() {
			continue
		}
		if err := syscall.Kill(pid, 0); errors.Is(err, syscall.ESRCH) {
			os.RemoveAll(d)
		}
	}
}

// binDir finds the server's programs: Debian keeps them in
// /usr/lib/postgresql/VERSION/bin, off PATH; the newest version wins.
func binDir() (string, error) {
	found, _ := filepath.Glob("/usr/lib/postgresql/*/bin/initdb")
	sort.Slice(found, func(i, j int) bool {
		vi, _ := strconv.Atoi(filepath.Base(filepath.Dir(filepath.Dir(found[i]))))
		vj, _ := strconv.Atoi(filepath.Base(filepath.Dir(filepath.Dir(found[j]))))
		return vi > vj
	})
	if len(found) > 0 {
		return filepath.Dir(found[0]), nil
	}
	if p, err := exec.LookPath("initdb"); err == nil {
		return filepath.Dir(p), nil
	}
	return "", errors.New("no PostgreSQL server found (initdb in /usr/lib/postgresql/*/bin or on PATH)")
}

func start() (*cluster, error) {
	bin, err := binDir()
	if err != nil {
		return nil, err
	}
	removeStale()
	dir, err := os.MkdirTemp("", fmt.Sprintf("pano-pg-%d-", os.Getpid()))
	if err != nil {
		return nil, err
	}
	// The server refuses to run as root: it then runs as the postgres user
	// the Debian package creates.
	var cred *syscall.Credential
	if os.Getuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			os.RemoveAll(dir)
			return nil, fmt.Errorf("running as root and there is no postgres user to run the server as: %w", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		cred = &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
		if err := os.Chown(dir, uid, gid); err != nil {
			os.RemoveAll(dir)
			return nil, err
		}
	}
	initdb := exec.Command(filepath.Join(bin, "initdb"), "-D", filepath.Join(dir, "data"), "-U", "pano", "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8", "--no-sync")
	initdb.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	if out, err := initdb.CombinedOutput(); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("initdb: %v: %s", err, out)
	}
	c := &cluster{dir: dir}
	if err := c.run(bin, cred); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	c.admin, err = sql.Open("pgx", c.URL("postgres"))
	if err != nil {
		c.stop()
		return nil, err
	}
	return c, nil
}

// run starts the server and returns when it accepts connections (it says
// so on its log).
func (c *cluster) run(bin string, cred *syscall.Credential) error {
	cmd := exec.Command(filepath.Join(bin, "postgres"), "-D", filepath.Join(c.dir, "data"),
		"-k", c.dir, "-c", "listen_addresses=", "-c", "port=5432",
		// A test's database is thrown away: no flush to disk. Commits
		// still write their WAL to the kernel before they return
		// (synchronous_commit on): a test that kills the server (Kill,
		// Restart) as a crash would must find every committed row
		// again, as on a real server; with it off the last commits'
		// rows vanished (proof of play acked and then lost).
		"-c", "fsync=off", "-c", "full_page_writes=off",
		"-c", "max_connections=200")
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred, Pdeathsig: syscall.SIGQUIT}
	logs, err := cmd.StderrPipe()
	if err != nil {
		return err
	}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start postgres: %w", err)
	}
	ready := make(chan struct{})
	var tail []string
	var mu sync.Mutex
	go func() {
		sc := bufio.NewScanner(logs)
		said := false
		for sc.Scan() {
			mu.Lock()
			tail = append(tail[max(0, len(tail)-20):], sc.Text())
			mu.Unlock()
			if !said && strings.Contains(sc.Text(), "ready to accept connections") {
				said = true
				close(ready)
			}
		}
		io.Copy(io.Discard, logs)
	}()
	c.proc, c.exit = cmd, make(chan struct{})
	go func() { cmd.Wait(); close(c.exit) }()
	select {
	case <-ready:
		return nil
	case <-c.exit:
	case <-time.After(60 * time.Second):
		cmd.Process.Kill()
		<-c.exit
	}
	mu.Lock()
	defer mu.Unlock()
	return fmt.Errorf("postgres did not start: %s", strings.Join(tail, "\n"))
}

// Restart kills the server as a crash would and starts it again on the
// same files, returning when it accepts connections again.
func (c *cluster) Restart(tb testing.TB) {
	tb.Helper()
	c.Kill()
	bin, err := binDir()
	if err != nil {
		tb.Fatal(err)
	}
	var cred *syscall.Credential
	if c.proc.SysProcAttr != nil {
		cred = c.proc.SysProcAttr.Credential
	}
	if err := c.run(bin, cred); err != nil {
		tb.Fatal(err)
	}
	// The admin pool's connections died with the server.
	c.admin.Close()
	admin, err := sql.Open("pgx", c.URL("postgres"))
	if err != nil {
		tb.Fatal(err)
	}
	c.admin = admin
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := c.admin.PingContext(ctx); err != nil {
		tb.Fatal(err)
	}
}
