# pano — see README.md. `make run` starts the demo, `make test` runs every test.
SHELL := /bin/bash
GO ?= go
# Go 1.27.3, fetched by the go command itself from the module proxy on first
# use: 1.26.8 (what the machine has) carries 13 standard-library
# vulnerabilities in code pano calls (net/http, html/template, crypto/tls,
# crypto/x509, net/textproto; `make vuln`). go.mod stays at 1.26, so a plain
# `go test` still works, on the machine's Go.
export GOTOOLCHAIN := go1.27.3
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -s -w -X main.version=$(VERSION)
BIN := bin

.PHONY: all build controller agent agent-arm run test test-go test-browser test-fuzz test-vuln fuzz vuln vulndb deps lint bench faults golden clean

all: build

build: controller agent

controller:
	CGO_ENABLED=1 $(GO) build -ldflags '$(LDFLAGS)' -o $(BIN)/pano-controller ./controller

# The agent never needs cgo: it must build for any board with CGO_ENABLED=0.
agent:
	CGO_ENABLED=0 $(GO) build -ldflags '$(LDFLAGS)' -o $(BIN)/pano-agent ./agent

agent-arm:
	CGO_ENABLED=0 GOOS=linux GOARCH=arm64 $(GO) build -ldflags '$(LDFLAGS)' -o $(BIN)/pano-agent-linux-arm64 ./agent
	CGO_ENABLED=0 GOOS=linux GOARCH=arm GOARM=7 $(GO) build -ldflags '$(LDFLAGS)' -o $(BIN)/pano-agent-linux-armv7 ./agent

# Installs what is missing (says what), then builds and starts the controller
# on ./var/pano.db with three simulated screens. Ctrl-C stops them all.
run: deps build
	@scripts/run-demo.sh

deps:
	@scripts/install-deps.sh

test: deps test-go test-fuzz test-vuln

# The last line keeps assets' cgo-free fallback (image/jpeg at full scale,
# jpeg_nocgo.go) compiling.
# The packages whose tests run again on PostgreSQL (the store and those
# that use it most), each against a cluster of its own the tests start
# from Debian's postgresql package (controller/internal/store/pgtest).
PG_PACKAGES := ./controller/internal/store/... ./controller/internal/api ./controller/internal/plans ./controller/internal/auth \
	./controller/internal/reports ./controller/internal/capfeed ./controller/internal/agentapi
test-go:
	CGO_ENABLED=1 $(GO) test -race -count=1 -timeout 30m ./...
	PANO_TEST_DB=postgres CGO_ENABLED=1 $(GO) test -count=1 -timeout 15m $(PG_PACKAGES)
	@# Whether the video output ran on a real /dev/fb0 or /dev/dri/card* (issue 13).
	@CGO_ENABLED=0 $(GO) test -count=1 -v -run '^TestHDMIRealDevice$$' ./agent/internal/driver | grep -o 'hdmi real device:.*' || true
	CGO_ENABLED=0 GOOS=linux GOARCH=arm64 $(GO) build -o /dev/null ./agent
	CGO_ENABLED=0 GOOS=linux GOARCH=arm GOARM=7 $(GO) build -o /dev/null ./agent
	CGO_ENABLED=0 $(GO) vet ./assets

# Every fuzz target, one after the other, each for FUZZTIME (go test runs
# their seeds and committed corpora already; this searches for new inputs).
# Locally run one for longer: go test -run '^$$' -fuzz '^FuzzDecode$$' -fuzztime=10m ./protocol
# A crasher is written to PKG/testdata/fuzz/TARGET/: fix it and commit it.
FUZZTIME ?= 10s
FUZZ_TARGETS := protocol:FuzzDecode protocol:FuzzPlanJSON protocol:FuzzEvaluate protocol:FuzzProgramValidate \
	assets:FuzzSniff assets:FuzzEXIF assets:FuzzScaledJPEG assets/program:FuzzDraw assets/ledfont:FuzzParseBDF \
	agent/internal/driver:FuzzProfile agent/internal/daemon:FuzzTakePlan agent/internal/pattern:FuzzParse \
	controller/internal/cap:FuzzParseAlert
fuzz:
	@set -e; for t in $(FUZZ_TARGETS); do \
		echo "== $${t##*:} (./$${t%%:*}) for $(FUZZTIME)"; \
		$(GO) test -run '^$$' -fuzz "^$${t##*:}\$$" -fuzztime=$(FUZZTIME) ./$${t%%:*}; \
	done

