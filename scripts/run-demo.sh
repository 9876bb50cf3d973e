#!/usr/bin/env bash
# The demo behind `make run`: the controller on ./var/pano.db, seeded on
# first run with the demo ward (--demo), and three simulated screens (virtual
# driver). Ctrl-C stops all of them cleanly; the script then exits with
# the controller's status.
# PANO_LISTEN changes the address (default 127.0.0.1:8080), PANO_DATA the
# data folder (default ./var) and PANO_BIN where the binaries are (bin).
set -euo pipefail
cd "$(dirname "$0")/.."

listen=${PANO_LISTEN:-127.0.0.1:8080}
data=${PANO_DATA:-./var}
bin=${PANO_BIN:-bin}
mkdir -p "$data/logs"
log="$data/logs/controller.log"

pids=()
tailpid=
stop() {
	trap - INT TERM EXIT
	echo
	echo "stopping…"
	for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
	status=0
	wait "${pids[0]}" 2>/dev/null || status=$?
	if [ -n "$tailpid" ]; then kill -TERM "$tailpid" 2>/dev/null || true; fi
	wait 2>/dev/null || true
	echo "stopped (controller exit status $status)."
	exit "$status"
}
trap stop INT TERM EXIT

# The controller writes its log file itself, and tail shows it here. Its
# stderr once went through tee: Ctrl-C reaches the whole process group, tee
# died first, and the controller's shutdown then died of SIGPIPE (exit 141)
# before it reached the log or closed the database. tail ignores Ctrl-C so
# the shutdown shows too; stop ends it.
touch "$log"
(trap '' INT; exec tail -n 0 -F "$log" >&2) &
tailpid=$!
"$bin/pano-controller" serve --demo --site-name "UBND phường (bản trình diễn)" --listen "$listen" --data "$data" 2>>"$log" &
pids+=($!)

# Wait for the controller to answer (or to exit with its own error).
for _ in $(seq 1 100); do
	if curl -fsS "http://$listen/healthz" >/dev/null 2>&1; then break; fi
	if ! kill -0 "${pids[0]}" 2>/dev/null; then
		trap - EXIT
		kill -TERM "$tailpid" 2>/dev/null || true
		echo "the controller did not start; see $log" >&2
		exit 1
	fi
	sleep 0.1
done

# name:width:height — the ward's three kinds of screen, created by --demo.
# Each simulated screen enrols once, as a technician would on site: a
# one-time code for its display, exchanged by the agent for a credential.
for screen in truong-hoc:64:32 duong-chinh:128:64 trung-tam-phuong:192:96; do
	IFS=: read -r name w h <<<"$screen"
	state="$data/agents/$name"
	if [ ! -f "$state/agent.json" ]; then
		code=$("$bin/pano-controller" enrollment-code --data "$data" --display "$name" 2>/dev/null)
		"$bin/pano-agent" enroll --controller "ws://$listen" --code "$code" --state "$state" \
			--profile virtual --name "$name" --set "width=$w" --set "height=$h" >/dev/null
	fi
	"$bin/pano-agent" run --state "$state" 2>>"$data/logs/agent-$name.log" &
	pids+=($!)
done

cat <<MSG

pano is running.
  dashboard : http://$listen/            (English: http://$listen/?lang=en)
  health    : http://$listen/healthz
  metrics   : http://$listen/metrics
  database  : $data/pano.db
  logs      : $data/logs/
  screens   : truong-hoc 64×32, duong-chinh 128×64, trung-tam-phuong 192×96 (virtual)
  API       : http://$listen/api/v1/openapi.json
  logins    : admin, approver, editor, technician, viewer — password pano-demo-57
              (demo only: never expose a demo database)
  try       : curl -c var/cookies -H 'Content-Type: application/json' -d '{"name":"approver","password":"pano-demo-57"}' http://$listen/api/v1/session
              curl -b var/cookies http://$listen/api/v1/displays
Press Ctrl-C to stop.

MSG
wait "${pids[0]}"
