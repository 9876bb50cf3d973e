package main

import "testing"

func TestPprofServedOnLoopbackOnly(t *testing.T) {
	for _, ok := range []string{"127.0.0.1:6060", "[::1]:6060", "localhost:6060", "127.0.0.2:0"} {
		if err := checkPprofAddr(ok); err != nil {
			t.Errorf("--pprof %s refused: %v", ok, err)
		}
	}
	for _, bad := range []string{"0.0.0.0:6060", ":6060", "192.168.1.5:6060", "example.org:6060", "6060"} {
		if err := checkPprofAddr(bad); err == nil {
			t.Errorf("--pprof %s accepted; it is not loopback", bad)
		}
	}
}
