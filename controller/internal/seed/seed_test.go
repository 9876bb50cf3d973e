package seed

import (
	"context"
	"testing"

	"github.com/pano-signage/pano/controller/internal/auth"
	"github.com/pano-signage/pano/controller/internal/store"
)

func TestDemoSeedsOnceAndLogsIn(t *testing.T) {
	ctx := context.Background()
	st, err := store.Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	p := auth.Params{Memory: 1024, Time: 1, Threads: 1}
	if did, err := Demo(ctx, st, p); err != nil || !did {
		t.Fatalf("first seed: %v, %v", did, err)
	}
	if did, err := Demo(ctx, st, p); err != nil || did {
		t.Fatalf("second seed: %v, %v; want nothing done", did, err)
	}
	for _, l := range Logins {
		u, err := st.UserByName(ctx, l.Name)
		if err != nil || u.Role != l.Role || u.UnitName != l.Unit {
			t.Fatalf("%s: %+v, %v", l.Name, u, err)
		}
		if err := auth.CheckPassword(u.PasswordHash, DemoPassword); err != nil {
			t.Fatalf("%s: %v", l.Name, err)
		}
	}
	cs, _ := st.Campaigns(ctx, "57-NQ/TW")
	if len(cs) != 1 || len(cs[0].Themes) != 5 {
		t.Fatalf("campaign: %+v", cs)
	}
	if gs, _ := st.Groups(ctx, ""); len(gs) != 3 {
		t.Fatalf("groups: %+v", gs)
	}
	if _, brk, err := st.VerifyAudit(ctx); brk != nil || err != nil {
		t.Fatalf("audit: %v %v", brk, err)
	}
}
