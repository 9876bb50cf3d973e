#!/bin/sh
# vuln.sh GOVULNCHECK_ARGS…: runs govulncheck and fails on any advisory
# that scripts/vuln-exceptions.txt does not accept, listing the accepted
# ones with their reasons.
set -u
out=$(mktemp)
trap 'rm -f "$out"' EXIT
"$@" >"$out" 2>&1
rc=$?
cat "$out"
case $rc in
0) exit 0 ;;
3) ;; # vulnerabilities found: sorted out below
*) echo "govulncheck failed (exit $rc)"; exit $rc ;;
esac
exceptions=$(dirname "$0")/vuln-exceptions.txt
found=$(sed -n 's/^Vulnerability #[0-9]*: \(GO-[0-9-]*\).*/\1/p' "$out" | sort -u)
bad=0
echo
for id in $found; do
	reason=$(grep "^$id " "$exceptions" | cut -d' ' -f2-)
	if [ -n "$reason" ]; then
		echo "accepted $id: $reason"
	else
		echo "NOT ACCEPTED $id: upgrade the module or the toolchain (or, if pano cannot be affected, add it to $exceptions with the check that proves it)"
		bad=1
	fi
done
[ -n "$found" ] || { echo "govulncheck exited 3 but no advisory was read from its output"; exit 1; }
exit $bad
