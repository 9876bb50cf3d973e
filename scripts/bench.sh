#!/usr/bin/env bash
# `make bench`: runs the Go benchmarks once and prints the figures the issues
# name. Grows as issues add figures.
set -euo pipefail
cd "$(dirname "$0")/.."
echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -m), $(go version | cut -d' ' -f3)"
# The LED drivers and the plan service's growth have their own figures
# below; every other package here.
CGO_ENABLED=1 go test -run '^$' -bench . -skip '^Benchmark(PlanGrowth|RefreshGrowth|RefreshHistoryGrowth)$' -benchmem -count=1 $(go list ./... | grep -v '/agent/internal/driver$')

# LED drivers (issue 5): one frame = mapping + gamma + packetizing + sending
# over loopback UDP (serial drivers: into io.Discard), on one core. limit is
# what the wire carries (100 Mbit Ethernet, PROTOCOLS.md; serial at the
# profile's baud); ratio = fps / limit; cpu_at_limit = share of one core
# needed to keep up with that limit (aim: below 10 %).
echo
echo "LED drivers (GOMAXPROCS=1):"
CGO_ENABLED=1 go test -run '^$' -bench '^BenchmarkDrivers$' -benchmem -count=1 -cpu 1 ./agent/internal/driver |
	awk '
	/^BenchmarkDrivers\// {
		split($1, n, "/"); drv = n[2]; panel = n[3]; seen[drv "/" panel] = 1
		delete m
		for (i = 3; i < NF; i += 2) m[$(i+1)] = $i
		wire = (drv == "tpm2") ? "921600baud" : (drv == "adalight") ? "115200baud" : "100Mbit"
		printf "driver=%s panel=%s fps=%.0f us_per_frame=%.1f allocs_per_frame=%d limit=%.2ffps@%s ratio=%.1f cpu_at_limit=%.3f%%\n",
			drv, panel, m["fps"], m["us/frame"], m["allocs/op"], m["limit_fps"], wire, m["fps"] / m["limit_fps"], m["cpu_at_limit_%"]
		next
	}
	/^(FAIL|panic)/ { print; failed = 1 }
	END {
		# Benchmarks skip panels a protocol cannot carry in one frame.
		split("ddp e131 artnet tpm2net tpm2 adalight", drivers, " ")
		split("64x32 128x64 256x128 384x192", panels, " ")
		for (d = 1; d <= 6; d++) for (p = 1; p <= 4; p++)
			if (!((drivers[d] "/" panels[p]) in seen))
				printf "driver=%s panel=%s skipped: more LEDs than one %s frame addresses (TPM2 21845, Adalight 65536)\n", drivers[d], panels[p], drivers[d]
		exit failed
	}
	'

# Receiving cards and HUB75 (issue 13): one frame = colour mapping +
# packets + sending. colorlight: raw Ethernet on the loopback interface
# (needs CAP_NET_RAW: run as root), limit at the card's gigabit link;
# flaschentaschen: one PPM datagram per frame over loopback UDP, limit at
# 100 Mbit with IP fragments counted.
echo
echo "Receiving cards and HUB75 (GOMAXPROCS=1):"
CGO_ENABLED=1 go test -run '^$' -bench '^Benchmark(Colorlight|FlaschenTaschen)$' -benchmem -count=1 -cpu 1 ./agent/internal/driver |
	awk '
	/^Benchmark(Colorlight|FlaschenTaschen)\// {
		split($1, n, "/"); drv = tolower(substr(n[1], 10)); panel = n[2]; seen[drv] = 1
		delete m
		for (i = 3; i < NF; i += 2) m[$(i+1)] = $i
		wire = (drv == "colorlight") ? "1000Mbit" : "100Mbit"
		printf "driver=%s panel=%s us_per_frame=%.1f allocs_per_frame=%d fps=%.0f limit=%.0ffps@%s cpu_at_limit=%.2f%%\n",
			drv, panel, m["us/frame"], m["allocs/op"], m["fps"], m["limit_fps"], wire, m["cpu_at_limit_%"]
		next
	}
	/^(FAIL|panic)/ { print; failed = 1 }
	END {
		if (!("colorlight" in seen)) print "driver=colorlight skipped: a raw socket needs CAP_NET_RAW (run make bench as root)"
		exit failed
	}
	'
