package api

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/pano-signage/pano/controller/internal/alerts"
	"github.com/pano-signage/pano/controller/internal/store"
	"github.com/pano-signage/pano/protocol"
)

// Route is one entry of the route table. Everything about a route is here:
// the server registers it, wrap authorizes it, the OpenAPI document
// describes it and the authorization matrix test exercises it.
type Route struct {
	Method  string
	Path    string // echo syntax, :id for the one path parameter
	Name    string // OpenAPI operationId
	Tag     string
	Summary string
	// Roles that may call the route; nil means no login is needed.
	Roles []string
	// UnitScoped routes act on an object that belongs to a unit (media,
	// playlists): editors and viewers reach only their own unit's, and
	// another unit's object is 404 to them.
	UnitScoped bool
	Query      []Param
	In         any // request body type, nil for none
	// Form, when set, documents a multipart/form-data body the route takes
	// as well as (or instead of) In; a field of Type "binary" is a file.
	Form []Param
	Out  any // response body type, nil for 204 or a Produces body
	// Produces is the media type of a body that is not JSON (image/png).
	Produces string
	Status   int // success status
	handle   func(c echo.Context, p *principal) error
}

// Param is a query parameter.
type Param struct {
	Name   string
	Type   string // "integer" or "string"
	Format string // "date-time" for RFC 3339 times, else empty
	Enum   []string
	Desc   string
}

// Who may do what. An admin may also do whatever a technician or an
// approver may (issue 9), so that the one person of a small site can set it
// up alone: groups, displays, enrolment, commands, campaigns, schedules,
// approvals, urgent notices. That includes writing media and playlists:
// approvers write them too (writers), and a site whose admin could approve
// but not upload would still need a second account to put anything on a
// screen. The admin is not unit-scoped (see unitScoped), like the approver.
// Admin comes last in each list: a refusal names the roles in this order.
var (
	allRoles   = []string{store.RoleAdmin, store.RoleApprover, store.RoleEditor, store.RoleTechnician, store.RoleViewer}
	admins     = []string{store.RoleAdmin}
	approvers  = []string{store.RoleApprover, store.RoleAdmin}
	writers    = []string{store.RoleEditor, store.RoleApprover, store.RoleAdmin}
	techs      = []string{store.RoleTechnician, store.RoleAdmin}
	auditRoles = []string{store.RoleApprover, store.RoleAdmin}
)

func pagingParams(sorts map[string]string) []Param {
	return []Param{
		{Name: "q", Type: "string", Desc: "part of the title or name"},
		{Name: "sort", Type: "string", Enum: keys(sorts)},
		{Name: "order", Type: "string", Enum: []string{"asc", "desc"}},
		{Name: "limit", Type: "integer", Desc: "1 to 500, default 50"},
		{Name: "offset", Type: "integer"},
	}
}

var statusEnum = []string{store.StatusDraft, store.StatusPending, store.StatusApproved, store.StatusRejected}