# CI's short pass: 5 s per target (about 1.5 minutes with the builds).
test-fuzz:
	$(MAKE) --no-print-directory fuzz FUZZTIME=5s

# govulncheck over every package. Where vuln.go.dev cannot be reached, the
# database is built from the golang.org/x/vulndb module the Go module proxy
# serves (make vulndb; VULNDB=file:///… picks another copy). Advisories
# that cannot affect pano are accepted in scripts/vuln-exceptions.txt, each
# with the test that proves it.
VULNCHECK := golang.org/x/vuln/cmd/govulncheck@v1.9.0
VULNDB_VERSION := v0.0.0-20261105234957-e22db6528018
VULNDB_MODULE := golang.org/x/vulndb@$(VULNDB_VERSION)
vuln:
	@db='$(VULNDB)'; \
	if [ -z "$$db" ] && ! getent hosts vuln.go.dev >/dev/null 2>&1; then \
		echo "vuln.go.dev cannot be reached: using $(VULNDB_MODULE)"; \
		$(MAKE) --no-print-directory vulndb; db=file://$(CURDIR)/var/vulndb; \
	fi; \
	GOBIN=$(CURDIR)/var $(GO) install $(VULNCHECK) && \
	scripts/vuln.sh var/govulncheck $${db:+-db $$db} ./...

# CI's pass: the pinned database only, so that an advisory published
# tomorrow does not turn yesterday's commit red (make vuln sees it).
test-vuln: vulndb
	@$(MAKE) --no-print-directory vuln VULNDB=file://$(CURDIR)/var/vulndb

vulndb:
	@dir=$$($(GO) mod download -json $(VULNDB_MODULE) | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$$/\1/p'); \
	test -d "$$dir/data/osv" || { echo "no data/osv in $(VULNDB_MODULE)"; exit 1; }; \
	rm -rf var/vulndb; \
	$(GO) run golang.org/x/vulndb/cmd/indexdb@$(VULNDB_VERSION) -vulns "$$dir/data/osv" -out var/vulndb; \
	echo "var/vulndb: $$(ls var/vulndb/ID | wc -l) files from $(VULNDB_MODULE)"

# The dashboard in headless Chromium alone (also part of test-go); set
# PANO_E2E_OUT=DIR to keep its page screenshots.
test-browser: deps
	CGO_ENABLED=1 $(GO) test -count=1 -run TestDashboardInChromium -v ./controller

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed on:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	@if command -v staticcheck >/dev/null; then staticcheck ./...; else echo "staticcheck not installed; skipped"; fi

bench: deps
	@scripts/bench.sh

# Province scale (issue 14) alone, at 1,000 simulated agents (make bench
# runs 10,000): the controller's line and the two peers' (about 1 minute).
# More agents: make bench-quick LOADGEN_AGENTS=3000. Figures: docs/PERFORMANCE.md.
LOADGEN_AGENTS ?= 1000
.PHONY: bench-quick
bench-quick: deps controller
	$(GO) run ./controller/internal/loadgen -bin $(BIN) -agents $(LOADGEN_AGENTS)

# Fault injection on the real binaries (issue 12): the agent killed 200
# times during downloads and journaling, 100 link flaps through a proxy,
# the controller killed 20 times mid-upload and mid-commit, 7 offline days
# on a fake clock. One line per scenario; exits 1 on any violation. The
# short version (-short) runs in `make test` as TestFaultsShortHold.
# Figures: docs/RELIABILITY.md.
faults: build
	CGO_ENABLED=1 $(GO) run ./controller/internal/faults -bin $(BIN)

# Rewrites golden files under testdata/ from the current code; review the diff.
# A driver's wire golden is written only if an independent receiver takes
# it (npm sacn and dmxnet, spec decoders: driver/golden_receivers_test.go);
# one it rejects fails here and keeps the old file.
golden:
	$(GO) test ./protocol -run Golden -update
	$(GO) test ./assets -run Golden -update
	$(GO) test ./controller/internal/plans -run Golden -update
	$(GO) test ./agent/internal/mapping -run Golden -update
	CI=true $(GO) test -count=1 ./agent/internal/driver -run 'Golden' -update
	CI=true $(GO) test -count=1 ./agent/internal/driver -run TestReceiversAcceptTheWireFiles

clean:
	rm -rf $(BIN)
