package capfeed

import (
	"testing"

	"github.com/pano-signage/pano/controller/internal/cap"
	"github.com/pano-signage/pano/controller/internal/store"
	"github.com/pano-signage/pano/web"
)

// TestEveryCodeInWords: every code of an alert or a poll that the
// dashboard shows has words in Vietnamese and English (the pages fall
// back to "unknown", never to the raw code).
func TestEveryCodeInWords(t *testing.T) {
	keys := []string{}
	add := func(prefix string, codes ...string) {
		for _, c := range codes {
			keys = append(keys, prefix+c)
		}
	}
	add("cap_sev_", string(cap.SeverityExtreme), string(cap.SeveritySevere), string(cap.SeverityModerate), string(cap.SeverityMinor), string(cap.SeverityUnknown))
	add("cap_urg_", string(cap.UrgencyImmediate), string(cap.UrgencyExpected), string(cap.UrgencyFuture), string(cap.UrgencyPast), string(cap.UrgencyUnknown))
	add("cap_cert_", string(cap.CertaintyObserved), string(cap.CertaintyLikely), string(cap.CertaintyPossible), string(cap.CertaintyUnlikely), string(cap.CertaintyUnknown))
	add("cap_reason_", ReasonNotActual, ReasonNotPublic, ReasonNotAlert, ReasonNoInfo, ReasonBelow, ReasonNoArea, ReasonExpired, ReasonReplaced)
	add("cap_state_", store.CAPPublished, store.CAPWaiting, store.CAPDismissed, store.CAPSkipped, store.CAPReplaced, store.CAPCancelled, store.CAPCancel)
	add("cap_poll_", store.PollOK, store.PollNotModified, store.PollError)
	add("cap_perr_", string(cap.CodeTooLarge), string(cap.CodeDoctype), string(cap.CodeTooDeep), string(cap.CodeMalformed), string(cap.CodeRoot),
		string(cap.CodeNamespace), string(cap.CodeMissing), string(cap.CodeBadValue),
		"http_status", "timeout", "network", "private_address", "bad_url", "internal", "entries_refused", "other")
	add("", "cap_unknown", "adm_cap_area_name_ph")
	for _, lang := range []string{"vi", "en"} {
		l, ok := web.ParseLang(lang)
		if !ok {
			t.Fatal(lang)
		}
		for _, k := range keys {
			if got := web.T(l, k); got == k || got == "" {
				t.Errorf("%s: no words for %s", lang, k)
			}
		}
	}
}

// TestNoticeTextSaysWhatToDo: the notice carries the alert's instruction
// after its description, so a passer-by reads what to do, not only what
// happens.
func TestNoticeTextSaysWhatToDo(t *testing.T) {
	title, body := text(&cap.Info{Event: "Bão", Headline: "Bão số 3 đổ bộ", Description: "Gió giật cấp 12.", Instruction: "Chằng chống nhà cửa, không ra đường."})
	if title != "Bão số 3 đổ bộ" || body != "Gió giật cấp 12.\nChằng chống nhà cửa, không ra đường." {
		t.Fatalf("title %q, body %q", title, body)
	}
	if _, body := text(&cap.Info{Event: "Lũ", Headline: "Lũ quét"}); body != "Lũ quét" {
		t.Fatalf("without a description or instruction: body %q", body)
	}
}
