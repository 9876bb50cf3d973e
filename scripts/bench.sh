#!/usr/bin/env bash
# `make bench`: runs the Go benchmarks once and prints the figures the issues
# name. Grows as issues add figures.
set -euo pipefail
cd "$(dirname "$0")/.."
echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -m), $(go version | cut -d' ' -f3)"
CGO_ENABLED=1 go test -run '^$' -bench . -benchmem -count=1 ./...
