package cap

import "strings"

// Urgency is <urgency>, ordered Immediate > Expected > Future > Past > Unknown.
type Urgency string

// Values of Urgency.
const (
	UrgencyImmediate Urgency = "Immediate"
	UrgencyExpected  Urgency = "Expected"
	UrgencyFuture    Urgency = "Future"
	UrgencyPast      Urgency = "Past"
	UrgencyUnknown   Urgency = "Unknown"
)

// Severity is <severity>, ordered Extreme > Severe > Moderate > Minor > Unknown.
type Severity string

// Values of Severity.
const (
	SeverityExtreme  Severity = "Extreme"
	SeveritySevere   Severity = "Severe"
	SeverityModerate Severity = "Moderate"
	SeverityMinor    Severity = "Minor"
	SeverityUnknown  Severity = "Unknown"
)

// Certainty is <certainty>.
type Certainty string

// Values of Certainty.
const (
	CertaintyObserved Certainty = "Observed"
	CertaintyLikely   Certainty = "Likely"
	CertaintyPossible Certainty = "Possible"
	CertaintyUnlikely Certainty = "Unlikely"
	CertaintyUnknown  Certainty = "Unknown"
)

// Highest first.
var (
	urgencies   = []Urgency{UrgencyImmediate, UrgencyExpected, UrgencyFuture, UrgencyPast, UrgencyUnknown}
	severities  = []Severity{SeverityExtreme, SeveritySevere, SeverityModerate, SeverityMinor, SeverityUnknown}
	certainties = []Certainty{CertaintyObserved, CertaintyLikely, CertaintyPossible, CertaintyUnlikely, CertaintyUnknown}
)

// rank is the place of v on its scale, higher is more; 0 for an unknown
// value or "" (the bottom, like Unknown).
func rank[T comparable](scale []T, v T) int {
	for i, s := range scale {
		if s == v {
			return len(scale) - i - 1
		}
	}
	return 0
}

// Rank is the place of u on CAP's urgency scale: 4 Immediate … 0 Unknown.
func (u Urgency) Rank() int { return rank(urgencies, u) }

// Rank is the place of s on CAP's severity scale: 4 Extreme … 0 Unknown.
func (s Severity) Rank() int { return rank(severities, s) }

// Rank is the place of c on CAP's certainty scale: 4 Observed … 0 Unknown.
func (c Certainty) Rank() int { return rank(certainties, c) }

// Valid is true for the five values CAP defines.
func (u Urgency) Valid() bool { return u == UrgencyUnknown || u.Rank() > 0 }

// Valid is true for the five values CAP defines.
func (s Severity) Valid() bool { return s == SeverityUnknown || s.Rank() > 0 }

// Passes is true when info is at least as severe as minSeverity and at
// least as urgent as minUrgency. An empty threshold (or Unknown) lets
// everything through on that scale.
func Passes(info *Info, minSeverity Severity, minUrgency Urgency) bool {
	if info == nil {
		return false
	}
	return info.Severity.Rank() >= minSeverity.Rank() && info.Urgency.Rank() >= minUrgency.Rank()
}

// PickInfo returns the info block to show: the first in the first of langs
// that has one (by default Vietnamese, "vi"), else the alert's first info
// block; nil when the alert has none. A language matches its own tag and
// its regional variants, case-insensitively: "vi" matches "vi", "vi-VN";
// "vi-VN" matches "vi-VN" first, then any Vietnamese block.
func PickInfo(a *Alert, langs ...string) *Info {
	if a == nil || len(a.Infos) == 0 {
		return nil
	}
	if len(langs) == 0 {
		langs = []string{"vi"}
	}
	for _, want := range langs {
		for i := range a.Infos {
			if langMatch(a.Infos[i].Language, want) {
				return &a.Infos[i]
			}
		}
	}
	// Then the languages themselves: "vi-VN" asked, "vi" or "vi-x" given.
	for _, want := range langs {
		primary, _, _ := strings.Cut(strings.ReplaceAll(want, "_", "-"), "-")
		for i := range a.Infos {
			if langMatch(a.Infos[i].Language, primary) {
				return &a.Infos[i]
			}
		}
	}
	return &a.Infos[0]
}

func langMatch(tag, want string) bool {
	tag, want = strings.ReplaceAll(tag, "_", "-"), strings.ReplaceAll(want, "_", "-")
	if strings.EqualFold(tag, want) {
		return true
	}
	return len(tag) > len(want) && tag[len(want)] == '-' && strings.EqualFold(tag[:len(want)], want)
}
