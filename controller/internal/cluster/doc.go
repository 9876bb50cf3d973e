// Package cluster joins controller replicas through NATS (serve --nats).
//
// A replica holds the websocket links of some agents; the database is
// shared. The bus carries what one replica must tell the others:
//
//   - pano.change: an object was saved here (body {"type":…,"id":…}); every
//     other replica recompiles the plans it reaches, as for its own saves.
//   - pano.display.<id>.cmd: a request, subscribed by the replica holding the
//     display's link while it holds it; the body is a protocol.Command, the
//     answer {"id":…} (the command's message id) or {"offline":true}.
//   - pano.display.<id>.plan: a new plan for the display (its JSON, the
//     revision in the Pano-Plan-Revision header), pushed by the replica
//     holding the link. No answer: an agent also gets its plan at hello.
//   - pano.revoke: a display's credential was revoked (body {"display":…});
//     whichever replica holds its link closes it.
//   - pano.presence: the agents linked to the sender (body {"agents":[…]}
//     with hub.AgentInfo entries, {"gone":[ids]} for links that closed, or
//     {"bye":true} when it closes): links that came up or closed as they
//     do, all of them every Options.PresenceEvery (5 s) in parts of at
//     most 256 KiB. The others drop a replica's entries when it has not
//     announced them for Options.PresenceTimeout (15 s): Bus.Agents and
//     Bus.Changed are the fleet's online agents (presence.go).
//   - pano.replica.<replica>.result: the result of a command that replica
//     forwarded, from the replica that holds the agent (body
//     {"display":…,"result":protocol.CommandResult}).
//
// Every message carries the sender's replica id in the Pano-Replica header;
// a replica ignores its own broadcasts. Nothing on the bus is stored: a
// replica that misses a message while NATS is away converges through the
// database (plans are compiled again hourly and served at each hello).
package cluster
