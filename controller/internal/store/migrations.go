package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
)

// migrations is append-only: never edit or reorder an entry that has been
// released, add a new one. The schema version is the number applied, and each
// migration runs in its own transaction together with the version bump.
var migrations = []string{
	// 1: agents seen on the websocket, by name. Enrolment (issue: agent
	// runtime) ties them to displays.
	`CREATE TABLE agents (
		name          TEXT PRIMARY KEY,
		agent_version TEXT NOT NULL,
		profile       TEXT NOT NULL,
		panel_width   INTEGER NOT NULL,
		panel_height  INTEGER NOT NULL,
		remote_addr   TEXT NOT NULL,
		first_seen    TEXT NOT NULL, -- RFC 3339, UTC
		last_seen     TEXT NOT NULL  -- RFC 3339, UTC
	) STRICT;`,

	// 2: the controller core (issue 3): units, users and their sessions and
	// API tokens, media and playlists with revisions, campaigns, display
	// groups, displays with enrolment, schedules and the audit log.
	//
	// Times are RFC 3339 UTC text. Media and playlists keep every revision:
	// approved_revision_id is what screens play, current_revision_id is the
	// newest edit, which may be pending while the approved one keeps playing.
	`CREATE TABLE units (
		id         INTEGER PRIMARY KEY,
		name       TEXT NOT NULL UNIQUE COLLATE NOCASE,
		kind       TEXT NOT NULL DEFAULT '',
		created_at TEXT NOT NULL
	) STRICT;

	CREATE TABLE users (
		id            INTEGER PRIMARY KEY,
		unit_id       INTEGER NOT NULL REFERENCES units (id),
		name          TEXT NOT NULL UNIQUE COLLATE NOCASE,
		role          TEXT NOT NULL CHECK (role IN ('admin', 'approver', 'editor', 'technician', 'viewer')),
		password_hash TEXT NOT NULL,
		disabled      INTEGER NOT NULL DEFAULT 0,
		created_at    TEXT NOT NULL
	) STRICT;

	CREATE TABLE sessions (
		token_hash  TEXT PRIMARY KEY, -- SHA-256 of the cookie value, hex
		user_id     INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
		csrf_token  TEXT NOT NULL,
		remote_addr TEXT NOT NULL,
		created_at  TEXT NOT NULL,
		last_seen   TEXT NOT NULL
	) STRICT;
	CREATE INDEX sessions_user ON sessions (user_id);

	CREATE TABLE api_tokens (
		id           INTEGER PRIMARY KEY,
		user_id      INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
		name         TEXT NOT NULL,
		token_hash   TEXT NOT NULL UNIQUE, -- SHA-256 of the token, hex
		prefix       TEXT NOT NULL,        -- first characters, to recognise it
		created_at   TEXT NOT NULL,
		last_used_at TEXT,
		revoked_at   TEXT
	) STRICT;

	CREATE TABLE campaigns (
		id         INTEGER PRIMARY KEY,
		unit_id    INTEGER NOT NULL REFERENCES units (id),
		name       TEXT NOT NULL,
		starts_on  TEXT NOT NULL, -- YYYY-MM-DD
		ends_on    TEXT NOT NULL, -- YYYY-MM-DD, inclusive
		created_at TEXT NOT NULL
	) STRICT;

	CREATE TABLE campaign_themes (
		id          INTEGER PRIMARY KEY,
		campaign_id INTEGER NOT NULL REFERENCES campaigns (id) ON DELETE CASCADE,
		position    INTEGER NOT NULL,
		title       TEXT NOT NULL,
		UNIQUE (campaign_id, position)
	) STRICT;

	CREATE TABLE media (
		id                   INTEGER PRIMARY KEY,
		unit_id              INTEGER NOT NULL REFERENCES units (id),
		campaign_id          INTEGER REFERENCES campaigns (id) ON DELETE SET NULL,
		theme_id             INTEGER REFERENCES campaign_themes (id) ON DELETE SET NULL,
		created_by           INTEGER REFERENCES users (id) ON DELETE SET NULL,
		created_at           TEXT NOT NULL,
		current_revision_id  INTEGER,
		approved_revision_id INTEGER
	) STRICT;

	CREATE TABLE media_revisions (
		id                  INTEGER PRIMARY KEY,
		media_id            INTEGER NOT NULL REFERENCES media (id) ON DELETE CASCADE,
		number              INTEGER NOT NULL,
		status              TEXT NOT NULL CHECK (status IN ('draft', 'pending', 'approved', 'rejected')),
		reject_reason       TEXT NOT NULL DEFAULT '',
		title               TEXT NOT NULL,
		kind                TEXT NOT NULL CHECK (kind IN ('image', 'video', 'text')),
		body                TEXT NOT NULL DEFAULT '', -- text notices
		sha256              TEXT NOT NULL DEFAULT '', -- uploaded file, hex
		mime                TEXT NOT NULL DEFAULT '',
		bytes               INTEGER NOT NULL DEFAULT 0,
		width               INTEGER NOT NULL DEFAULT 0,
		height              INTEGER NOT NULL DEFAULT 0,
		duration_ms         INTEGER NOT NULL DEFAULT 0,
		original_name       TEXT NOT NULL DEFAULT '',
		processing          TEXT NOT NULL DEFAULT 'ready' CHECK (processing IN ('processing', 'ready', 'failed')),
		processing_progress INTEGER NOT NULL DEFAULT 100,
		created_by          INTEGER REFERENCES users (id) ON DELETE SET NULL,
		created_at          TEXT NOT NULL,
		decided_by          INTEGER REFERENCES users (id) ON DELETE SET NULL,
		decided_at          TEXT,
		UNIQUE (media_id, number)
	) STRICT;
	CREATE INDEX media_revisions_sha256 ON media_revisions (sha256) WHERE sha256 != '';

	CREATE TABLE playlists (
		id                   INTEGER PRIMARY KEY,
		unit_id              INTEGER NOT NULL REFERENCES units (id),
		campaign_id          INTEGER REFERENCES campaigns (id) ON DELETE SET NULL,
		created_by           INTEGER REFERENCES users (id) ON DELETE SET NULL,
		created_at           TEXT NOT NULL,
		current_revision_id  INTEGER,
		approved_revision_id INTEGER
	) STRICT;

	CREATE TABLE playlist_revisions (
		id            INTEGER PRIMARY KEY,
		playlist_id   INTEGER NOT NULL REFERENCES playlists (id) ON DELETE CASCADE,
		number        INTEGER NOT NULL,
		status        TEXT NOT NULL CHECK (status IN ('draft', 'pending', 'approved', 'rejected')),
		reject_reason TEXT NOT NULL DEFAULT '',
		name          TEXT NOT NULL,
		created_by    INTEGER REFERENCES users (id) ON DELETE SET NULL,
		created_at    TEXT NOT NULL,
		decided_by    INTEGER REFERENCES users (id) ON DELETE SET NULL,
		decided_at    TEXT,
		UNIQUE (playlist_id, number)
	) STRICT;

	CREATE TABLE playlist_items (
		revision_id INTEGER NOT NULL REFERENCES playlist_revisions (id) ON DELETE CASCADE,
		position    INTEGER NOT NULL,
		media_id    INTEGER NOT NULL REFERENCES media (id),
		duration_ms INTEGER NOT NULL CHECK (duration_ms > 0),
		PRIMARY KEY (revision_id, position)
	) STRICT;
	CREATE INDEX playlist_items_media ON playlist_items (media_id);

	CREATE TABLE display_groups (
		id         INTEGER PRIMARY KEY,
		name       TEXT NOT NULL UNIQUE COLLATE NOCASE,
		created_at TEXT NOT NULL
	) STRICT;

	CREATE TABLE displays (
		id         INTEGER PRIMARY KEY,
		name       TEXT NOT NULL UNIQUE, -- also the agent's --name
		location   TEXT NOT NULL DEFAULT '',
		width      INTEGER NOT NULL CHECK (width > 0),
		height     INTEGER NOT NULL CHECK (height > 0),
		fit        TEXT NOT NULL CHECK (fit IN ('contain', 'cover', 'stretch')),
		profile    TEXT NOT NULL,
		group_id   INTEGER REFERENCES display_groups (id) ON DELETE SET NULL,
		enrolment  TEXT NOT NULL DEFAULT 'pending' CHECK (enrolment IN ('pending', 'enrolled', 'revoked')),
		created_at TEXT NOT NULL
	) STRICT;

	CREATE TABLE enrolment_codes (
		id         INTEGER PRIMARY KEY,
		display_id INTEGER NOT NULL REFERENCES displays (id) ON DELETE CASCADE,
		code_hash  TEXT NOT NULL UNIQUE, -- SHA-256 of the code, hex
		created_by INTEGER REFERENCES users (id) ON DELETE SET NULL,
		created_at TEXT NOT NULL,
		expires_at TEXT NOT NULL,
		used_at    TEXT
	) STRICT;

	CREATE TABLE device_credentials (
		id          INTEGER PRIMARY KEY,
		display_id  INTEGER NOT NULL REFERENCES displays (id) ON DELETE CASCADE,
		secret_hash TEXT NOT NULL UNIQUE, -- SHA-256 of the secret, hex
		created_at  TEXT NOT NULL,
		revoked_at  TEXT
	) STRICT;

	CREATE TABLE schedules (
		id          INTEGER PRIMARY KEY,
		playlist_id INTEGER NOT NULL REFERENCES playlists (id),
		group_id    INTEGER REFERENCES display_groups (id) ON DELETE CASCADE,
		display_id  INTEGER REFERENCES displays (id) ON DELETE CASCADE,
		starts_on   TEXT NOT NULL,           -- YYYY-MM-DD
		ends_on     TEXT NOT NULL,           -- YYYY-MM-DD, inclusive
		weekdays    INTEGER NOT NULL CHECK (weekdays BETWEEN 1 AND 127), -- bit 0 = Monday
		start_time  TEXT NOT NULL,           -- HH:MM local time
		end_time    TEXT NOT NULL,           -- HH:MM, exclusive; "24:00" = end of day
		priority    INTEGER NOT NULL DEFAULT 0,
		created_by  INTEGER REFERENCES users (id) ON DELETE SET NULL,
		created_at  TEXT NOT NULL,
		CHECK ((group_id IS NULL) != (display_id IS NULL))
	) STRICT;

	CREATE TABLE audit_events (
		id          INTEGER PRIMARY KEY,
		at          TEXT NOT NULL,
		actor_id    INTEGER,            -- no foreign key: the log outlives users
		actor_name  TEXT NOT NULL,
		remote_addr TEXT NOT NULL,
		action      TEXT NOT NULL,
		object_type TEXT NOT NULL,
		object_id   INTEGER,
		detail      TEXT NOT NULL,      -- JSON object
		prev_hash   TEXT NOT NULL,
		hash        TEXT NOT NULL
	) STRICT;
	CREATE INDEX audit_events_object ON audit_events (object_type, object_id);
	-- Append-only: the controller never changes or removes an event. Someone
	-- with the file can drop these triggers; the hash chain then shows it.
	CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
		BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END;
	CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
		BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END;`,

	// 3: the content pipeline (issue 4). One rendition per media revision
	// and panel geometry: the exact pixels that geometry shows, a file in
	// the asset store named by sha256. The rows are also the job queue:
	// 'queued' and 'processing' rows are work to do, and a restart puts
	// 'processing' back to 'queued'. Contain uses a black background.
	// width and height are the panel's; file_width is the file's (a ticker
	// strip is wider than the panel). A text notice's style (colours,
	// alignment, ticker) is JSON in media_revisions.notice.
	`CREATE TABLE renditions (
		id                INTEGER PRIMARY KEY,
		media_revision_id INTEGER NOT NULL REFERENCES media_revisions (id) ON DELETE CASCADE,
		width             INTEGER NOT NULL CHECK (width > 0),
		height            INTEGER NOT NULL CHECK (height > 0),
		fit               TEXT NOT NULL CHECK (fit IN ('contain', 'cover', 'stretch')),
		status            TEXT NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'processing', 'ready', 'failed')),
		progress          INTEGER NOT NULL DEFAULT 0 CHECK (progress BETWEEN 0 AND 100),
		error             TEXT NOT NULL DEFAULT '',
		sha256            TEXT NOT NULL DEFAULT '', -- of the file, hex; '' until ready
		kind              TEXT NOT NULL DEFAULT '' CHECK (kind IN ('', 'image', 'video')),
		mime              TEXT NOT NULL DEFAULT '',
		bytes             INTEGER NOT NULL DEFAULT 0,
		file_width        INTEGER NOT NULL DEFAULT 0,
		file_height       INTEGER NOT NULL DEFAULT 0,
		fps               INTEGER NOT NULL DEFAULT 0, -- video
		frames            INTEGER NOT NULL DEFAULT 0, -- video
		duration_ms       INTEGER NOT NULL DEFAULT 0, -- video; a ticker's loop
		ticker_pps        INTEGER NOT NULL DEFAULT 0, -- scrolling text: pixels per second
		created_at        TEXT NOT NULL,
		updated_at        TEXT NOT NULL,
		UNIQUE (media_revision_id, width, height, fit)
	) STRICT;
	CREATE INDEX renditions_queue ON renditions (status, id) WHERE status IN ('queued', 'processing');
	CREATE INDEX renditions_sha256 ON renditions (sha256) WHERE sha256 != '';
	ALTER TABLE media_revisions ADD COLUMN notice TEXT NOT NULL DEFAULT '';`,

	// 4: the agent runtime — each display's compiled plan, its agent's last
	// report and screenshot, and proof of play.
	`CREATE TABLE display_plans (
		display_id     INTEGER PRIMARY KEY REFERENCES displays (id) ON DELETE CASCADE,
		revision       INTEGER NOT NULL,
		digest         TEXT NOT NULL,    -- SHA-256 of the plan without revision and time
		plan           TEXT NOT NULL,    -- protocol.Plan, JSON
		acked_revision INTEGER NOT NULL DEFAULT 0,
		updated_at     TEXT NOT NULL
	) STRICT;
	CREATE TABLE display_status (
		display_id    INTEGER PRIMARY KEY REFERENCES displays (id) ON DELETE CASCADE,
		health        TEXT,             -- protocol.Health, JSON
		health_at     TEXT,
		screenshot    BLOB,             -- PNG at panel resolution
		screenshot_at TEXT
	) STRICT;
	CREATE TABLE play_records (
		id            TEXT PRIMARY KEY, -- the agent's; a resent record is ignored
		display_id    INTEGER NOT NULL, -- no foreign key: reports outlive a removed display
		plan_revision INTEGER NOT NULL,
		schedule_id   INTEGER NOT NULL,
		item          INTEGER NOT NULL,
		media_id      INTEGER NOT NULL,
		campaign_id   INTEGER,
		started_at    TEXT NOT NULL,    -- RFC 3339, UTC
		ended_at      TEXT NOT NULL,
		received_at   TEXT NOT NULL
	) STRICT;
	CREATE INDEX play_records_display_time ON play_records (display_id, started_at);
	CREATE INDEX play_records_campaign_time ON play_records (campaign_id, started_at);`,

	// 5: urgent notices — an approved media shown on every screen (or a
	// group's) above every schedule, from when it is sent until it expires
	// or is cancelled.
	`CREATE TABLE urgent_notices (
		id           INTEGER PRIMARY KEY,
		media_id     INTEGER NOT NULL REFERENCES media (id),
		group_id     INTEGER REFERENCES display_groups (id) ON DELETE CASCADE, -- NULL: every display
		starts_at    TEXT NOT NULL,
		ends_at      TEXT NOT NULL,
		cancelled_at TEXT,
		created_by   INTEGER REFERENCES users (id) ON DELETE SET NULL,
		created_at   TEXT NOT NULL
	) STRICT;`,

	// 6: the lead unit (the ward's culture office) coordinates the campaign
	// and reports on it: its people see every unit's proof of play.
	`ALTER TABLE units ADD COLUMN lead INTEGER NOT NULL DEFAULT 0 CHECK (lead IN (0, 1));`,

	// 7: urgent notices aimed at several groups or several displays. A
	// notice reaches every display (every_display), or the displays of
	// its targets; urgent_notices.group_id is kept for old rows only (its
	// value moved to urgent_targets). A notice whose targets are all
	// deleted reaches nothing: never every display by accident.
	`ALTER TABLE urgent_notices ADD COLUMN every_display INTEGER NOT NULL DEFAULT 0 CHECK (every_display IN (0, 1));
	UPDATE urgent_notices SET every_display = 1 WHERE group_id IS NULL;
	CREATE TABLE urgent_targets (
		urgent_id  INTEGER NOT NULL REFERENCES urgent_notices (id) ON DELETE CASCADE,
		group_id   INTEGER REFERENCES display_groups (id) ON DELETE CASCADE,
		display_id INTEGER REFERENCES displays (id) ON DELETE CASCADE,
		CHECK ((group_id IS NULL) <> (display_id IS NULL))
	) STRICT;
	CREATE INDEX urgent_targets_notice ON urgent_targets (urgent_id);
	INSERT INTO urgent_targets (urgent_id, group_id) SELECT id, group_id FROM urgent_notices WHERE group_id IS NOT NULL;`,

	// 8: health history — a sample of each display's health at most every
	// 30 s, kept 48 h, for the technicians' 24 h charts.
	`CREATE TABLE health_samples (
		display_id      INTEGER NOT NULL REFERENCES displays (id) ON DELETE CASCADE,
		at              TEXT NOT NULL,    -- RFC 3339, UTC, when the controller received it
		fps             REAL NOT NULL,
		target_fps      REAL NOT NULL,
		clock_offset_ms REAL NOT NULL,
		cpu_temp_c      REAL,             -- NULL where the board has no sensor
		sync_done       INTEGER NOT NULL, -- bytes of the next 48 h's content on the agent
		sync_total      INTEGER NOT NULL,
		frozen          INTEGER NOT NULL, -- 0 or 1
		storage_error   INTEGER NOT NULL,
		driver_error    INTEGER NOT NULL,
		PRIMARY KEY (display_id, at)
	) STRICT, WITHOUT ROWID;
	CREATE INDEX health_samples_at ON health_samples (at);`,

	// 9: an agent belongs to the display it enrolled for, by id: matched by
	// name, a new display that reused a deleted one's name inherited its
	// "last seen", and a renamed display lost its own. A display's delete
	// detaches its agents. Existing rows are matched by name, but only to
	// a display created before the agent was last seen.
	`ALTER TABLE agents ADD COLUMN display_id INTEGER REFERENCES displays (id) ON DELETE SET NULL;
	UPDATE agents SET display_id = (SELECT d.id FROM displays d
		WHERE d.name = agents.name AND julianday(d.created_at) <= julianday(agents.last_seen));
	CREATE INDEX agents_display ON agents (display_id);`,

	// 10: where a display stands, for sunrise and sunset and for warnings
	// aimed at an area (both or neither).
	`ALTER TABLE displays ADD COLUMN latitude REAL CHECK (latitude BETWEEN -90 AND 90);
	ALTER TABLE displays ADD COLUMN longitude REAL CHECK (longitude BETWEEN -180 AND 180);`,

	// 11: scheduling in depth — an entry's several daily windows (JSON
	// [{"from","until"}], '' = the one window start_time–end_time, which
	// holds the first daypart for old clients) and weight (share of voice);
	// a media's validity dates (YYYY-MM-DD inclusive, '' = open); power and
	// brightness rules of a group or a display (JSON, see PowerBrightness).
	`ALTER TABLE schedules ADD COLUMN dayparts TEXT NOT NULL DEFAULT '';
	ALTER TABLE schedules ADD COLUMN weight INTEGER NOT NULL DEFAULT 1 CHECK (weight BETWEEN 1 AND 100);
	ALTER TABLE media ADD COLUMN valid_from TEXT NOT NULL DEFAULT '';
	ALTER TABLE media ADD COLUMN valid_until TEXT NOT NULL DEFAULT '';
	CREATE TABLE power_brightness (
		id         INTEGER PRIMARY KEY,
		group_id   INTEGER UNIQUE REFERENCES display_groups (id) ON DELETE CASCADE,
		display_id INTEGER UNIQUE REFERENCES displays (id) ON DELETE CASCADE,
		power      TEXT NOT NULL, -- JSON [{"weekdays","from","until"}]
		brightness TEXT NOT NULL, -- JSON [{"weekdays","from","until","percent"}]
		day_night  TEXT NOT NULL, -- JSON {"day","night"} or 'null'
		updated_by INTEGER REFERENCES users (id) ON DELETE SET NULL,
		updated_at TEXT NOT NULL,
		CHECK ((group_id IS NULL) != (display_id IS NULL))
	) STRICT;`,

	// 12: urgent notices composed on the spot, and CAP emergency feeds. A
	// media made for one urgent notice (made_for 'urgent') stays out of
	// the content list. A feed's areas map an <areaDesc> name or a
	// <geocode> value to a group; cap_alerts keeps every alert seen, by
	// sender, identifier and sent, so a restart never sends one twice.
	`ALTER TABLE media ADD COLUMN made_for TEXT NOT NULL DEFAULT '' CHECK (made_for IN ('', 'urgent'));
	CREATE TABLE cap_feeds (
		id              INTEGER PRIMARY KEY,
		name            TEXT NOT NULL UNIQUE COLLATE NOCASE,
		url             TEXT NOT NULL,
		interval_s      INTEGER NOT NULL CHECK (interval_s >= 30),
		min_severity    TEXT NOT NULL DEFAULT '',
		min_urgency     TEXT NOT NULL DEFAULT '',
		min_certainty   TEXT NOT NULL DEFAULT '',
		auto_publish    INTEGER NOT NULL DEFAULT 0,
		languages       TEXT NOT NULL DEFAULT 'vi',
		match_points    INTEGER NOT NULL DEFAULT 1,
		default_minutes INTEGER NOT NULL DEFAULT 120 CHECK (default_minutes BETWEEN 1 AND 10080),
		unit_id         INTEGER NOT NULL REFERENCES units (id),
		etag            TEXT NOT NULL DEFAULT '',
		last_modified   TEXT NOT NULL DEFAULT '',
		last_poll_at    TEXT,
		last_result     TEXT NOT NULL DEFAULT '',
		last_error_code TEXT NOT NULL DEFAULT '',
		last_error      TEXT NOT NULL DEFAULT '',
		next_poll_at    TEXT NOT NULL,
		created_by      INTEGER REFERENCES users (id) ON DELETE SET NULL,
		created_at      TEXT NOT NULL
	) STRICT;
	CREATE TABLE cap_feed_areas (
		feed_id  INTEGER NOT NULL REFERENCES cap_feeds (id) ON DELETE CASCADE,
		kind     TEXT NOT NULL CHECK (kind IN ('desc', 'geocode')),
		name     TEXT NOT NULL DEFAULT '',
		value    TEXT NOT NULL,
		group_id INTEGER NOT NULL REFERENCES display_groups (id) ON DELETE CASCADE
	) STRICT;
	CREATE INDEX cap_feed_areas_feed ON cap_feed_areas (feed_id);
	CREATE TABLE cap_alerts (
		id          INTEGER PRIMARY KEY,
		feed_id     INTEGER REFERENCES cap_feeds (id) ON DELETE SET NULL,
		identifier  TEXT NOT NULL,
		sender      TEXT NOT NULL,
		sent        TEXT NOT NULL,
		msg_type    TEXT NOT NULL,
		state       TEXT NOT NULL,
		reason      TEXT NOT NULL DEFAULT '',
		event       TEXT NOT NULL DEFAULT '',
		headline    TEXT NOT NULL DEFAULT '',
		body        TEXT NOT NULL DEFAULT '',
		language    TEXT NOT NULL DEFAULT '',
		severity    TEXT NOT NULL DEFAULT '',
		urgency     TEXT NOT NULL DEFAULT '',
		certainty   TEXT NOT NULL DEFAULT '',
		expires_at  TEXT,
		group_ids   TEXT NOT NULL DEFAULT '',
		display_ids TEXT NOT NULL DEFAULT '',
		refs        TEXT NOT NULL DEFAULT '',
		urgent_id   INTEGER REFERENCES urgent_notices (id) ON DELETE SET NULL,
		decided_by  INTEGER REFERENCES users (id) ON DELETE SET NULL,
		decided_at  TEXT,
		received_at TEXT NOT NULL,
		UNIQUE (sender, identifier, sent)
	) STRICT;
	CREATE INDEX cap_alerts_ref ON cap_alerts (sender, identifier);
	CREATE INDEX cap_alerts_state ON cap_alerts (state);`,

	// 13: a CAP alert is seen once per feed, not once in all: the same
	// alert through a national and a provincial feed reaches the groups
	// of both maps. (SQLite cannot change a UNIQUE constraint: the table
	// is rebuilt; nothing references it.)
	`CREATE TABLE cap_alerts_13 (
		id          INTEGER PRIMARY KEY,
		feed_id     INTEGER REFERENCES cap_feeds (id) ON DELETE SET NULL,
		identifier  TEXT NOT NULL,
		sender      TEXT NOT NULL,
		sent        TEXT NOT NULL,
		msg_type    TEXT NOT NULL,
		state       TEXT NOT NULL,
		reason      TEXT NOT NULL DEFAULT '',
		event       TEXT NOT NULL DEFAULT '',
		headline    TEXT NOT NULL DEFAULT '',
		body        TEXT NOT NULL DEFAULT '',
		language    TEXT NOT NULL DEFAULT '',
		severity    TEXT NOT NULL DEFAULT '',
		urgency     TEXT NOT NULL DEFAULT '',
		certainty   TEXT NOT NULL DEFAULT '',
		expires_at  TEXT,
		group_ids   TEXT NOT NULL DEFAULT '',
		display_ids TEXT NOT NULL DEFAULT '',
		refs        TEXT NOT NULL DEFAULT '',
		urgent_id   INTEGER REFERENCES urgent_notices (id) ON DELETE SET NULL,
		decided_by  INTEGER REFERENCES users (id) ON DELETE SET NULL,
		decided_at  TEXT,
		received_at TEXT NOT NULL,
		UNIQUE (feed_id, sender, identifier, sent)
	) STRICT;
	INSERT INTO cap_alerts_13 SELECT id, feed_id, identifier, sender, sent, msg_type, state, reason, event, headline, body, language,
		severity, urgency, certainty, expires_at, group_ids, display_ids, refs, urgent_id, decided_by, decided_at, received_at FROM cap_alerts;
	DROP TABLE cap_alerts;
	ALTER TABLE cap_alerts_13 RENAME TO cap_alerts;
	CREATE INDEX cap_alerts_ref ON cap_alerts (sender, identifier);
	CREATE INDEX cap_alerts_state ON cap_alerts (state);`,

	// 14: proof of play and asset fetches are checked against the plans a
	// display was sent: every revision is kept with when it was made, when
	// a newer one was made and when the display acknowledged a newer one
	// (from then on it no longer plays it), with the assets it names. Play
	// record ids are the agent's, unique per display only (one display
	// cannot pre-empt another's record). Refused reports are counted per
	// display. (SQLite cannot change a primary key: play_records is
	// rebuilt; nothing references it.)
	`CREATE TABLE display_plan_history (
		display_id    INTEGER NOT NULL REFERENCES displays (id) ON DELETE CASCADE,
		revision      INTEGER NOT NULL,
		plan          TEXT NOT NULL,    -- protocol.Plan, JSON
		created_at    TEXT NOT NULL,
		superseded_at TEXT,             -- a newer revision was made
		replaced_at   TEXT,             -- the display acknowledged a newer revision
		PRIMARY KEY (display_id, revision)
	) STRICT;
	CREATE TABLE display_plan_assets (
		display_id INTEGER NOT NULL,
		revision   INTEGER NOT NULL,
		sha256     TEXT NOT NULL,
		PRIMARY KEY (display_id, sha256, revision),
		FOREIGN KEY (display_id, revision) REFERENCES display_plan_history (display_id, revision) ON DELETE CASCADE
	) STRICT, WITHOUT ROWID;
	CREATE INDEX display_plan_assets_revision ON display_plan_assets (display_id, revision);
	INSERT INTO display_plan_history (display_id, revision, plan, created_at)
		SELECT display_id, revision, plan, updated_at FROM display_plans;
	INSERT OR IGNORE INTO display_plan_assets (display_id, revision, sha256)
		SELECT p.display_id, p.revision, json_extract(a.value, '$.sha256') FROM display_plans p, json_each(p.plan, '$.assets') a;
	CREATE TABLE display_refusals (
		display_id   INTEGER PRIMARY KEY REFERENCES displays (id) ON DELETE CASCADE,
		play_records INTEGER NOT NULL DEFAULT 0, -- records refused: not what the display's plans could have played
		screenshots  INTEGER NOT NULL DEFAULT 0, -- screenshots refused: not a PNG, truncated, or too large
		last_reason  TEXT NOT NULL DEFAULT '',
		last_at      TEXT
	) STRICT;
	CREATE TABLE play_records_14 (
		id            TEXT NOT NULL,    -- the agent's; a resent record is ignored
		display_id    INTEGER NOT NULL, -- no foreign key: reports outlive a removed display
		plan_revision INTEGER NOT NULL,
		schedule_id   INTEGER NOT NULL,
		item          INTEGER NOT NULL,
		media_id      INTEGER NOT NULL,
		campaign_id   INTEGER,
		started_at    TEXT NOT NULL,    -- RFC 3339, UTC
		ended_at      TEXT NOT NULL,
		received_at   TEXT NOT NULL,
		PRIMARY KEY (display_id, id)
	) STRICT;
	INSERT INTO play_records_14 SELECT id, display_id, plan_revision, schedule_id, item, media_id, campaign_id, started_at, ended_at, received_at
		FROM play_records;
	DROP TABLE play_records;
	ALTER TABLE play_records_14 RENAME TO play_records;
	CREATE INDEX play_records_display_time ON play_records (display_id, started_at);
	CREATE INDEX play_records_campaign_time ON play_records (campaign_id, started_at);`,

	// 15: programs (issue 11). A media of kind 'program' is a layout of
	// windows (media, ticker, clock, date, countdown) as JSON in program;
	// the kind CHECK changes, so the table is rebuilt (with foreign keys
	// off: dropping it would otherwise cascade to its renditions). A
	// program compiled for a display is a file in the asset store named in
	// program_files, which agents may fetch.
	foreignKeysOff + `
	CREATE TABLE media_revisions_15 (
		id                  INTEGER PRIMARY KEY,
		media_id            INTEGER NOT NULL REFERENCES media (id) ON DELETE CASCADE,
		number              INTEGER NOT NULL,
		status              TEXT NOT NULL CHECK (status IN ('draft', 'pending', 'approved', 'rejected')),
		reject_reason       TEXT NOT NULL DEFAULT '',
		title               TEXT NOT NULL,
		kind                TEXT NOT NULL CHECK (kind IN ('image', 'video', 'text', 'program')),
		body                TEXT NOT NULL DEFAULT '', -- text notices
		sha256              TEXT NOT NULL DEFAULT '', -- uploaded file, hex
		mime                TEXT NOT NULL DEFAULT '',
		bytes               INTEGER NOT NULL DEFAULT 0,
		width               INTEGER NOT NULL DEFAULT 0,
		height              INTEGER NOT NULL DEFAULT 0,
		duration_ms         INTEGER NOT NULL DEFAULT 0,
		original_name       TEXT NOT NULL DEFAULT '',
		processing          TEXT NOT NULL DEFAULT 'ready' CHECK (processing IN ('processing', 'ready', 'failed')),
		processing_progress INTEGER NOT NULL DEFAULT 100,
		created_by          INTEGER REFERENCES users (id) ON DELETE SET NULL,
		created_at          TEXT NOT NULL,
		decided_by          INTEGER REFERENCES users (id) ON DELETE SET NULL,
		decided_at          TEXT,
		notice              TEXT NOT NULL DEFAULT '',
		program             TEXT NOT NULL DEFAULT '', -- programs: the layout, JSON
		UNIQUE (media_id, number)
	) STRICT;
	INSERT INTO media_revisions_15 (id, media_id, number, status, reject_reason, title, kind, body, sha256, mime, bytes, width, height,
		duration_ms, original_name, processing, processing_progress, created_by, created_at, decided_by, decided_at, notice)
	SELECT id, media_id, number, status, reject_reason, title, kind, body, sha256, mime, bytes, width, height,
		duration_ms, original_name, processing, processing_progress, created_by, created_at, decided_by, decided_at, notice
	FROM media_revisions;
	DROP TABLE media_revisions;
	ALTER TABLE media_revisions_15 RENAME TO media_revisions;
	CREATE INDEX media_revisions_sha256 ON media_revisions (sha256) WHERE sha256 != '';
	CREATE TABLE program_files (
		sha256     TEXT PRIMARY KEY, -- of the program JSON, hex
		bytes      INTEGER NOT NULL,
		created_at TEXT NOT NULL
	) STRICT;`,

	// 16: hardening (issue 12.6, 12.8). Site settings (the two-person
	// rule; a missing row is the default). Who had a hand in each
	// revision — created, edited or submitted it — so that none of them
	// approves it; existing revisions count their creator and, from the
	// audit log, their submitter. API tokens get an expiry (tokens made
	// before it expire 90 days from this migration) and scopes (old
	// tokens keep every scope, still bounded by their owner's role).
	`CREATE TABLE site_settings (
		name       TEXT PRIMARY KEY,
		value      TEXT NOT NULL,
		updated_by INTEGER REFERENCES users (id) ON DELETE SET NULL,
		updated_at TEXT NOT NULL
	) STRICT;
	CREATE TABLE media_revision_authors (
		revision_id INTEGER NOT NULL REFERENCES media_revisions (id) ON DELETE CASCADE,
		user_id     INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
		PRIMARY KEY (revision_id, user_id)
	) STRICT;
	CREATE TABLE playlist_revision_authors (
		revision_id INTEGER NOT NULL REFERENCES playlist_revisions (id) ON DELETE CASCADE,
		user_id     INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
		PRIMARY KEY (revision_id, user_id)
	) STRICT;
	INSERT OR IGNORE INTO media_revision_authors (revision_id, user_id)
		SELECT id, created_by FROM media_revisions WHERE created_by IN (SELECT id FROM users);
	INSERT OR IGNORE INTO playlist_revision_authors (revision_id, user_id)
		SELECT id, created_by FROM playlist_revisions WHERE created_by IN (SELECT id FROM users);
	INSERT OR IGNORE INTO media_revision_authors (revision_id, user_id)
		SELECT json_extract(detail, '$.revision_id'), actor_id FROM audit_events
		WHERE action = 'media.submit' AND actor_id IN (SELECT id FROM users)
			AND json_extract(detail, '$.revision_id') IN (SELECT id FROM media_revisions);
	INSERT OR IGNORE INTO playlist_revision_authors (revision_id, user_id)
		SELECT json_extract(detail, '$.revision_id'), actor_id FROM audit_events
		WHERE action = 'playlist.submit' AND actor_id IN (SELECT id FROM users)
			AND json_extract(detail, '$.revision_id') IN (SELECT id FROM playlist_revisions);
	ALTER TABLE api_tokens ADD COLUMN expires_at TEXT NOT NULL DEFAULT '';
	UPDATE api_tokens SET expires_at = strftime('%Y-%m-%dT%H:%M:%SZ', 'now', '+90 days');
	ALTER TABLE api_tokens ADD COLUMN scopes TEXT NOT NULL DEFAULT 'read content devices admin';`,

	// 17: a unit's own storage quota in MiB (issue 12.3); NULL: the site's
	// default (serve --unit-quota-mib).
	`ALTER TABLE units ADD COLUMN storage_quota_mib INTEGER;`,

	// 18: a new plan revision marks the display's older ones superseded
	// and prunes those past keeping, and an ack marks them replaced: each
	// looks at every revision the display has. Their times come after the
	// plan's text in a row; this index holds them beside the key, so those
	// scans read no plan (issue 14: 10,000 new plans at once).
	`CREATE INDEX display_plan_history_times ON display_plan_history (display_id, revision, superseded_at, replaced_at);`,
	// 19: failed logins and enrolments, shared by every replica on one
	// database (issue 15): a guesser cannot spread attempts over replicas,
	// and any replica serves any browser. key_hash is the SHA-256 (hex) of the
	// throttle's key, which holds account names and addresses; at is Unix
	// nanoseconds (compared as numbers: RFC 3339 text with trimmed
	// fractions does not sort).
	`CREATE TABLE login_failures (
		id  INTEGER PRIMARY KEY,
		key_hash TEXT NOT NULL,
		at  INTEGER NOT NULL
	);
	CREATE INDEX login_failures_key ON login_failures (key_hash, at);
	CREATE INDEX login_failures_at ON login_failures (at);`,

	// 20: who claimed a processing rendition (issue 15): a replica that
	// stops after the lead moved puts back, settles or updates only the
	// renditions it claimed, not one the new leader claimed since.
	`ALTER TABLE renditions ADD COLUMN claimed_by TEXT NOT NULL DEFAULT '';`,
}

