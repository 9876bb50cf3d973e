package protocol

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"testing"
	"time"
)

// wireSeeds adds every golden message (testdata/*.json) as a seed.
func wireSeeds(f *testing.F) {
	names, err := filepath.Glob(filepath.Join("testdata", "*.json"))
	if err != nil || len(names) == 0 {
		f.Fatalf("no golden messages: %v", err)
	}
	for _, n := range names {
		b, err := os.ReadFile(n)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`{"v":"1.0","type":"plan","id":"x","ts":"2026-11-25T10:00:00+07:00","body":{"plan":null}}`))
	f.Add([]byte(`{"v":"1.7","type":"heartbeat","id":"x","ts":"2026-11-25T10:00:00Z","body":{"seq":1,"uptime_ms":2,"later":true}}`))
}

// bodyTypes lists every message type with a fresh body of its struct, in
// a fixed order.
func bodyTypes() []string {
	var types []string
	for typ := range goldenMessages {
		types = append(types, typ)
	}
	sort.Strings(types)
	return types
}

func newBody(typ string) any {
	return reflect.New(reflect.TypeOf(goldenMessages[typ]).Elem()).Interface()
}

// FuzzDecode feeds any bytes to what the controller and the agent do with a
// websocket message: the envelope, then the body as each message type.
// Beyond not panicking: an accepted envelope re-encodes to one that decodes
// to the same; a body accepted (decoded and valid) re-encodes to a body
// accepted again with the same content; a plan accepted compiles, and its
// schedule answers.
func FuzzDecode(f *testing.F) {
	wireSeeds(f)
	types := bodyTypes()
	f.Fuzz(func(t *testing.T, data []byte) {
		env, err := Decode(data)
		if err != nil {
			return
		}
		if env.V == "" || env.Type == "" || env.ID == "" {
			t.Fatalf("accepted an envelope without v, type or id: %+v", env)
		}
		again, err := json.Marshal(env)
		if err != nil {
			t.Fatalf("an accepted envelope does not encode: %v", err)
		}
		env2, err := Decode(again)
		if err != nil {
			t.Fatalf("a re-encoded envelope is refused: %v\n%s", err, again)
		}
		if env2.V != env.V || env2.Type != env.Type || env2.ID != env.ID || !env2.TS.Equal(env.TS) {
			t.Fatalf("round trip changed the envelope: %+v → %+v", env, env2)
		}
		if third, _ := json.Marshal(env2); !bytes.Equal(third, again) {
			t.Fatalf("encoding is not stable:\n%s\n%s", again, third)
		}
		_ = CheckVersion(env.V)
		for _, typ := range types {
			env.Type = typ
			v := newBody(typ)
			if DecodeBody(env, v) != nil {
				continue
			}
			b, err := json.Marshal(v)
			if err != nil {
				t.Fatalf("%s: an accepted body does not encode: %v", typ, err)
			}
			re := Envelope{V: Version, Type: typ, ID: "x", Body: b}
			v2 := newBody(typ)
			if err := DecodeBody(re, v2); err != nil {
				t.Fatalf("%s: an accepted body, re-encoded, is refused: %v\n%s", typ, err, b)
			}
			if b2, _ := json.Marshal(v2); !bytes.Equal(b, b2) {
				t.Fatalf("%s: round trip changed the body:\n%s\n%s", typ, b, b2)
			}
			if m, ok := v.(*PlanMessage); ok {
				s, err := Compile(&m.Plan)
				if err != nil {
					t.Fatalf("a plan accepted in a message does not compile: %v", err)
				}
				evaluate(t, s, m.Plan.Generated, 50, 7*time.Minute)
			}
		}
	})
}

// evaluate asks s what plays, when power and brightness change and when
// anything changes next, at n instants from t0 on, and fails if it panics,
// does not return within seconds, or answers inconsistently.
func evaluate(t *testing.T, s *Schedule, t0 time.Time, n int, step time.Duration) {
	t.Helper()
	type bad struct{ msg string }
	done := make(chan any, 1)
	go func() {
		defer func() { done <- recover() }()
		for i := range n {
			tt := t0.Add(time.Duration(i) * step)
			slot, ok := s.At(tt)
			if ok && (slot.Start.After(tt) || !slot.End.After(tt)) {
				panic(bad{"slot " + slot.Start.String() + "–" + slot.End.String() + " does not hold " + tt.String()})
			}
			odd := func(asset string) bool { return len(asset) > 0 && asset[0]%2 == 1 }
			if slot, ok := s.AtPlayable(tt, odd); ok {
				if !odd(slot.Item.Asset) {
					panic(bad{"AtPlayable chose an unplayable asset " + slot.Item.Asset})
				}
				if slot.Start.After(tt) || !slot.End.After(tt) {
					panic(bad{"playable slot does not hold " + tt.String()})
				}
			}
			if on, next := s.PowerAt(tt); !next.IsZero() && !next.After(tt) {
				panic(bad{"power next not after t"})
			} else {
				_ = on
			}
			if p, _, next := s.BrightnessBy(tt); p < 0 || p > 100 || (!next.IsZero() && !next.After(tt)) {
				panic(bad{"brightness out of range or next not after t"})
			}
			if c := s.NextChange(tt, tt.Add(48*time.Hour)); !c.After(tt) {
				panic(bad{"NextChange " + c.String() + " not after " + tt.String()})
			}
			_ = s.AssetsBetween(tt, tt.Add(time.Hour))
		}
	}()
	select {
	case r := <-done:
		if b, ok := r.(bad); ok {
			t.Fatal(b.msg)
		} else if r != nil {
			t.Fatalf("panic: %v", r)
		}
	case <-time.After(20 * time.Second):
		t.Fatalf("the schedule did not answer within 20 s (a loop?)")
	}
}

