package protocol

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite golden files under testdata/")

var goldenTime = time.Date(2026, 11, 25, 3, 4, 5, 678_000_000, time.UTC)

// goldenMessages has one example of every message type. A new type must be
// added here; TestGoldenCoversAllTypes checks that.
var goldenMessages = map[string]any{
	TypeHello:        &Hello{Name: "trung-tam-phuong", AgentVersion: "0.1.0", Profile: "virtual", Panel: Panel{Width: 128, Height: 64}, PlanRevision: 7},
	TypeWelcome:      &Welcome{ControllerVersion: "0.1.0", HeartbeatSeconds: 10, SessionID: "s-1", Controllers: []string{"wss://pano-1.example.vn", "wss://pano-2.example.vn"}},
	TypeHeartbeat:    &Heartbeat{Seq: 42, UptimeMS: 420000},
	TypeAck:          &Ack{Ref: "00112233445566778899aabbccddeeff"},
	TypeError:        &Error{Ref: "00112233445566778899aabbccddeeff", Code: ErrCodeBadMessage, Message: `"name" is required`},
	TypePlan:         &PlanMessage{Plan: *goldenPlan()},
	TypeTimeRequest:  &TimeRequest{T1: goldenTime},
	TypeTimeResponse: &TimeResponse{T1: goldenTime, T2: goldenTime.Add(3 * time.Second), T3: goldenTime.Add(3*time.Second + time.Millisecond)},
	TypeHealth: &Health{UptimeMS: 1000, AgentVersion: "0.1.0", PlanRevision: 4, CurrentItem: 11, CurrentAsset: sha('a'),
		TargetFPS: 30, AchievedFPS: 29.9, DriverState: "ok", ClockOffsetMS: -2.5, ClockRTTMS: 1.25, CacheBytes: 4096,
		SyncDone: 100, SyncTotal: 200, DiskFreeBytes: 1 << 30, MemoryBytes: 20 << 20, CPUTempC: ptr(48.5), At: goldenTime},
	TypeScreenshot: &Screenshot{At: goldenTime, PNG: []byte("\x89PNG\r\n\x1a\n")},
	TypePlayRecords: &PlayRecords{Records: []PlayRecord{{ID: "r-1", Display: 3, PlanRevision: 4, Entry: 100, Item: 11, Media: 7, Campaign: 1,
		Start: goldenTime, End: goldenTime.Add(10 * time.Second)}}},
	TypeCommand:       &Command{Name: CmdBrightness, Args: map[string]string{"percent": "40", "until": "2026-11-25T12:00:00Z"}},
	TypeCommandResult: &CommandResult{Ref: "00112233445566778899aabbccddeeff", OK: true},
}

func ptr[T any](v T) *T { return &v }

// goldenPlan shows every field of the plan, schemas 2 and 3's included.
func goldenPlan() *Plan {
	p := testPlan()
	p.Generated = goldenTime
	p.Site = &Site{Latitude: 21.0285, Longitude: 105.8542}
	p.Power = []Window{{From: "05:30", Until: "23:00"}}
	p.Brightness = []BrightnessWindow{{Window: Window{Weekdays: []int{6, 7}, From: "22:00", Until: "05:30"}, Percent: 25}}
	p.DayNight = &DayNight{Day: 100, Night: 40}
	p.Entries[0].Weight = 2
	p.Entries = append(p.Entries, Entry{ID: 300, Playlist: 2, Priority: 10, Weight: 1,
		Dayparts: []Daypart{{From: "06:30", Until: "08:30"}, {From: "16:30", Until: "19:00"}}})
	p.Playlists[0].Items[1].NotBefore = ptr(goldenTime)
	p.Playlists[0].Items[1].NotAfter = ptr(goldenTime.Add(72 * time.Hour))
	// Schema 3: a program (slide, clock, ticker) as the third item.
	p.Assets = append(p.Assets, Asset{SHA256: sha('f'), Kind: AssetProgram, Bytes: 420, Needs: []string{sha('c')}})
	p.Playlists[0].Items = append(p.Playlists[0].Items, Item{ID: 14, Media: 9, Asset: sha('f'), DurationMS: 30_000})
	return p
}

