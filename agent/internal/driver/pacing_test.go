//go:build linux

package driver

import (
	"encoding/binary"
	"syscall"
	"testing"
	"time"
)

// frameSpread draws one frame on driver name (128×64 unless s says) with
// the given pacing at fps, and measures at a loopback UDP receiver the
// time from the frame's first packet to its last, and how many arrived.
func frameSpread(tb testing.TB, name string, pacing, fps float64) (spread time.Duration, packets, want int) {
	tb.Helper()
	sink, port := udpSinkB(tb)
	sink.SetReadBuffer(4 << 20)
	s := Settings{"width": 128, "height": 64, "host": "127.0.0.1", "port": port, "pacing": pacing}
	d, err := Open(name, s)
	if err != nil {
		tb.Fatal(err)
	}
	defer d.Close()
	d.(FrameRater).SetFrameRate(fps)
	_, want = wireBytes(d.(*Pixels).f)
	// Arrival times are the kernel's (SO_TIMESTAMPNS), not when this
	// goroutine happened to read them.
	raw, err := sink.SyscallConn()
	if err != nil {
		tb.Fatal(err)
	}
	raw.Control(func(fd uintptr) {
		err = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_TIMESTAMPNS, 1)
	})
	if err != nil {
		tb.Fatal(err)
	}
	if err := d.Draw(testFrame(128, 64)); err != nil {
		tb.Fatal(err)
	}
	// Packets are told apart by their source port: a port reused from an
	// earlier test may still get that test's last packets.
	var at []time.Time
	bySource := map[int][]time.Time{}
	buf, oob := make([]byte, 2048), make([]byte, 128)
	for len(at) < want {
		sink.SetReadDeadline(time.Now().Add(2 * time.Second))
		_, oobn, _, from, err := sink.ReadMsgUDP(buf, oob)
		if err != nil {
			break
		}
		msgs, err := syscall.ParseSocketControlMessage(oob[:oobn])
		if err != nil || len(msgs) == 0 || len(msgs[0].Data) < 16 {
			tb.Fatalf("no arrival timestamp: %v", err)
		}
		d := msgs[0].Data
		ts := time.Unix(int64(binary.NativeEndian.Uint64(d)), int64(binary.NativeEndian.Uint64(d[8:])))
		bySource[from.Port] = append(bySource[from.Port], ts)
		if src := bySource[from.Port]; len(src) > len(at) {
			at = src
		}
	}
	if len(at) < 2 {
		return 0, len(at), want
	}
	first, last := at[0], at[0]
	for _, a := range at {
		if a.Before(first) {
			first = a
		}
		if a.After(last) {
			last = a
		}
	}
	return last.Sub(first), len(at), want
}

// TestPacingSpreadsAFramesPackets: with pacing 0.5 at 25 fps a frame's
// packets arrive spread over about half the 40 ms frame interval (20 ms),
// not back to back; every packet arrives. Without pacing they leave in one
// batch, within a few milliseconds.
func TestPacingSpreadsAFramesPackets(t *testing.T) {
	for _, name := range []string{"e131", "ddp", "artnet", "tpm2net"} {
		// A loaded machine may oversleep between packets, which only
		// lengthens the spread: the best of three frames is judged.
		var spread time.Duration
		for try := 0; try < 3; try++ {
			s, n, want := frameSpread(t, name, 0.5, 25)
			t.Logf("%s 128x64 pacing=0.5 fps=25: %d packets over %.2f ms at the receiver", name, n, float64(s)/1e6)
			if n != want {
				t.Errorf("%s: %d of %d packets arrived", name, n, want)
			}
			if s < 16*time.Millisecond {
				t.Errorf("%s: a frame's packets arrived over %v; want about 20 ms (0.5 × 40 ms)", name, s)
			}
			spread = s
			if s <= 30*time.Millisecond {
				break
			}
		}
		if spread > 30*time.Millisecond {
			t.Errorf("%s: a frame's packets arrived over %v in three tries; want about 20 ms (0.5 × 40 ms)", name, spread)
		}
		spread0, n0, _ := frameSpread(t, name, 0, 25)
		t.Logf("%s 128x64 pacing=0: %d packets over %.2f ms", name, n0, float64(spread0)/1e6)
		if spread0 > 10*time.Millisecond {
			t.Errorf("%s without pacing: packets arrived over %v; want back to back", name, spread0)
		}
	}
}

// BenchmarkPacing measures, at a loopback UDP receiver, the spread of one
// 128×64 frame's packets (first to last arrival) with pacing 0.5 at 25 fps
// (target 20 ms) for each paced protocol. scripts/bench.sh prints it.
func BenchmarkPacing(b *testing.B) {
	for _, name := range []string{"ddp", "e131", "artnet", "tpm2net"} {
		b.Run(name+"/128x64", func(b *testing.B) {
			var sum, worst, best time.Duration
			var packets, lost int
			for b.Loop() {
				s, n, want := frameSpread(b, name, 0.5, 25)
				sum += s
				worst = max(worst, s)
				if best == 0 || s < best {
					best = s
				}
				packets, lost = want, lost+want-n
			}
			b.ReportMetric(float64(sum)/float64(b.N)/1e6, "spread_ms")
			b.ReportMetric(float64(best)/1e6, "min_spread_ms")
			b.ReportMetric(float64(worst)/1e6, "max_spread_ms")
			b.ReportMetric(float64(packets), "packets")
			b.ReportMetric(float64(lost), "lost")
		})
	}
}
