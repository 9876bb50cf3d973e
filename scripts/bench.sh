#!/usr/bin/env bash
# `make bench`: runs the Go benchmarks once and prints the figures the issues
# name. Grows as issues add figures.
set -euo pipefail
cd "$(dirname "$0")/.."
echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -m), $(go version | cut -d' ' -f3)"
CGO_ENABLED=1 go test -run '^$' -bench . -benchmem -count=1 ./...
# Content pipeline (issue 4): a 24-megapixel JPEG into 3 panel renditions,
# against ImageMagick doing the same resizes in the same run.
CGO_ENABLED=0 go run ./assets/internal/bench24mp
