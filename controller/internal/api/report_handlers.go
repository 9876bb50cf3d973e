package api

import (
	"encoding/csv"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/pano-signage/pano/controller/internal/store"
	"github.com/pano-signage/pano/protocol"
	"github.com/pano-signage/pano/web"
)

// reportScope says whose proof of play a report holds, so the page can
// say it: every unit's, or only the caller's unit's.
type reportScope struct {
	All      bool   `json:"all"`
	UnitID   int64  `json:"unit_id"`
	UnitName string `json:"unit_name"`
}

// reportOut is a play report with its scope.
type reportOut struct {
	Items []store.PlaySummary `json:"items"`
	Scope reportScope         `json:"scope"`
}

// playScope returns the units whose plays p may read (nil: all) and the
// scope to show. Editors and viewers see their own unit's plays, unless
// their unit is the lead unit, which coordinates and reports on the whole
// campaign; the other roles see every unit's.
func (a *API) playScope(c echo.Context, p *principal) ([]int64, reportScope, error) {
	u, err := a.o.Store.Unit(ctxOf(c), p.User.UnitID)
	if err != nil {
		return nil, reportScope{}, storeErr(err, "unit", p.User.UnitID)
	}
	sc := reportScope{UnitID: u.ID, UnitName: u.Name}
	units := p.units()
	if units != nil && u.Lead {
		units = nil
	}
	sc.All = units == nil
	return units, sc, nil
}

// playFilter reads the filters that proof-of-play routes share.
func playFilter(q *query, units []int64) store.PlayFilter {
	return store.PlayFilter{DisplayID: q.id("display_id"), CampaignID: q.id("campaign_id"), MediaID: q.id("media_id"),
		From: q.time("from"), To: q.time("to"), UnitIDs: units}
}

func (a *API) listPlayRecords(c echo.Context, p *principal) error {
	units, _, err := a.playScope(c, p)
	if err != nil {
		return err
	}
	q := &query{c: c}
	f := playFilter(q, units)
	f.Limit = q.intIn("limit", 1000, 1, 10000)
	if q.err != nil {
		return q.err
	}
	recs, err := a.o.Store.PlayRecords(ctxOf(c), f)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, list[protocol.PlayRecord]{Items: recs})
}

// csvHeads are a CSV report's column heads in lang: the grouping's
// column, then the rest, in the words of the report page
// (web/i18n_reports.go), so that the file and the page never disagree.
func csvHeads(lang web.Lang, by string) []string {
	out := []string{web.T(lang, "csv_"+by)}
	for _, k := range []string{"csv_id", "col_plays", "col_airtime", "csv_seconds", "col_first", "col_last"} {
		out = append(out, web.T(lang, k))
	}
	return out
}

// csvText makes a cell that a spreadsheet program shows as the text it
// is. Names and titles are typed by any unit's editors, and a cell that
// starts with = + - @ (or a tab or carriage return) would be read as a
// formula, e.g. =HYPERLINK(…), by whoever opens the file; a leading '
// keeps it text (OWASP, "CSV Injection").
func csvText(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

// hms writes seconds as h:mm:ss, as people read airtime.
func hms(sec float64) string {
	n := int64(sec + 0.5)
	return fmt.Sprintf("%d:%02d:%02d", n/3600, n/60%60, n%60)
}

// playReport sums proof of play by campaign, theme, unit, display, media or
// day, as JSON or, with format=csv, as a spreadsheet with headings in the
// page's language (lang, Vietnamese by default) and local times.
func (a *API) playReport(c echo.Context, p *principal) error {
	units, scope, err := a.playScope(c, p)
	if err != nil {
		return err
	}
	q := &query{c: c}
	f := playFilter(q, units)
	by := q.oneOf("group_by", store.ReportGroups()...)
	format := q.oneOf("format", "json", "csv")
	lang := q.oneOf("lang", "vi", "en")
	if q.err != nil {
		return q.err
	}
	if by == "" {
		by = "campaign"
	}
	if lang == "" {
		lang = "vi"
	}
	_, offset := a.o.Now().In(a.o.Location).Zone()
	rows, err := a.o.Store.PlayReport(ctxOf(c), by, f, time.Duration(offset)*time.Second)
	if err != nil {
		return err
	}
	if format != "csv" {
		return c.JSON(http.StatusOK, reportOut{Items: rows, Scope: scope})
	}
	c.Response().Header().Set(echo.HeaderContentType, "text/csv; charset=utf-8")
	c.Response().Header().Set(echo.HeaderContentDisposition, `attachment; filename="bao-cao-phat-`+by+`.csv"`)
	c.Response().WriteHeader(http.StatusOK)
	// A byte-order mark so spreadsheet programs read the Vietnamese as UTF-8.
	c.Response().Write([]byte("\ufeff"))
	w := csv.NewWriter(c.Response())
	w.Write(csvHeads(web.Lang(lang), by))
	const local = "2006-01-02 15:04:05"
	for _, r := range rows {
		label := r.Label
		if r.Key == "" {
			label = web.T(web.Lang(lang), "rep_none_"+by) // as the page names it
		}
		w.Write([]string{csvText(label), csvText(r.Key), strconv.Itoa(r.Plays), hms(r.Seconds), strconv.FormatFloat(r.Seconds, 'f', 0, 64),
			r.First.In(a.o.Location).Format(local), r.Last.In(a.o.Location).Format(local)})
	}
	w.Flush()
	return w.Error()
}
