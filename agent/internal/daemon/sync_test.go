package daemon

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pano-signage/pano/agent/internal/driver"
	"github.com/pano-signage/pano/protocol"
)

// TestSyncFetchesTheWholePlan: content that plays only after the next 48
// hours (a slide valid from day 4) is fetched too, after what plays soon,
// and health's totals count it: an agent cut off for a week has it.
func TestSyncFetchesTheWholePlan(t *testing.T) {
	files := map[string][]byte{}
	var shas []string
	for _, body := range []string{"soon", "day four"} {
		sum := sha256.Sum256([]byte(body))
		sha := hex.EncodeToString(sum[:])
		files[sha] = []byte(body)
		shas = append(shas, sha)
	}
	var mu sync.Mutex
	var fetched []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sha := strings.TrimPrefix(r.URL.Path, "/agent/v1/assets/")
		data, ok := files[sha]
		if !ok {
			http.NotFound(w, r)
			return
		}
		mu.Lock()
		fetched = append(fetched, sha)
		mu.Unlock()
		w.Write(data)
	}))
	defer srv.Close()
	v, _ := driver.NewVirtual(8, 4)
	cfg := Config{Controller: "ws://" + srv.Listener.Addr().String(), DisplayID: 1, Name: "t", Profile: "virtual"}
	d, err := New(t.TempDir(), cfg, "pano_dev_x", "test", v, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer d.Journal.Close()
	later := time.Now().Add(4 * 24 * time.Hour)
	plan := &protocol.Plan{Schema: 2, Revision: 1, DisplayID: 1, TimeZone: "Asia/Ho_Chi_Minh", Panel: protocol.Panel{Width: 8, Height: 4}, Fallback: protocol.FallbackBlack,
		Assets: []protocol.Asset{{SHA256: shas[1], Kind: protocol.AssetImage, Bytes: 8}, {SHA256: shas[0], Kind: protocol.AssetImage, Bytes: 4}},
		Playlists: []protocol.Playlist{{ID: 1, Items: []protocol.Item{
			{ID: 1, Asset: shas[0], DurationMS: 10_000},
			{ID: 2, Asset: shas[1], DurationMS: 10_000, NotBefore: &later},
		}}},
		Entries: []protocol.Entry{{ID: 1, Playlist: 1}},
	}
	s, err := protocol.Compile(plan)
	if err != nil {
		t.Fatal(err)
	}
	d.Player.SetSchedule(s)
	d.syncOnce(context.Background())
	mu.Lock()
	defer mu.Unlock()
	if len(fetched) != 2 || fetched[0] != shas[0] || fetched[1] != shas[1] {
		t.Fatalf("fetched %v, want what plays now (%s…) then the day-four slide (%s…)", fetched, shas[0][:8], shas[1][:8])
	}
	d.mu.Lock()
	done, total := d.syncDone, d.syncTotal
	d.mu.Unlock()
	if done != 12 || total != 12 {
		t.Fatalf("health says %d of %d bytes, want 12 of 12", done, total)
	}
}
