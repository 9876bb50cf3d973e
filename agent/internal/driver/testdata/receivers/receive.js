// Independent receivers for pano's driver tests (receivers_test.go).
//
//   node receive.js sacn   PORT FIRST COUNT   E1.31 universes FIRST..FIRST+COUNT-1
//   node receive.js artnet PORT FIRST COUNT   Art-Net Port-Addresses likewise
//   node receive.js sacn-stream PORT FIRST COUNT N
//                    every E1.31 packet of those universes, N in all:
//                    "PANO <universe> <sequence> <options> <hex slots>"
//
// Listens on 127.0.0.1-reachable PORT, prints "PANO ready" once bound, then
// one line per universe received: "PANO <universe> <hex slots>", and exits
// when every universe has arrived once. Joins no multicast group and sends
// nothing off this machine.
'use strict';

const [kind, portArg, firstArg, countArg] = process.argv.slice(2);
const port = Number(portArg);
const first = Number(firstArg);
const count = Number(countArg);
const seen = new Set();
const out = (line) => process.stdout.write('PANO ' + line + '\n');

function got(universe, slots) {
  if (seen.has(universe)) return;
  seen.add(universe);
  out(universe + ' ' + Buffer.from(slots).toString('hex'));
  if (seen.size === count) process.exit(0);
}

if (kind === 'sacn') {
  const { Receiver } = require('sacn');
  // No universes at construction: the Receiver would join their multicast
  // groups. Listing them afterwards only sets its filter.
  const r = new Receiver({ universes: [], port, iface: '127.0.0.1' });
  for (let u = first; u < first + count; u++) r.universes.push(u);
  r.on('packet', (p) => got(p.universe, p.payloadAsBuffer));
  r.on('PacketCorruption', (e) => out('error corrupt packet: ' + e.message));
  r.on('PacketOutOfOrder', (e) => out('error out of order: ' + e.message));
  r.on('error', (e) => out('error ' + e.message));
  r.socket.once('listening', () => out('ready'));
} else if (kind === 'sacn-stream') {
  const { Receiver } = require('sacn');
  const total = Number(process.argv[6]);
  let lines = 0;
  const r = new Receiver({ universes: [], port, iface: '127.0.0.1' });
  for (let u = first; u < first + count; u++) r.universes.push(u);
  r.on('packet', (p) => {
    out(p.universe + ' ' + p.sequence + ' ' + p.options + ' ' + Buffer.from(p.payloadAsBuffer).toString('hex'));
    if (++lines === total) process.exit(0);
  });
  r.on('PacketCorruption', (e) => out('error corrupt packet: ' + e.message));
  r.on('PacketOutOfOrder', (e) => out('error out of order: ' + e.message));
  r.on('error', (e) => out('error ' + e.message));
  r.socket.once('listening', () => out('ready'));
} else if (kind === 'artnet') {
  const { dmxnet } = require('dmxnet');
  // hosts: only the loopback interface, so its ArtPollReply broadcasts go
  // to 127.255.255.255 and never onto a real network.
  const d = new dmxnet({ listen: port, hosts: ['127.0.0.1'], log: { level: 'error' } });
  for (let pa = first; pa < first + count; pa++) {
    const rx = d.newReceiver({ net: pa >> 8, subnet: (pa >> 4) & 15, universe: pa & 15 });
    rx.on('data', (data) => got(pa, data));
  }
  d.listener4.once('listening', () => out('ready'));
} else {
  console.error('usage: node receive.js sacn|artnet PORT FIRST COUNT');
  process.exit(2);
}