# Video output (issue 13): a 128×64 canvas into a 1920×1080 XRGB8888
# buffer at its window, scale 1 and 8, then shown: fbdev on a file-backed
# framebuffer mapped for real, DRM on the dumb-buffer double with a page
# flip and its event per frame (no real vsync wait: the drawing cost).
echo
echo "Video output (GOMAXPROCS=1):"
CGO_ENABLED=1 go test -run '^$' -bench '^BenchmarkHDMI$' -benchmem -count=1 -cpu 1 ./agent/internal/driver |
	awk '/^BenchmarkHDMI\// { split($1, n, "/"); delete m; for (i = 3; i < NF; i += 2) m[$(i+1)] = $i
		sub(/^scale/, "", n[4])
		printf "driver=hdmi panel=%s backend=%s output=1920x1080 format=XRGB8888 scale=%s us_per_frame=%.1f allocs_per_frame=%d\n",
			n[3], n[2], n[4], m["us/frame"], m["allocs/op"] }
	/^(FAIL|panic)/ { print; failed = 1 } END { exit failed }'

# Packet pacing (issue 13): with pacing 0.5 at 25 fps a 128×64 frame's
# packets are spread over half the 40 ms frame interval; spread is measured
# at a loopback UDP receiver by the kernel's arrival timestamps, first
# packet to last, over 20 frames.
echo
echo "Packet pacing (pacing=0.5 fps=25, target spread 20 ms):"
CGO_ENABLED=1 go test -run '^$' -bench '^BenchmarkPacing$' -benchtime 20x -count=1 -cpu 1 ./agent/internal/driver |
	awk '/^BenchmarkPacing\// { split($1, n, "/"); delete m; for (i = 3; i < NF; i += 2) m[$(i+1)] = $i
		printf "driver=%s panel=%s pacing=0.5 fps=25 packets=%d spread_ms=%.2f min_spread_ms=%.2f max_spread_ms=%.2f lost=%d\n",
			n[2], n[3], m["packets"], m["spread_ms"], m["min_spread_ms"], m["max_spread_ms"], m["lost"] }
	/^(FAIL|panic)/ { print; failed = 1 } END { exit failed }'

# Timeline (issue 10): a week of a group's calendar as the API computes it
# (spans, power, brightness, sun) on the plan of one of its displays — ten
# entries with dayparts, weights, item validity, power and brightness windows.
CGO_ENABLED=0 go test -run '^$' -bench '^BenchmarkTimelineWeek$' -count=1 ./controller/internal/plans |
	awk '/^BenchmarkTimelineWeek/ { for (i = 3; i < NF; i += 2) m[$(i+1)] = $i
		printf "timeline_days=7 displays=%d ms=%.2f\n", m["displays"], m["ms/week"] }
	/^(FAIL|panic)/ { print; failed = 1 } END { exit failed }'

# How the plan service's costs grow (issue 14): one display's plan
# compiled (plan_compile) and compiled and stored under a new revision
# (plan_compile_store) as the rules it reads grow from 10 to 1,000; a
# refresh after a change reaching every display (an urgent notice: the
# fleet and the demo's three) and one reaching a group (a tenth), as the
# displays grow from 10 to 10,000 in ten groups; and the group's change at
# 10,000 as the plan history grows from 1 to 21 revisions a display.
# About 30–40 s.
echo
CGO_ENABLED=1 go test -run '^$' -bench '^Benchmark(PlanGrowth|RefreshGrowth|RefreshHistoryGrowth)$' -benchtime 3x -benchmem -count=1 ./controller/internal/plans |
	awk '
	/^Benchmark(PlanGrowth|RefreshGrowth|RefreshHistoryGrowth)\// {
		split($1, n, "/"); k = (n[3] == "") ? 2 : 3; sub(/-[0-9]+$/, "", n[k])
		delete m
		for (i = 3; i < NF; i += 2) m[$(i+1)] = $i
		if ($1 ~ /^BenchmarkPlanGrowth/) {
			if (n[3] == "op=build")
				printf "plan_compile %s ms=%.2f allocs=%d plan_kib=%.1f\n", n[2], m["ms/compile"], m["allocs/op"], m["plan_kib"]
			else
				printf "plan_compile_store %s ms=%.2f allocs=%d\n", n[2], m["ms/compile"], m["allocs/op"]
		} else if ($1 ~ /^BenchmarkRefreshGrowth/)
			printf "refresh %s %s reached=%d ms=%.1f us_per_display=%.1f allocs_per_display=%.0f\n",
				n[2], n[3], m["reached"], m["ms/refresh"], m["us/display"], m["allocs/op"] / m["reached"]
		else
			printf "refresh displays=10000 change=group %s reached=%d ms=%.1f us_per_display=%.1f db_mib=%.0f\n",
				n[2], m["reached"], m["ms/refresh"], m["us/display"], m["db_MiB"]
		next
	}
	/^(FAIL|panic)/ { print; failed = 1 } END { exit failed }'