// Routes is the route table.
func (a *API) Routes() []Route {
	p := Prefix
	mediaQuery := append([]Param{
		{Name: "unit_id", Type: "integer"},
		{Name: "status", Type: "string", Enum: statusEnum},
		{Name: "kind", Type: "string", Enum: []string{store.KindImage, store.KindVideo, store.KindText}},
		{Name: "campaign_id", Type: "integer"},
	}, pagingParams(store.MediaSorts)...)
	playlistQuery := append([]Param{
		{Name: "unit_id", Type: "integer"},
		{Name: "status", Type: "string", Enum: statusEnum},
		{Name: "campaign_id", Type: "integer"},
	}, pagingParams(store.PlaylistSorts)...)
	q := []Param{{Name: "q", Type: "string", Desc: "part of the name"}}
	return []Route{
		{Method: http.MethodGet, Path: p + "/openapi.json", Name: "getOpenAPI", Tag: "meta", Summary: "This API's OpenAPI 3.1 document", Out: map[string]any{}, Status: 200, handle: a.openAPI},

		{Method: http.MethodPost, Path: p + "/session", Name: "login", Tag: "session", Summary: "Log in: sets the session cookie and returns the CSRF token", In: loginIn{}, Out: sessionOut{}, Status: 200, handle: a.login},
		{Method: http.MethodDelete, Path: p + "/session", Name: "logout", Tag: "session", Summary: "Log out", Roles: allRoles, Status: 204, handle: a.logout},
		{Method: http.MethodGet, Path: p + "/me", Name: "getMe", Tag: "session", Summary: "Who is logged in, and the CSRF token", Roles: allRoles, Out: sessionOut{}, Status: 200, handle: a.me},

		{Method: http.MethodGet, Path: p + "/units", Name: "listUnits", Tag: "units", Summary: "List units", Roles: allRoles, Query: q, Out: list[store.Unit]{}, Status: 200, handle: a.listUnits},
		{Method: http.MethodPost, Path: p + "/units", Name: "createUnit", Tag: "units", Summary: "Create a unit", Roles: admins, In: unitIn{}, Out: store.Unit{}, Status: 201, handle: a.createUnit},
		{Method: http.MethodGet, Path: p + "/units/:id", Name: "getUnit", Tag: "units", Summary: "Get a unit", Roles: allRoles, Out: store.Unit{}, Status: 200, handle: a.getUnit},
		{Method: http.MethodPatch, Path: p + "/units/:id", Name: "updateUnit", Tag: "units", Summary: "Rename a unit", Roles: admins, In: unitPatch{}, Out: store.Unit{}, Status: 200, handle: a.updateUnit},
		{Method: http.MethodDelete, Path: p + "/units/:id", Name: "deleteUnit", Tag: "units", Summary: "Delete an unused unit", Roles: admins, Status: 204, handle: a.deleteUnit},

		{Method: http.MethodGet, Path: p + "/users", Name: "listUsers", Tag: "users", Summary: "List users", Roles: admins, Query: []Param{{Name: "unit_id", Type: "integer"}, {Name: "role", Type: "string", Enum: store.Roles}, {Name: "q", Type: "string"}}, Out: list[store.User]{}, Status: 200, handle: a.listUsers},
		{Method: http.MethodPost, Path: p + "/users", Name: "createUser", Tag: "users", Summary: "Create a user", Roles: admins, In: userIn{}, Out: store.User{}, Status: 201, handle: a.createUser},
		{Method: http.MethodGet, Path: p + "/users/:id", Name: "getUser", Tag: "users", Summary: "Get a user", Roles: admins, Out: store.User{}, Status: 200, handle: a.getUser},
		{Method: http.MethodPatch, Path: p + "/users/:id", Name: "updateUser", Tag: "users", Summary: "Change a user's role, unit, password or disabled flag", Roles: admins, In: userPatch{}, Out: store.User{}, Status: 200, handle: a.updateUser},
		{Method: http.MethodDelete, Path: p + "/users/:id", Name: "deleteUser", Tag: "users", Summary: "Delete a user", Roles: admins, Status: 204, handle: a.deleteUser},

		{Method: http.MethodGet, Path: p + "/settings", Name: "getSettings", Tag: "settings", Summary: "The site's settings (two_person_rule: nobody approves their own work)", Roles: allRoles, Out: store.Settings{}, Status: 200, handle: a.getSettings},
		{Method: http.MethodPatch, Path: p + "/settings", Name: "updateSettings", Tag: "settings", Summary: "Change the site's settings (audited)", Roles: admins, In: settingsIn{}, Out: store.Settings{}, Status: 200, handle: a.updateSettings},

		{Method: http.MethodGet, Path: p + "/tokens", Name: "listTokens", Tag: "tokens", Summary: "List your API tokens", Roles: allRoles, Out: list[store.APIToken]{}, Status: 200, handle: a.listTokens},
		{Method: http.MethodPost, Path: p + "/tokens", Name: "createToken", Tag: "tokens", Summary: "Create an API token (the secret is shown once)", Roles: allRoles, In: tokenIn{}, Out: tokenOut{}, Status: 201, handle: a.createToken},
		{Method: http.MethodDelete, Path: p + "/tokens/:id", Name: "revokeToken", Tag: "tokens", Summary: "Revoke one of your API tokens", Roles: allRoles, Status: 204, handle: a.revokeToken},

		{Method: http.MethodGet, Path: p + "/media", Name: "listMedia", Tag: "media", Summary: "List media, filtered and paged", Roles: allRoles, UnitScoped: true, Query: mediaQuery, Out: page[store.Media]{}, Status: 200, handle: a.listMedia},
		{Method: http.MethodPost, Path: p + "/media", Name: "createMedia", Tag: "media", Summary: "Create a draft: a text notice from JSON, or upload an image or video as multipart/form-data (fields first, the file last)", Roles: writers, UnitScoped: true, In: mediaIn{}, Form: uploadFields, Out: store.Media{}, Status: 201, handle: a.createMedia},
		{Method: http.MethodPost, Path: p + "/media/preview-text", Name: "previewText", Tag: "media", Summary: "Draw an unsaved text notice for each panel geometry (PNG as base64), saying where it scrolls as a ticker or its letters are small; nothing is stored", Roles: writers, In: previewTextIn{}, Out: list[textPreview]{}, Status: 200, handle: a.previewText},
		{Method: http.MethodGet, Path: p + "/media/:id", Name: "getMedia", Tag: "media", Summary: "Get a media with its current and approved revisions", Roles: allRoles, UnitScoped: true, Out: store.Media{}, Status: 200, handle: a.getMedia},
		{Method: http.MethodPatch, Path: p + "/media/:id", Name: "updateMedia", Tag: "media", Summary: "Edit a media (an approved one gets a new pending revision)", Roles: writers, UnitScoped: true, In: mediaPatch{}, Out: store.Media{}, Status: 200, handle: a.updateMedia},
		{Method: http.MethodPost, Path: p + "/media/:id/file", Name: "replaceMediaFile", Tag: "media", Summary: "Upload a new file for an image or video (an approved one gets a new pending revision)", Roles: writers, UnitScoped: true, Form: replaceFields, Out: store.Media{}, Status: 200, handle: a.replaceMediaFile},
		{Method: http.MethodGet, Path: p + "/media/:id/preview", Name: "previewMedia", Tag: "media", Summary: "The exact pixels a panel of this geometry shows (PNG; a video's first frame; a program at an instant, drawn by the agent's code)", Roles: allRoles, UnitScoped: true, Query: mediaPreviewQuery, Produces: "image/png", Status: 200, handle: a.previewMedia},
		{Method: http.MethodGet, Path: p + "/media/:id/rendition", Name: "renditionFile", Tag: "media", Summary: "The stored rendition for a display geometry, as agents get it: PNG, or for a video a ZIP of PNG frames (application/vnd.pano.frames+zip)", Roles: allRoles, UnitScoped: true, Query: previewQuery, Produces: "application/octet-stream", Status: 200, handle: a.renditionFile},
		{Method: http.MethodGet, Path: p + "/media/:id/thumbnail", Name: "thumbnailMedia", Tag: "media", Summary: "A small PNG for lists", Roles: allRoles, UnitScoped: true, Produces: "image/png", Status: 200, handle: a.thumbnailMedia},
		{Method: http.MethodDelete, Path: p + "/media/:id", Name: "deleteMedia", Tag: "media", Summary: "Delete a media no playlist uses", Roles: writers, UnitScoped: true, Status: 204, handle: a.deleteMedia},
		{Method: http.MethodPost, Path: p + "/media/:id/submit", Name: "submitMedia", Tag: "media", Summary: "Submit a draft or rejected media for approval", Roles: writers, UnitScoped: true, Out: store.Media{}, Status: 200, handle: a.submitMedia},
		{Method: http.MethodPost, Path: p + "/media/:id/withdraw", Name: "withdrawMedia", Tag: "media", Summary: "Take a pending media back to draft (to change it before it is decided)", Roles: writers, UnitScoped: true, Out: store.Media{}, Status: 200, handle: a.withdrawMedia},
		{Method: http.MethodPost, Path: p + "/media/:id/approve", Name: "approveMedia", Tag: "media", Summary: "Approve a pending media", Roles: approvers, UnitScoped: true, Out: store.Media{}, Status: 200, handle: a.approveMedia},
		{Method: http.MethodPost, Path: p + "/media/:id/reject", Name: "rejectMedia", Tag: "media", Summary: "Reject a pending media with a reason", Roles: approvers, UnitScoped: true, In: rejectIn{}, Out: store.Media{}, Status: 200, handle: a.rejectMedia},

		{Method: http.MethodGet, Path: p + "/playlists", Name: "listPlaylists", Tag: "playlists", Summary: "List playlists, filtered and paged", Roles: allRoles, UnitScoped: true, Query: playlistQuery, Out: page[store.Playlist]{}, Status: 200, handle: a.listPlaylists},
		{Method: http.MethodPost, Path: p + "/playlists", Name: "createPlaylist", Tag: "playlists", Summary: "Create a playlist (a draft)", Roles: writers, UnitScoped: true, In: playlistIn{}, Out: store.Playlist{}, Status: 201, handle: a.createPlaylist},
		{Method: http.MethodGet, Path: p + "/playlists/:id", Name: "getPlaylist", Tag: "playlists", Summary: "Get a playlist with its current and approved revisions", Roles: allRoles, UnitScoped: true, Out: store.Playlist{}, Status: 200, handle: a.getPlaylist},
		{Method: http.MethodPatch, Path: p + "/playlists/:id", Name: "updatePlaylist", Tag: "playlists", Summary: "Edit a playlist (an approved one gets a new pending revision)", Roles: writers, UnitScoped: true, In: playlistPatch{}, Out: store.Playlist{}, Status: 200, handle: a.updatePlaylist},
		{Method: http.MethodDelete, Path: p + "/playlists/:id", Name: "deletePlaylist", Tag: "playlists", Summary: "Delete a playlist no schedule uses", Roles: writers, UnitScoped: true, Status: 204, handle: a.deletePlaylist},
		{Method: http.MethodPost, Path: p + "/playlists/:id/submit", Name: "submitPlaylist", Tag: "playlists", Summary: "Submit a draft or rejected playlist for approval", Roles: writers, UnitScoped: true, Out: store.Playlist{}, Status: 200, handle: a.submitPlaylist},
		{Method: http.MethodPost, Path: p + "/playlists/:id/withdraw", Name: "withdrawPlaylist", Tag: "playlists", Summary: "Take a pending playlist back to draft before it is decided", Roles: writers, UnitScoped: true, Out: store.Playlist{}, Status: 200, handle: a.withdrawPlaylist},
		{Method: http.MethodPost, Path: p + "/playlists/:id/approve", Name: "approvePlaylist", Tag: "playlists", Summary: "Approve a pending playlist whose media are approved", Roles: approvers, UnitScoped: true, Out: store.Playlist{}, Status: 200, handle: a.approvePlaylist},
		{Method: http.MethodPost, Path: p + "/playlists/:id/reject", Name: "rejectPlaylist", Tag: "playlists", Summary: "Reject a pending playlist with a reason", Roles: approvers, UnitScoped: true, In: rejectIn{}, Out: store.Playlist{}, Status: 200, handle: a.rejectPlaylist},

		{Method: http.MethodGet, Path: p + "/campaigns", Name: "listCampaigns", Tag: "campaigns", Summary: "List campaigns", Roles: allRoles, Query: q, Out: list[store.Campaign]{}, Status: 200, handle: a.listCampaigns},
		{Method: http.MethodPost, Path: p + "/campaigns", Name: "createCampaign", Tag: "campaigns", Summary: "Create a campaign with its themes", Roles: approvers, In: campaignIn{}, Out: store.Campaign{}, Status: 201, handle: a.createCampaign},
		{Method: http.MethodGet, Path: p + "/campaigns/:id", Name: "getCampaign", Tag: "campaigns", Summary: "Get a campaign", Roles: allRoles, Out: store.Campaign{}, Status: 200, handle: a.getCampaign},
		{Method: http.MethodPatch, Path: p + "/campaigns/:id", Name: "updateCampaign", Tag: "campaigns", Summary: "Change a campaign", Roles: approvers, In: campaignPatch{}, Out: store.Campaign{}, Status: 200, handle: a.updateCampaign},
		{Method: http.MethodDelete, Path: p + "/campaigns/:id", Name: "deleteCampaign", Tag: "campaigns", Summary: "Delete a campaign", Roles: approvers, Status: 204, handle: a.deleteCampaign},

		{Method: http.MethodGet, Path: p + "/groups", Name: "listGroups", Tag: "groups", Summary: "List display groups", Roles: allRoles, Query: q, Out: list[store.Group]{}, Status: 200, handle: a.listGroups},
		{Method: http.MethodPost, Path: p + "/groups", Name: "createGroup", Tag: "groups", Summary: "Create a display group", Roles: techs, In: groupIn{}, Out: store.Group{}, Status: 201, handle: a.createGroup},
		{Method: http.MethodGet, Path: p + "/groups/:id", Name: "getGroup", Tag: "groups", Summary: "Get a display group", Roles: allRoles, Out: store.Group{}, Status: 200, handle: a.getGroup},
		{Method: http.MethodGet, Path: p + "/groups/:id/timeline", Name: "getGroupTimeline", Tag: "schedules", Summary: "What the group's own entries play when (see getDisplayTimeline), on the plan of one of its displays", Roles: allRoles, Query: timelineQuery, Out: timelineOut{}, Status: 200, handle: a.groupTimeline},
		{Method: http.MethodGet, Path: p + "/groups/:id/power-brightness", Name: "getGroupPowerBrightness", Tag: "groups", Summary: "When the group's screens are on and how bright (power and brightness windows, day/night levels), and which of its displays lack coordinates", Roles: allRoles, Out: powerBrightnessOut{}, Status: 200, handle: a.groupPowerBrightness},
		{Method: http.MethodPut, Path: p + "/groups/:id/power-brightness", Name: "setGroupPowerBrightness", Tag: "groups", Summary: "Set the group's power and brightness windows and day/night levels (day/night needs every display's coordinates)", Roles: techs, In: powerBrightnessIn{}, Out: powerBrightnessOut{}, Status: 200, handle: a.setGroupPowerBrightness},
		{Method: http.MethodDelete, Path: p + "/groups/:id/power-brightness", Name: "clearGroupPowerBrightness", Tag: "groups", Summary: "Remove the group's power and brightness setting: always on, the panels' own level", Roles: techs, Status: 204, handle: a.clearGroupPowerBrightness},
		{Method: http.MethodPatch, Path: p + "/groups/:id", Name: "updateGroup", Tag: "groups", Summary: "Rename a display group", Roles: techs, In: groupIn{}, Out: store.Group{}, Status: 200, handle: a.updateGroup},
		{Method: http.MethodDelete, Path: p + "/groups/:id", Name: "deleteGroup", Tag: "groups", Summary: "Delete a display group", Roles: techs, Status: 204, handle: a.deleteGroup},

		{Method: http.MethodGet, Path: p + "/displays", Name: "listDisplays", Tag: "displays", Summary: "List displays with live status", Roles: allRoles, Query: []Param{{Name: "group_id", Type: "integer"}, {Name: "q", Type: "string"},
			{Name: "state", Type: "string", Enum: displayStates}, {Name: "limit", Type: "integer"}, {Name: "offset", Type: "integer"},
			{Name: "brief", Type: "string", Enum: []string{"true", "false"}, Desc: "true: without now_playing, which reads every display's plan"}}, Out: displayPage{}, Status: 200, handle: a.listDisplays},
		{Method: http.MethodPost, Path: p + "/displays", Name: "createDisplay", Tag: "displays", Summary: "Create a display", Roles: techs, In: displayIn{}, Out: displayOut{}, Status: 201, handle: a.createDisplay},
		{Method: http.MethodGet, Path: p + "/displays/:id", Name: "getDisplay", Tag: "displays", Summary: "Get a display with live status", Roles: allRoles, Out: displayOut{}, Status: 200, handle: a.getDisplay},
		{Method: http.MethodPatch, Path: p + "/displays/:id", Name: "updateDisplay", Tag: "displays", Summary: "Change a display", Roles: techs, In: displayPatch{}, Out: displayOut{}, Status: 200, handle: a.updateDisplay},
		{Method: http.MethodGet, Path: p + "/displays/:id/power-brightness", Name: "getDisplayPowerBrightness", Tag: "displays", Summary: "The display's power and brightness rule in force: its own, or its group's (inherited_from_group)", Roles: allRoles, Out: powerBrightnessOut{}, Status: 200, handle: a.displayPowerBrightness},
		{Method: http.MethodPut, Path: p + "/displays/:id/power-brightness", Name: "setDisplayPowerBrightness", Tag: "displays", Summary: "Give the display its own power and brightness rule, replacing its group's (day/night needs its coordinates)", Roles: techs, In: powerBrightnessIn{}, Out: powerBrightnessOut{}, Status: 200, handle: a.setDisplayPowerBrightness},
		{Method: http.MethodDelete, Path: p + "/displays/:id/power-brightness", Name: "clearDisplayPowerBrightness", Tag: "displays", Summary: "Drop the display's own power and brightness rule: it follows its group's again", Roles: techs, Status: 204, handle: a.clearDisplayPowerBrightness},
		{Method: http.MethodDelete, Path: p + "/displays/:id", Name: "deleteDisplay", Tag: "displays", Summary: "Delete a display", Roles: techs, Status: 204, handle: a.deleteDisplay},
		{Method: http.MethodPost, Path: p + "/displays/:id/revoke", Name: "revokeDisplay", Tag: "displays", Summary: "Revoke the display's agent credential; its agent stops until enrolled again", Roles: techs, Status: 204, handle: a.revokeDisplay},
		{Method: http.MethodPost, Path: p + "/displays/:id/commands", Name: "sendCommand", Tag: "displays", Summary: "Send a remote command (identify, blank, brightness, …); waits up to 10 s for the agent's answer (200), else 202 with pending", Roles: techs, In: commandIn{}, Out: commandOut{}, Status: 202, handle: a.sendCommand},
		{Method: http.MethodGet, Path: p + "/displays/:id/screenshot", Name: "getScreenshot", Tag: "displays", Summary: "The display's latest screenshot (PNG at panel resolution)", Roles: allRoles, Status: 200, handle: a.getScreenshot},
		{Method: http.MethodGet, Path: p + "/displays/:id/plan", Name: "getDisplayPlan", Tag: "displays", Summary: "The display's current plan and the revision its agent runs", Roles: allRoles, Out: planOut{}, Status: 200, handle: a.getDisplayPlan},
		{Method: http.MethodGet, Path: p + "/displays/:id/timeline", Name: "getDisplayTimeline", Tag: "schedules", Summary: "What the display plays when: blocks per schedule entry and window, with the entries that overlapped and lost, computed by the agents' evaluator on the display's plan", Roles: allRoles, Query: timelineQuery, Out: timelineOut{}, Status: 200, handle: a.displayTimeline},
		{Method: http.MethodGet, Path: p + "/play-records", Name: "listPlayRecords", Tag: "reports", Summary: "Proof of play: what played where and when, oldest first", Roles: allRoles, Query: []Param{
			{Name: "display_id", Type: "integer"}, {Name: "campaign_id", Type: "integer"}, {Name: "media_id", Type: "integer"},
			{Name: "from", Type: "string", Format: "date-time", Desc: "RFC 3339, inclusive"}, {Name: "to", Type: "string", Format: "date-time", Desc: "RFC 3339, exclusive"}, {Name: "limit", Type: "integer", Desc: "1 to 10000, default 1000"},
		}, Out: list[protocol.PlayRecord]{}, Status: 200, handle: a.listPlayRecords},
		{Method: http.MethodGet, Path: p + "/urgent-notices", Name: "listUrgentNotices", Tag: "urgent", Summary: "Urgent notices, newest first (live=true: only those on screens now)", Roles: allRoles, Query: []Param{{Name: "live", Type: "string", Enum: []string{"true", "false"}}}, Out: list[store.UrgentNotice]{}, Status: 200, handle: a.listUrgent},
		{Method: http.MethodPost, Path: p + "/urgent-notices", Name: "createUrgentNotice", Tag: "urgent", Summary: "Show an approved media, or a text notice composed now (text, title, style), on every display (or those of some groups and some displays) above every schedule, now, for some minutes or until ends_at", Roles: approvers, In: urgentIn{}, Out: store.UrgentNotice{}, Status: 201, handle: a.createUrgent},
		{Method: http.MethodPost, Path: p + "/urgent-notices/:id/cancel", Name: "cancelUrgentNotice", Tag: "urgent", Summary: "End an urgent notice now", Roles: approvers, Out: store.UrgentNotice{}, Status: 200, handle: a.cancelUrgent},
		{Method: http.MethodGet, Path: p + "/cap-feeds", Name: "listCAPFeeds", Tag: "cap", Summary: "CAP emergency feeds with their last poll (and whether feeds on private addresses are fetched)", Roles: admins, Out: capFeedList{}, Status: 200, handle: a.listCAPFeeds},
		{Method: http.MethodPost, Path: p + "/cap-feeds", Name: "createCAPFeed", Tag: "cap", Summary: "Register a CAP feed (a CAP 1.2 alert, or an Atom or RSS feed of alerts): interval, thresholds, auto-publish or approval, areas mapped to groups", Roles: admins, In: capFeedIn{}, Out: store.CAPFeed{}, Status: 201, handle: a.createCAPFeed},
		{Method: http.MethodGet, Path: p + "/cap-feeds/:id", Name: "getCAPFeed", Tag: "cap", Summary: "Get a CAP feed", Roles: admins, Out: store.CAPFeed{}, Status: 200, handle: a.getCAPFeed},
		{Method: http.MethodPut, Path: p + "/cap-feeds/:id", Name: "updateCAPFeed", Tag: "cap", Summary: "Replace a CAP feed's settings and areas", Roles: admins, In: capFeedIn{}, Out: store.CAPFeed{}, Status: 200, handle: a.updateCAPFeed},
		{Method: http.MethodDelete, Path: p + "/cap-feeds/:id", Name: "deleteCAPFeed", Tag: "cap", Summary: "Delete a CAP feed (the alerts it brought stay)", Roles: admins, Status: 204, handle: a.deleteCAPFeed},
		{Method: http.MethodPost, Path: p + "/cap-feeds/:id/poll", Name: "pollCAPFeed", Tag: "cap", Summary: "Poll a CAP feed now; the answer is the feed with this poll's result", Roles: admins, Out: store.CAPFeed{}, Status: 200, handle: a.pollCAPFeed},
		{Method: http.MethodGet, Path: p + "/cap-alerts", Name: "listCAPAlerts", Tag: "cap", Summary: "CAP alerts seen, newest first (state=waiting: those waiting for an approver)", Roles: approvers, Query: []Param{{Name: "state", Type: "string", Enum: []string{store.CAPPublished, store.CAPWaiting, store.CAPDismissed, store.CAPSkipped, store.CAPReplaced, store.CAPCancelled, store.CAPCancel}}}, Out: list[store.CAPAlert]{}, Status: 200, handle: a.listCAPAlerts},
		{Method: http.MethodPost, Path: p + "/cap-alerts/:id/publish", Name: "publishCAPAlert", Tag: "cap", Summary: "Send a waiting CAP alert as an urgent notice to the displays its area matched, until it expires", Roles: approvers, Out: store.CAPAlert{}, Status: 200, handle: a.publishCAPAlert},
		{Method: http.MethodPost, Path: p + "/cap-alerts/:id/dismiss", Name: "dismissCAPAlert", Tag: "cap", Summary: "Do not show a waiting CAP alert", Roles: approvers, Out: store.CAPAlert{}, Status: 200, handle: a.dismissCAPAlert},
		{Method: http.MethodGet, Path: p + "/displays/:id/health", Name: "getDisplayHealth", Tag: "displays", Summary: "The display's health history (a sample per 30 s, kept 48 h) from from to to; default the last 24 h", Roles: allRoles,
			Query: []Param{{Name: "from", Type: "string", Format: "date-time"}, {Name: "to", Type: "string", Format: "date-time"}}, Out: healthOut{}, Status: 200, handle: a.getDisplayHealth},
		{Method: http.MethodGet, Path: p + "/events", Name: "streamEvents", Tag: "displays", Summary: "Server-sent events (text/event-stream): display (a display's state, health or screenshot changed; read it again), alerts, and reload (too many displays changed at once to name them; read them all again); a comment every 20 s keeps it open", Roles: allRoles, Status: 200, handle: a.streamEvents},
		{Method: http.MethodGet, Path: p + "/profiles", Name: "listProfiles", Tag: "displays", Summary: "The bundled firmware profiles, for the add-display form", Roles: allRoles, Out: list[profileOut]{}, Status: 200, handle: a.listProfiles},
		{Method: http.MethodGet, Path: p + "/alerts", Name: "listAlerts", Tag: "displays", Summary: "Screens gone dark: open alerts (offline, frozen, storage, driver) oldest first, then recently resolved ones", Roles: allRoles, Out: list[alerts.Alert]{}, Status: 200, handle: a.listAlerts},
		{Method: http.MethodGet, Path: p + "/reports/plays", Name: "playReport", Tag: "reports", Summary: "Proof of play summed by campaign, theme, unit, display, media or day, with whose plays it holds (format=csv for a spreadsheet)", Roles: allRoles, Query: []Param{
			{Name: "group_by", Type: "string", Enum: store.ReportGroups()}, {Name: "format", Type: "string", Enum: []string{"json", "csv"}},
			{Name: "lang", Type: "string", Enum: []string{"vi", "en"}, Desc: "language of the CSV's headings (default vi)"},
			{Name: "display_id", Type: "integer"}, {Name: "campaign_id", Type: "integer"}, {Name: "media_id", Type: "integer"},
			{Name: "from", Type: "string", Format: "date-time", Desc: "RFC 3339, inclusive"}, {Name: "to", Type: "string", Format: "date-time", Desc: "RFC 3339, exclusive"},
		}, Out: reportOut{}, Status: 200, handle: a.playReport},
		{Method: http.MethodPost, Path: p + "/displays/:id/enrollment-codes", Name: "createEnrollmentCode", Tag: "displays", Summary: "Create a one-time enrolment code (shown once)", Roles: techs, Out: enrolmentOut{}, Status: 201, handle: a.createEnrolmentCode},

		{Method: http.MethodGet, Path: p + "/schedules", Name: "listSchedules", Tag: "schedules", Summary: "List schedule entries", Roles: allRoles, Query: []Param{{Name: "playlist_id", Type: "integer"}, {Name: "group_id", Type: "integer"}, {Name: "display_id", Type: "integer"}}, Out: list[store.Schedule]{}, Status: 200, handle: a.listSchedules},
		{Method: http.MethodPost, Path: p + "/schedules", Name: "createSchedule", Tag: "schedules", Summary: "Schedule an approved playlist", Roles: approvers, In: scheduleIn{}, Out: store.Schedule{}, Status: 201, handle: a.createSchedule},
		{Method: http.MethodGet, Path: p + "/schedules/:id", Name: "getSchedule", Tag: "schedules", Summary: "Get a schedule entry", Roles: allRoles, Out: store.Schedule{}, Status: 200, handle: a.getSchedule},
		{Method: http.MethodPatch, Path: p + "/schedules/:id", Name: "updateSchedule", Tag: "schedules", Summary: "Change a schedule entry", Roles: approvers, In: schedulePatch{}, Out: store.Schedule{}, Status: 200, handle: a.updateSchedule},
		{Method: http.MethodDelete, Path: p + "/schedules/:id", Name: "deleteSchedule", Tag: "schedules", Summary: "Delete a schedule entry", Roles: approvers, Status: 204, handle: a.deleteSchedule},

		{Method: http.MethodGet, Path: p + "/audit", Name: "listAudit", Tag: "audit", Summary: "Read the audit log, newest first", Roles: auditRoles, Query: []Param{
			{Name: "action", Type: "string"}, {Name: "object_type", Type: "string"}, {Name: "object_id", Type: "integer"},
			{Name: "actor_id", Type: "integer"}, {Name: "actor", Type: "string", Desc: "the actor's user name"},
			{Name: "from", Type: "string", Format: "date-time", Desc: "RFC 3339, inclusive"}, {Name: "to", Type: "string", Format: "date-time", Desc: "RFC 3339, exclusive"},
			{Name: "before_id", Type: "integer", Desc: "paging: events older than this id"}, {Name: "limit", Type: "integer"},
		}, Out: list[store.AuditEvent]{}, Status: 200, handle: a.listAudit},
	}
}

