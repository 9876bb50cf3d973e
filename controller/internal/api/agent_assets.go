package api

import (
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/pano-signage/pano/assets"
	"github.com/pano-signage/pano/controller/internal/auth"
	"github.com/pano-signage/pano/controller/internal/store"
)

// AgentAssetGrace is how long after a display took a newer plan it may
// still fetch the assets of the older one.
const AgentAssetGrace = time.Hour

// agentAsset is GET /agent/v1/assets/{sha256}: a rendition's bytes for an
// agent that sends its device credential as a bearer token. Only hashes of
// ready renditions are served (never originals or anything else in the
// asset store), and only those the display's plans name. Range requests resume downloads; the ETag is the hash, so
// it is strong and never changes, and the file is immutable.
func (a *API) agentAsset(c echo.Context) error {
	ctx := ctxOf(c)
	tok, ok := strings.CutPrefix(c.Request().Header.Get("Authorization"), "Bearer ")
	if !ok || tok == "" {
		return errf(http.StatusUnauthorized, "unauthenticated", "send the device credential as 'Authorization: Bearer SECRET'")
	}
	d, err := a.o.Store.DisplayByCredential(ctx, auth.HashToken(tok))
	if errors.Is(err, store.ErrNotFound) {
		return errf(http.StatusUnauthorized, "unauthenticated", "the device credential is unknown or revoked; enrol the agent again")
	} else if err != nil {
		return err
	}
	sha := c.Param("sha256")
	if !assets.ValidSHA256(sha) {
		return errf(http.StatusNotFound, "not_found", "%q is not a SHA-256 in lower-case hex", sha)
	}
	// Only what the display's own plans name: one it may still play, or one
	// it moved past within AgentAssetGrace (a download of the previous
	// plan's asset finishes). Anything else is "no rendition", whether or
	// not it exists.
	mine, err := a.o.Store.DisplayMayFetch(ctx, d.ID, sha, a.o.Now().Add(-AgentAssetGrace))
	if err != nil {
		return err
	}
	known, mime := false, ""
	if mine {
		if known, mime, err = a.o.Store.AssetBySHA(ctx, sha); err != nil {
			return err
		}
	}
	if !known {
		return errf(http.StatusNotFound, "not_found", "no rendition has the hash %s", sha)
	}
	// Recorded but missing would be an internal error: ours, not the agent's.
	return a.serveAsset(c, sha, mime, "private, immutable")
}
