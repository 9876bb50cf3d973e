package api

import (
	"context"
	"testing"

	"github.com/pano-signage/pano/controller/internal/store"
)

// The displays list says how many of a display's reports were refused, so
// the technician's card can tell (the single display said it already).
func TestDisplayListSaysWhatWasRefused(t *testing.T) {
	v := newEnv(t)
	tech := v.session(v.user(store.RoleTechnician, v.unitA.ID))
	id := v.display()
	if err := v.st.AddRefusals(context.Background(), id, 2, 1, "media 9 is not in revision 3"); err != nil {
		t.Fatal(err)
	}
	var page struct {
		Items []struct {
			ID      int64           `json:"id"`
			Refused *store.Refusals `json:"refused"`
		} `json:"items"`
	}
	must(t, v.do(tech, "GET", "/displays", nil), 200).json(t, &page)
	for _, d := range page.Items {
		if d.ID == id {
			if d.Refused == nil || d.Refused.PlayRecords != 2 || d.Refused.Screenshots != 1 || d.Refused.LastReason == "" {
				t.Fatalf("refused %+v", d.Refused)
			}
			return
		}
	}
	t.Fatal("the display is not listed")
}