// Token scopes (issue 12.8): the one place that says which scope a route
// needs from an API token. Reading (GET) needs read; a change needs the
// scope of what it changes, by the route's tag. A token never does more
// than its owner's role (Roles above still apply) nor more than its scopes.
// A tag not listed needs admin, so that a new kind of route is closed to
// tokens until someone decides.
var scopeOfTag = map[string]string{
	"media": store.ScopeContent, "playlists": store.ScopeContent, "campaigns": store.ScopeContent,
	"schedules": store.ScopeContent, "urgent": store.ScopeContent,
	"displays": store.ScopeDevices, "groups": store.ScopeDevices,
	"units": store.ScopeAdmin, "users": store.ScopeAdmin, "settings": store.ScopeAdmin, "cap": store.ScopeAdmin,
	"tokens":  store.ScopeAdmin, // revoking by token; creating by token is refused
	"session": store.ScopeRead,  // logout: a token has no session to end
}

// scopeOfRoute overrides the tag for routes whose tag mixes kinds.
var scopeOfRoute = map[string]string{
	"publishCAPAlert": store.ScopeContent, // an approver's decision on content
	"dismissCAPAlert": store.ScopeContent,
}

// scopeOf returns the scope an API token needs to call rt.
func scopeOf(rt Route) string {
	if isSafe(rt.Method) {
		return store.ScopeRead
	}
	if s, ok := scopeOfRoute[rt.Name]; ok {
		return s
	}
	if s, ok := scopeOfTag[rt.Tag]; ok {
		return s
	}
	return store.ScopeAdmin
}
