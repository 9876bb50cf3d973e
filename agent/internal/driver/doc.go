// Package driver turns frames into light: one driver per wire protocol, each
// registered by name (Register refuses duplicates) and opened from a
// firmware profile's settings.
//
// Every addressable-LED driver is a Pixels: package mapping turns the
// logical frame into LED bytes through an index table and lookup tables
// built at open, and a protocol framer packetizes them into buffers also
// allocated at open. Drawing a frame allocates nothing. Drivers take a
// transport (a PacketWriter for UDP, an io.Writer for serial), so tests
// hand them a recorder; Open builds the real one from settings.
//
// Protocols, with the documents they follow (byte layouts summarised in
// shared/PROTOCOLS.md):
//
//   - ddp: Distributed Display Protocol, http://www.3waylabs.com/ddp/ —
//     10-byte header, 1440 data bytes per packet, PUSH on the last packet.
//   - e131: ANSI E1.31-2018 (sACN) — 170 RGB pixels per universe, priority,
//     a CID stable across restarts (StableCID), unicast or multicast to
//     239.255.hi.lo, optional synchronization packets (E1.31 §6.3).
//   - artnet: Art-Net 4 (Artistic Licence) — ArtDmx with a 15-bit
//     Port-Address, even data length, optional ArtSync.
//   - tpm2net: TPM2.net (tpm2 protocol spec; hyperion.ng LedDeviceTpm2net,
//     WLED udp.cpp) — numbered packets, at most 255 per frame.
//   - tpm2: TPM2 over serial — C9 DA size payload 36, one packet per frame.
//   - adalight: adafruit/Adalight LEDstream.pde — "Ada", count−1, checksum.
//   - colorlight: Colorlight 5A-75 / i5A receiving cards over raw
//     Ethernet (AF_PACKET, CAP_NET_RAW), the layout of FPP's
//     ColorLight-5a-75.cpp — brightness, one packet per row (≤ 497
//     pixels), display frame; brightness goes to the card. Not a Pixels.
//   - flaschentaschen: hzeller/flaschen-taschen (ft-server on a Pi driving
//     HUB75 through rpi-rgb-led-matrix) — one PPM datagram per frame with
//     an "x y z" footer; the one network driver whose datagrams exceed an
//     Ethernet frame (the protocol is one image per datagram; the Pi
//     reassembles the fragments), tiled over 65,507 bytes.
//   - hdmi: not a protocol but a display output, for sending cards
//     (NovaStar, Colorlight, Linsn) fed over HDMI/DVI: the canvas drawn in
//     a window of the output's picture. DRM/KMS per the kernel's UAPI
//     (drm/drm_mode.h: dumb buffers, ADDFB, SETCRTC, PAGE_FLIP with its
//     event for vsync pacing), or fbdev (linux/fb.h: var/fix screeninfo,
//     pan, FBIO_WAITFORVSYNC); ioctls through golang.org/x/sys/unix behind
//     videoSys, which tests answer with a fake kernel.
//   - virtual: no hardware; keeps the last frame.
//
// Off (a power window closing, a blank, and Close when the agent stops):
// only E1.31 can tell its receiver, with three Stream_Terminated packets
// per universe (E1.31-2018 §6.2.6), after which nothing is sent until the
// next frame. DDP, Art-Net, TPM2, TPM2.net and Adalight have no such
// signal (Off returns ErrNoOff): the player keeps sending black frames,
// which also keeps a WLED in realtime mode dark and a serial card
// refreshed. When the agent stops (Close), they get one black frame, which
// a receiver holds or times out of as its firmware does.
//
// Network packets stay within one Ethernet frame (MaxUDPPayload; all but
// Flaschen-Taschen, above); the frame rate is bounded by the link the
// settings declare (link_mbit, CheckFPS), and pacing spreads a frame's
// packets over part of the frame interval. Serial frames are paced to the line: one drawn while the line
// is busy is dropped and counted (State.Dropped).
//
// Every driver built here is registered (a test checks it). The Alpha
// Sign text writer was removed (issue 13): a text sign renders its own
// letters, so it cannot be a frame Driver, and the agent has no text path
// that could feed one; it stays in git history (commit 02449e9).
//
// Serial drivers open their port through go.bug.st/serial (no cgo) and
// reopen it with backoff after it disappears; State reports it. A serial
// panel that the line cannot refresh at least once a second is refused
// when the settings are checked, naming the baud rate that would do.
package driver