// FuzzPlanJSON decodes any bytes as a plan the way the agent reads its
// saved plan, then: Validate accepted ⇔ Compile succeeds, and a compiled
// schedule answers At, AtPlayable, PowerAt, BrightnessBy and NextChange at
// fuzzed instants consistently and in bounded time.
func FuzzPlanJSON(f *testing.F) {
	for _, seed := range [][]byte{
		nil, {1, 2, 3, 4, 5, 6, 7, 8, 9, 10},
		[]byte("\x01\x02\x03\x00\x03\x01\x05\x09\x02\x01\x02\x02\x02\x30\x50\x40\x60\x00\x01\x01\x02\x01\x10\x20\x04\x05"),
		[]byte("\x02\x01\x01\x06\x03\x06\x02\x00\x00\x04\x01\x01\x02\x5c\x18\x02\x00\x00\x01\x02\x01\x01\x02\x01\x58\x1c\x00\x00"),
	} {
		b, err := json.Marshal(fuzzPlan(seed))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b, int64(1795000000), uint16(600))
	}
	b, _ := json.Marshal(goldenPlan())
	f.Add(b, int64(1795000000), uint16(61))
	f.Fuzz(func(t *testing.T, data []byte, at int64, step uint16) {
		var p Plan
		if json.Unmarshal(data, &p) != nil {
			return
		}
		verr := p.Validate()
		s, cerr := Compile(&p)
		if (verr == nil) != (cerr == nil) {
			t.Fatalf("Validate says %v, Compile says %v", verr, cerr)
		}
		if cerr != nil {
			return
		}
		// Instants from 1900 to 2200, in steps up to 18 h.
		const lo, span = -2208988800, 9467107200
		sec := lo + (at%span+span)%span
		evaluate(t, s, time.Unix(sec, at%1000*int64(time.Millisecond)), 40, time.Duration(step)*time.Second+time.Millisecond)
	})
}

// FuzzProgramValidate: a program accepted is inside its panel (every window
// within it) and round-trips through JSON.
func FuzzProgramValidate(f *testing.F) {
	for _, p := range []Program{
		{Width: 128, Height: 64, Windows: []ProgramWindow{
			{Kind: WindowMedia, X: 0, Y: 0, W: 96, H: 48, Asset: sha('a')},
			{Kind: WindowClock, X: 96, Y: 0, W: 32, H: 16, Format: ClockHMS},
			{Kind: WindowTicker, X: 0, Y: 48, W: 128, H: 16, Text: "Chuyển đổi số", Speed: 40, Direction: "right", Color: "#ffcc00"},
		}},
		{Width: 64, Height: 32, Background: "#102030", Windows: []ProgramWindow{
			{Kind: WindowDate, X: 0, Y: 0, W: 64, H: 16, Format: DateWeekday},
			{Kind: WindowCountdown, X: 0, Y: 16, W: 64, H: 16, Text: "Tết", Until: time.Date(2027, 2, 6, 0, 0, 0, 0, time.UTC)},
		}},
	} {
		b, _ := json.Marshal(p)
		f.Add(b, 0, 0, 0, 0)
		f.Add(b, 10, 4, 20, 8)
	}
	// x, y, w, h (when not all 0) place the first window: JSON mutations
	// seldom reach the extremes of an int.
	f.Fuzz(func(t *testing.T, data []byte, x, y, w, h int) {
		var p Program
		if json.Unmarshal(data, &p) != nil {
			return
		}
		if len(p.Windows) > 0 && x|y|w|h != 0 {
			p.Windows[0].X, p.Windows[0].Y, p.Windows[0].W, p.Windows[0].H = x, y, w, h
		}
		if p.Validate() != nil {
			return
		}
		for i, w := range p.Windows {
			if w.X < 0 || w.Y < 0 || w.W < 1 || w.H < 1 || w.X > p.Width-w.W || w.Y > p.Height-w.H {
				t.Fatalf("accepted window %d (%d×%d at %d,%d) outside the %d×%d panel", i+1, w.W, w.H, w.X, w.Y, p.Width, p.Height)
			}
		}
		b, err := json.Marshal(p)
		if err != nil {
			t.Fatal(err)
		}
		var q Program
		if err := json.Unmarshal(b, &q); err != nil || q.Validate() != nil {
			t.Fatalf("an accepted program, re-encoded, is refused: %v %v", err, q.Validate())
		}
	})
}
