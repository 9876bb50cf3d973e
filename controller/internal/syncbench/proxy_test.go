package main

import (
	"bytes"
	"io"
	"net"
	"testing"
	"time"
)

// The proxy delivers every byte, in order, each chunk no sooner than the
// shortest delay; the far side's close reaches the near side.
func TestProxyDelaysInOrder(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() { // echo
		c, err := ln.Accept()
		if err != nil {
			return
		}
		io.Copy(c, c)
		c.Close()
	}()
	const base, jitter = 20 * time.Millisecond, 10 * time.Millisecond
	p, err := newProxy(ln.Addr().String(), base, jitter, 1)
	if err != nil {
		t.Fatal(err)
	}
	defer p.close()
	c, err := net.Dial("tcp", p.addr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()

	// One byte at a time, a few ms apart: each is a chunk of its own and
	// the drawn delays differ by more than the spacing, so a proxy that
	// let chunks overtake would reorder them.
	var sent []byte
	start := time.Now()
	go func() {
		for i := 0; i < 40; i++ {
			c.Write([]byte{byte(i)})
			time.Sleep(2 * time.Millisecond)
		}
		c.(*net.TCPConn).CloseWrite()
	}()
	for i := 0; i < 40; i++ {
		sent = append(sent, byte(i))
	}
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	first := make([]byte, 1)
	if _, err := io.ReadFull(c, first); err != nil {
		t.Fatal(err)
	}
	// There and back: two delays of at least base − jitter each.
	if el := time.Since(start); el < 2*(base-jitter) {
		t.Fatalf("first byte back after %v, want at least %v", el, 2*(base-jitter))
	}
	rest, err := io.ReadAll(c)
	if err != nil {
		t.Fatal(err)
	}
	if got := append(first, rest...); !bytes.Equal(got, sent) {
		t.Fatalf("got %v, want %v", got, sent)
	}
}

func TestProxyDelayRange(t *testing.T) {
	p := &proxy{base: 20 * time.Millisecond, jitter: 10 * time.Millisecond}
	p.rnd = newRand(7)
	lo, hi := time.Hour, time.Duration(0)
	for i := 0; i < 10000; i++ {
		d := p.delay()
		lo, hi = min(lo, d), max(hi, d)
	}
	if lo < 10*time.Millisecond || hi > 30*time.Millisecond || lo > 11*time.Millisecond || hi < 29*time.Millisecond {
		t.Fatalf("delays from %v to %v, want 10 ms to 30 ms", lo, hi)
	}
}
