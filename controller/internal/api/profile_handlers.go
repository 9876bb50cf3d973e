package api

import (
	"net/http"

	"github.com/labstack/echo/v4"

	profiles "github.com/pano-signage/pano/firmware-profiles"
)

// profileOut is a bundled firmware profile as the add-screen form lists it.
type profileOut struct {
	Name        string `json:"name"`
	Description string `json:"description"`
	Driver      string `json:"driver"`
	Width       int    `json:"width,omitempty"` // its default panel size, when it says one
	Height      int    `json:"height,omitempty"`
}

func (a *API) listProfiles(c echo.Context, _ *principal) error {
	out := []profileOut{}
	for _, n := range profiles.Names() {
		p, err := profiles.Load(n, nil)
		if err != nil {
			return err // a bundled profile that does not load is a build bug; its test says which
		}
		o := profileOut{Name: p.Name, Description: p.Description, Driver: p.Driver}
		o.Width, _ = p.Int("width")
		o.Height, _ = p.Int("height")
		out = append(out, o)
	}
	return c.JSON(http.StatusOK, list[profileOut]{Items: out})
}