# LED typography (issue 11): the smallest line height at which every
# Vietnamese letter stays distinct, per font; and the agent's cost of
# drawing a frame of a program's live windows (a clock, a countdown and a
# ticker) on one core, against a 25 fps frame (40 ms).
echo
CGO_ENABLED=0 go run ./assets/internal/vifonts
CGO_ENABLED=0 go test -run '^$' -bench '^BenchmarkProgramFrame$' -benchmem -count=1 -cpu 1 ./assets/program |
	awk '/^BenchmarkProgramFrame\// { split($1, n, "/"); for (i = 3; i < NF; i += 2) m[$(i+1)] = $i
		printf "program_frame_us=%.1f panel=%s share_of_25fps_frame=%.3f%% allocs_per_frame=%d\n", m["us/frame"], n[2], m["%_of_25fps_frame"], m["allocs/op"] }
	/^(FAIL|panic)/ { print; failed = 1 } END { exit failed }'

# Content pipeline (issue 4): a 24-megapixel JPEG into 3 panel renditions,
# against ImageMagick doing the same resizes in the same run.
echo
CGO_ENABLED=1 go run ./assets/internal/bench24mp

# Agent runtime (issue 6): memory idle and playing a 128×64 video rotation,
# and the time to the first frame from a warm cache with no controller.
echo
CGO_ENABLED=0 go run ./agent/internal/agentbench

# Group sync (issue 10): eight real agents of one group, each with its clock
# off by up to ±2 s and a link of 20 ± 10 ms each way (a proxy), half E1.31,
# half DDP, to one receiver; a transition's skew is the spread over the
# agents of the first packet of the same item start. The second line says
# where the skew comes from (clock sync or pacing). Aim: p99 ≤ 5 ms.
echo
make -s build >/dev/null
CGO_ENABLED=0 go run ./controller/internal/syncbench -bin bin

# Province scale (issue 14): 10,000 simulated agents speaking protocol v1
# on one controller, then a chat-example gorilla/websocket hub and
# Mosquitto delivering a message of the same size to as many clients
# (controller/internal/loadgen; docs/PERFORMANCE.md says what each figure
# is). About 3 minutes; LOADGEN_AGENTS=1000 for a quick look.
echo
make -s build >/dev/null
go run ./controller/internal/loadgen -bin bin -agents "${LOADGEN_AGENTS:-10000}" -wait 3m

# Scale-out (issue 15): three controller replicas on one PostgreSQL (a
# temporary cluster, as the tests start it) joined by NATS (embedded, with
# JetStream), 15,000 simulated agents spread over them: an urgent notice
# through A until every agent has it, then replica C killed (SIGKILL) until
# its agents are on A and B holding the plan they serve, and the
# proof-of-play records made against those stored (docs/SCALE-OUT.md).
# About 2 minutes; REPLICAS_AGENTS=1500 for a quick look.
echo
go run ./controller/internal/loadgen -bin bin -replicas 3 -agents "${REPLICAS_AGENTS:-15000}" -peers "" -wait 3m

# The dashboard (issue 9): the Màn hình page with 1,000 screens in headless
# Chromium, against a controller of its own on a temporary database.
echo
make -s build >/dev/null
benchdata=$(mktemp -d)
bin/pano-controller serve --demo --listen 127.0.0.1:0 --data "$benchdata" >"$benchdata/out" 2>"$benchdata/log" &
ctl=$!
trap 'kill $ctl 2>/dev/null; wait $ctl 2>/dev/null; rm -rf "$benchdata"' EXIT
for _ in $(seq 100); do grep -q 'listening on' "$benchdata/out" && break; sleep 0.1; done
url=$(grep -o 'http://[0-9.:]*' "$benchdata/out" | head -1)
(cd web/e2e && { [ -d node_modules/playwright-core ] || npm ci --no-audit --no-fund >/dev/null; } &&
	PANO_URL=$url PANO_OUT=$benchdata CHROMIUM=/usr/bin/chromium node bench-displays.mjs | grep '^dashboard_')
