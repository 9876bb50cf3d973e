#!/usr/bin/env bash
# Installs the Debian packages that pano's build, demo and tests need and that
# a fresh machine may lack. Says what it installs; does nothing when all is
# there. Go (1.26) and gcc are prerequisites, not installed here.
set -euo pipefail

# Each entry is PACKAGE:PROBE, where PROBE is a command on PATH or a file path
# that the package provides. Add an entry when a test or the demo needs a tool.
need=(
	curl:curl # make run waits for the controller with it
	ffmpeg:ffmpeg # assets: ffprobe/ffmpeg probe and transcode videos (tests fail without it under CI=true)
	nats-server:/usr/sbin/nats-server # cluster tests: the bus against Debian's NATS server as a process (controller/internal/cluster)
	mosquitto:/usr/sbin/mosquitto # make bench: the Mosquitto peer of the load generator (controller/internal/loadgen)
	imagemagick:/usr/bin/convert # make bench: the ImageMagick side of ingest_24mp_ms vs imagemagick_ms
	libjpeg62-turbo-dev:/usr/include/jpeglib.h # controller (cgo): assets decodes JPEGs at a reduced DCT scale with libjpeg-turbo
	socat:socat # serial driver tests: pseudo-terminal pairs
	iproute2:ip # colorlight driver tests: a veth pair in a network namespace (as root)
	nodejs:node # driver tests: independent E1.31/Art-Net receivers (npm sacn, dmxnet)
	npm:npm     # driver tests: npm ci in agent/internal/driver/testdata/receivers; dashboard test: npm ci in web/e2e
	chromium:/usr/bin/chromium # dashboard test: headless Chromium driven by playwright-core (controller/dashboard_e2e_test.go)
	postgresql:/usr/lib/postgresql # store tests on PostgreSQL (PANO_TEST_DB=postgres): a cluster of their own from its initdb and postgres
)

if ! command -v go >/dev/null 2>&1; then
	echo "install-deps: Go is not on PATH; install Go 1.26 and gcc, then run again" >&2
	exit 1
fi

missing=()
for entry in "${need[@]}"; do
	pkg=${entry%%:*} probe=${entry#*:}
	if [[ $probe == /* ]]; then
		[ -e "$probe" ] || missing+=("$pkg")
	else
		command -v "$probe" >/dev/null 2>&1 || missing+=("$pkg")
	fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "install-deps: installing Debian packages: ${missing[*]}"
sudo=""
[ "$(id -u)" -ne 0 ] && sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "install-deps: done"
