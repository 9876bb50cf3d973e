package cap

import "testing"

func TestPasses(t *testing.T) {
	tests := []struct {
		sev    Severity
		urg    Urgency
		minSev Severity
		minUrg Urgency
		expect bool
	}{
		{SeveritySevere, UrgencyExpected, SeveritySevere, UrgencyExpected, true},
		{SeverityExtreme, UrgencyImmediate, SeveritySevere, UrgencyExpected, true},
		{SeverityModerate, UrgencyImmediate, SeveritySevere, UrgencyExpected, false},
		{SeveritySevere, UrgencyFuture, SeveritySevere, UrgencyExpected, false},
		{SeverityMinor, UrgencyPast, SeverityMinor, UrgencyPast, true},
		{SeverityUnknown, UrgencyUnknown, SeverityMinor, "", false},
		{SeverityUnknown, UrgencyUnknown, "", "", true},
		{SeverityUnknown, UrgencyUnknown, SeverityUnknown, UrgencyUnknown, true},
		{SeverityExtreme, UrgencyUnknown, SeverityExtreme, UrgencyPast, false},
	}
	for _, tt := range tests {
		in := &Info{Severity: tt.sev, Urgency: tt.urg}
		if got := Passes(in, tt.minSev, tt.minUrg); got != tt.expect {
			t.Errorf("Passes(%s/%s, %q, %q) = %v", tt.sev, tt.urg, tt.minSev, tt.minUrg, got)
		}
	}
	if Passes(nil, "", "") {
		t.Error("a nil info passes")
	}
}

func TestPickInfo(t *testing.T) {
	a := &Alert{Infos: []Info{{Language: "en-US"}, {Language: "fr"}, {Language: "VI-vn"}, {Language: "vi"}}}
	tests := []struct {
		langs []string
		want  int
	}{
		{nil, 2},
		{[]string{"vi"}, 2},
		{[]string{"vi-VN"}, 2},
		{[]string{"de", "fr"}, 1},
		{[]string{"de"}, 0},
		{[]string{"v"}, 0}, // not a prefix match inside a subtag
		{[]string{"en"}, 0},
		{[]string{"fr-CA", "vi"}, 2}, // every exact or regional match before a language-only one
		{[]string{"fr-CA"}, 1},
	}
	for _, tt := range tests {
		if got := PickInfo(a, tt.langs...); got != &a.Infos[tt.want] {
			t.Errorf("PickInfo(%v) = %q, want %q", tt.langs, got.Language, a.Infos[tt.want].Language)
		}
	}
	if got := PickInfo(&Alert{Infos: []Info{{Language: "en-US"}, {Language: "vi"}}}, "vi-VN"); got.Language != "vi" {
		t.Errorf(`"vi-VN" fell back to %q`, got.Language)
	}
	if PickInfo(&Alert{}) != nil || PickInfo(nil) != nil {
		t.Error("PickInfo of no info is not nil")
	}
}

func TestCertaintyRank(t *testing.T) {
	if !(CertaintyObserved.Rank() > CertaintyLikely.Rank() && CertaintyLikely.Rank() > CertaintyPossible.Rank() &&
		CertaintyPossible.Rank() > CertaintyUnlikely.Rank() && CertaintyUnlikely.Rank() > CertaintyUnknown.Rank() && Certainty("").Rank() == 0) {
		t.Fatalf("ranks %d %d %d %d", CertaintyObserved.Rank(), CertaintyLikely.Rank(), CertaintyPossible.Rank(), CertaintyUnlikely.Rank())
	}
}
