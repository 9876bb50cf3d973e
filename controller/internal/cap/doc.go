// Package cap reads official warnings published in the Common Alerting
// Protocol, version 1.2 (OASIS Standard, "Common Alerting Protocol Version
// 1.2", 1 July 2010, http://docs.oasis-open.org/emergency/cap/v1.2/), and
// the Atom and RSS 2.0 feeds that list them, and makes the decisions pano
// needs to turn an alert into an urgent notice: which info block to show,
// whether it is severe and urgent enough, and whether its area concerns a
// group of screens.
//
// The package does no I/O of its own: callers hand it a reader (a fetched
// body) and it parses, checks and decides. It is strict, because feeds are
// fetched from outside and a bad one must be refused with a reason, never
// crash or stall the poller:
//
//   - at most Options.Limit bytes are read (DefaultLimit, 1 MiB);
//   - a DOCTYPE or any other DTD declaration is refused before anything is
//     decoded, so no entity is ever declared or expanded;
//   - the XML must be well-formed UTF-8 with one root element, nested no
//     deeper than a CAP alert or a feed ever needs;
//   - the root must be a CAP 1.2 <alert> (namespace Namespace) — CAP 1.1
//     and 1.0 are refused by name — or an Atom <feed>, or RSS version 2.0;
//   - the required elements (§3.2: identifier, sender, sent, status,
//     msgType, scope; in each info: category, event, urgency, severity,
//     certainty; in each area: areaDesc) must be present, single elements
//     must not repeat, enumerations must hold one of their values, times
//     must be CAP dateTimes with an explicit offset (§3.3.2, no "Z"),
//     polygons closed rings of at least four points, and an Update or a
//     Cancel must reference the alerts it replaces or ends.
//
// Every refusal is an *Error with a stable Code.
//
// Deliberately not supported: CAP 1.0 and 1.1; encodings other than UTF-8;
// XML signatures and encryption (§3.3.4; not verified — the feed's HTTPS
// is the trust anchor); <resource> (images, audio), <parameter>,
// <eventCode>, <responseType>, <audience>, <web>, <contact>, <restriction>,
// <addresses>, <code>, <incidents>, <altitude> and <ceiling> are read past
// and not kept; Atom content given as escaped text instead of XML, RSS
// <enclosure>; xml:base (a relative entry link is resolved against the feed's
// own URL by Entry.Resolve); polygons crossing the
// antimeridian. Feed dates that cannot be read leave Entry.Updated zero
// rather than refusing the entry.
package cap
