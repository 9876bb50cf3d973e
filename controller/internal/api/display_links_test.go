package api

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"

	"github.com/pano-signage/pano/controller/internal/store"
)

// revokes is a hub that remembers which displays' links it was told to
// close.
type revokes struct {
	fakeHub
	mu  sync.Mutex
	ids []int64
}

func (r *revokes) Revoke(id int64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.ids = append(r.ids, id)
}

// Revoking or deleting a display closes its agent's link: either way its
// credential is gone, and a live link would outlive it.
func TestRevokingOrDeletingADisplayClosesItsLink(t *testing.T) {
	v := newEnv(t)
	hub := &revokes{}
	v.api.o.Hub = hub
	tech := v.session(v.user(store.RoleTechnician, v.unitA.ID))
	var a, b store.Display
	must(t, v.do(tech, "POST", "/displays", map[string]any{"name": "cong-phuong", "width": 64, "height": 32, "profile": "virtual"}), 201).json(t, &a)
	must(t, v.do(tech, "POST", "/displays", map[string]any{"name": "truong-hoc", "width": 64, "height": 32, "profile": "virtual"}), 201).json(t, &b)
	v.enrolAgent(a.ID)
	v.enrolAgent(b.ID)
	must(t, v.do(tech, "POST", fmt.Sprintf("/displays/%d/revoke", a.ID), nil), 204)
	must(t, v.do(tech, "DELETE", fmt.Sprintf("/displays/%d", b.ID), nil), 204)
	hub.mu.Lock()
	defer hub.mu.Unlock()
	if !slices.Contains(hub.ids, a.ID) || !slices.Contains(hub.ids, b.ID) {
		t.Fatalf("links closed for %v, want %d (revoked) and %d (deleted)", hub.ids, a.ID, b.ID)
	}
}

// A display's refused reports show on it, with the latest reason.
func TestRefusedReportsShowOnTheDisplay(t *testing.T) {
	v := newEnv(t)
	tech := v.session(v.user(store.RoleTechnician, v.unitA.ID))
	var d displayOut
	must(t, v.do(tech, "POST", "/displays", map[string]any{"name": "cong-phuong", "width": 64, "height": 32, "profile": "virtual"}), 201).json(t, &d)
	if d.Refused != nil {
		t.Fatalf("a new display shows refusals: %+v", d.Refused)
	}
	ctx := context.Background()
	if err := v.st.AddRefusals(ctx, d.ID, 3, 0, `play record "x": plan revision 9 was never sent to this display`); err != nil {
		t.Fatal(err)
	}
	if err := v.st.AddRefusals(ctx, d.ID, 0, 1, "screenshot: is a truncated or corrupt PNG"); err != nil {
		t.Fatal(err)
	}
	must(t, v.do(tech, "GET", fmt.Sprintf("/displays/%d", d.ID), nil), 200).json(t, &d)
	if d.Refused == nil || d.Refused.PlayRecords != 3 || d.Refused.Screenshots != 1 || d.Refused.LastReason != "screenshot: is a truncated or corrupt PNG" || d.Refused.LastAt == nil {
		t.Fatalf("refused: %+v", d.Refused)
	}
}