// foreignKeysOff starts a migration that rebuilds a table others refer
// to: it runs with foreign keys off (as SQLite's procedure for changing a
// table's definition says) and must leave no violation behind.
const foreignKeysOff = "-- foreign keys off\n"

func schemaVersion(ctx context.Context, db *sql.DB) (int, error) {
	var v int
	if err := db.QueryRowContext(ctx, `PRAGMA user_version`).Scan(&v); err != nil {
		return 0, fmt.Errorf("read schema version: %w", err)
	}
	return v, nil
}

// migrate applies the migrations the database has not seen yet. It refuses a
// database newer than this build, which would otherwise be silently misread.
func migrate(ctx context.Context, db *sql.DB) error {
	have, err := schemaVersion(ctx, db)
	if err != nil {
		return err
	}
	if have > len(migrations) {
		return fmt.Errorf("database schema version %d is newer than this controller knows (%d): run a newer pano-controller", have, len(migrations))
	}
	for i := have; i < len(migrations); i++ {
		if err := applyMigration(ctx, db, i+1, migrations[i]); err != nil {
			return err
		}
	}
	return nil
}

func applyMigration(ctx context.Context, db *sql.DB, version int, stmt string) error {
	conn, err := db.Conn(ctx)
	if err != nil {
		return fmt.Errorf("migration %d: %w", version, err)
	}
	defer conn.Close()
	fkOff := strings.HasPrefix(stmt, foreignKeysOff)
	if fkOff {
		// Outside a transaction: the pragma is a no-op inside one.
		if _, err := conn.ExecContext(ctx, `PRAGMA foreign_keys = OFF`); err != nil {
			return fmt.Errorf("migration %d: foreign keys off: %w", version, err)
		}
		defer conn.ExecContext(context.WithoutCancel(ctx), `PRAGMA foreign_keys = ON`)
	}
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("migration %d: begin: %w", version, err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, stmt); err != nil {
		return fmt.Errorf("migration %d: %w", version, err)
	}
	if fkOff {
		var table, parent string
		var rowid sql.NullInt64
		var fk int
		err := tx.QueryRowContext(ctx, `PRAGMA foreign_key_check`).Scan(&table, &rowid, &parent, &fk)
		if err == nil {
			return fmt.Errorf("migration %d: leaves a row of %s pointing at no %s", version, table, parent)
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("migration %d: foreign key check: %w", version, err)
		}
	}
	// PRAGMA takes no bound parameters; version is an int we computed.
	if _, err := tx.ExecContext(ctx, fmt.Sprintf(`PRAGMA user_version = %d`, version)); err != nil {
		return fmt.Errorf("migration %d: set version: %w", version, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("migration %d: commit: %w", version, err)
	}
	return nil
}
