// Package natstest runs a NATS server inside a test: the real server
// (nats-server/v2 as a library) on a loopback port, with JetStream in a
// temporary directory.
package natstest

import (
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
)

// Start runs a NATS server with JetStream on a free loopback port and
// returns its client URL and a stop that waits for it to end (also run at
// the test's cleanup; calling it twice is fine).
func Start(tb testing.TB) (url string, stop func()) {
	tb.Helper()
	return StartPort(tb, -1)
}

// StartPort is Start on a given port: a test restarting NATS gives the
// port of the server it stopped, so that clients find it again.
func StartPort(tb testing.TB, port int) (url string, stop func()) {
	tb.Helper()
	return StartDir(tb, port, tb.TempDir())
}

// StartDir is StartPort keeping JetStream's files in dir: a test restarting
// NATS gives the directory of the server it stopped too, so that its
// streams and object stores (the replicas' asset files) are there again,
// as a restarted nats-server -js finds them.
func StartDir(tb testing.TB, port int, dir string) (url string, stop func()) {
	tb.Helper()
	s, err := server.NewServer(&server.Options{
		Host:      "127.0.0.1",
		Port:      port,
		JetStream: true,
		StoreDir:  dir,
		NoLog:     true,
		NoSigs:    true,
	})
	if err != nil {
		tb.Fatalf("natstest: %v", err)
	}
	go s.Start()
	if !s.ReadyForConnections(10 * time.Second) {
		s.Shutdown()
		tb.Fatalf("natstest: the NATS server on port %d did not start within 10 s", port)
	}
	stop = func() {
		s.Shutdown()
		s.WaitForShutdown()
	}
	tb.Cleanup(stop)
	return s.ClientURL(), stop
}