func TestGolden(t *testing.T) {
	for typ, body := range goldenMessages {
		t.Run(typ, func(t *testing.T) {
			env, err := NewEnvelope(typ, body, goldenTime)
			if err != nil {
				t.Fatal(err)
			}
			env.ID = "golden-" + typ
			got, err := json.MarshalIndent(env, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, '\n')
			path := filepath.Join("testdata", typ+".json")
			if *update {
				if err := os.WriteFile(path, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run `make golden` to create it)", err)
			}
			if !bytes.Equal(got, want) {
				t.Fatalf("encoding changed:\n got: %s\nwant: %s", got, want)
			}

			// The golden file decodes back to the same message.
			dec, err := Decode(want)
			if err != nil {
				t.Fatal(err)
			}
			if dec.Type != typ || dec.V != Version || !dec.TS.Equal(goldenTime) {
				t.Fatalf("decoded envelope %+v", dec)
			}
			back := reflect.New(reflect.TypeOf(body).Elem()).Interface()
			if err := DecodeBody(dec, back); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(back, body) {
				t.Fatalf("round trip: got %+v, want %+v", back, body)
			}
		})
	}
}

func TestGoldenCoversAllTypes(t *testing.T) {
	files, err := filepath.Glob("testdata/*.json")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != len(goldenMessages) {
		t.Fatalf("testdata has %d golden files, goldenMessages has %d types", len(files), len(goldenMessages))
	}
	for _, typ := range []string{TypeHello, TypeWelcome, TypeHeartbeat, TypeAck, TypeError, TypePlan, TypeTimeRequest,
		TypeTimeResponse, TypeHealth, TypeScreenshot, TypePlayRecords, TypeCommand, TypeCommandResult} {
		if _, ok := goldenMessages[typ]; !ok {
			t.Errorf("message type %q has no golden example", typ)
		}
	}
}

func TestCheckVersion(t *testing.T) {
	for _, tc := range []struct {
		v  string
		ok bool
	}{
		{"1.0", true},
		{"1.7", true}, // newer minor: same major, accepted
		{"2.0", false},
		{"0.9", false},
		{"", false},
		{"1", false},
		{"v1.0", false},
		{"1.x", false},
	} {
		err := CheckVersion(tc.v)
		if (err == nil) != tc.ok {
			t.Errorf("CheckVersion(%q) = %v, want ok=%v", tc.v, err, tc.ok)
		}
		var uv ErrUnsupportedVersion
		if err != nil && (!errors.As(err, &uv) || !strings.Contains(err.Error(), "supported: 1.x")) {
			t.Errorf("CheckVersion(%q) error %q does not name the supported versions", tc.v, err)
		}
	}
}

func TestDecodeRefusesBadMessages(t *testing.T) {
	for name, tc := range map[string]struct {
		msg  string
		want string
	}{
		"not json":     {`hello`, "not a JSON envelope"},
		"no version":   {`{"type":"hello","id":"1"}`, `no "v"`},
		"no type":      {`{"v":"1.0","id":"1"}`, `no "type"`},
		"no id":        {`{"v":"1.0","type":"hello"}`, `no "id"`},
		"too large":    {`{"v":"1.0","type":"hello","id":"1","body":"` + strings.Repeat("x", MaxMessageBytes) + `"}`, "exceeds the limit"},
		"wrong fields": {`{"v":1,"type":"hello","id":"1"}`, "not a JSON envelope"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := Decode([]byte(tc.msg))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Decode error = %v, want it to contain %q", err, tc.want)
			}
		})
	}
}

func TestDecodeBody(t *testing.T) {
	env := Envelope{V: Version, Type: TypeHello, ID: "1", Body: json.RawMessage(`{"name":"a","panel":{"width":64,"height":32},"extra":1}`)}
	var h Hello
	if err := DecodeBody(env, &h); err == nil || !strings.Contains(err.Error(), `unknown field "extra"`) {
		t.Fatalf("same version, unknown field: err = %v", err)
	}
	env.V = "1.3" // a newer minor may add fields
	if err := DecodeBody(env, &h); err != nil {
		t.Fatalf("newer minor, unknown field: %v", err)
	}
	env.Body = json.RawMessage(`{"name":"a","panel":{"width":0,"height":32}}`)
	if err := DecodeBody(env, &h); err == nil || !strings.Contains(err.Error(), "width and height") {
		t.Fatalf("invalid panel: err = %v", err)
	}
	env.Body = nil
	if err := DecodeBody(env, &h); err == nil || !strings.Contains(err.Error(), "no body") {
		t.Fatalf("no body: err = %v", err)
	}
}

// Message ids are 32 hex digits and never repeat, nor do their first 12
// (a link's session id in the logs).
func TestNewIDsAreDistinctHex(t *testing.T) {
	seen, heads := map[string]bool{}, map[string]bool{}
	for range 100_000 {
		id := NewID()
		if len(id) != 32 || strings.Trim(id, "0123456789abcdef") != "" {
			t.Fatalf("id %q is not 32 lower-case hex digits", id)
		}
		if seen[id] || heads[id[:12]] {
			t.Fatalf("id %q (or its first 12 digits) came twice", id)
		}
		seen[id], heads[id[:12]] = true, true
	}
}
