package api

import (
	"context"
	"fmt"
	"net/http"

	"github.com/pano-signage/pano/assets"
)

// checkQuota refuses an upload to a unit that holds its quota of the asset
// store already (before the file is read), or would hold more with o
// (after: o is discarded). The message says how much is used and what to
// do; nothing is lost but the refused upload.
func (a *API) checkQuota(ctx context.Context, unit int64, o *assets.Original) error {
	quota := a.o.UnitQuota
	u, err := a.o.Store.Unit(ctx, unit)
	if err != nil {
		return storeErr(err, "unit", unit)
	}
	if u.StorageQuotaMiB != nil {
		quota = *u.StorageQuotaMiB << 20
	}
	if quota <= 0 {
		return nil
	}
	used, err := a.o.Store.UnitStorageBytes(ctx, unit)
	if err != nil {
		return err
	}
	adding := int64(0)
	if o != nil {
		adding = o.Size
		for _, r := range o.Renditions {
			adding += int64(len(r.Data))
		}
	}
	if used+adding <= quota && (o != nil || used < quota) {
		return nil
	}
	if o != nil {
		a.discard(o)
	}
	more := "it is full"
	if o != nil {
		more = fmt.Sprintf("this file needs %d MiB more", mib(adding))
	}
	return errf(http.StatusInsufficientStorage, "quota_exceeded",
		"%s stores %d MiB of its %d MiB quota and %s: delete media the unit no longer needs (drafts and rejected items first) or ask an administrator to raise the unit's quota",
		u.Name, mib(used), mib(quota), more).
		with("used_mib", mib(used)).with("quota_mib", mib(quota)).with("file_mib", mib(adding))
}

// mib rounds bytes up to whole MiB, so that a little is never "0 MiB".
func mib(n int64) int64 { return (n + 1<<20 - 1) >> 20 }
