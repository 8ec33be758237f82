#!/usr/bin/env bash
# Runs `go test ./...` in each Go module given (folders with a go.mod),
# every one of them even when an earlier one fails, and ends with one line
# per module (pass or fail, wall time, packages) and a total. Exits 1 when
# any module failed. `make test` calls it with $(MODULES) after `make build`.
#
#   scripts/test-modules.sh . runners/wasmer ...
#
# Environment: GO (default go), GOTESTFLAGS (default: -count=1 -timeout 40m).
# Each module's output is shown as it runs and kept in a log under
# ${TMPDIR:-/tmp} for the summary.
set -uo pipefail

GO=${GO:-go}
read -r -a flags <<<"${GOTESTFLAGS:--count=1 -timeout 40m}"
[ $# -gt 0 ] || { echo "usage: $0 MODULE..." >&2; exit 2; }

logdir=$(mktemp -d "${TMPDIR:-/tmp}/bench-test.XXXXXX")
trap 'rm -rf "$logdir"' EXIT

dur() { printf '%dm%02ds' $(($1 / 60)) $(($1 % 60)); }

summary=()
failed=0
t_all=$SECONDS
for m in "$@"; do
	if [ ! -f "$m/go.mod" ]; then
		summary+=("$(printf 'FAIL  %7s  %-28s no go.mod here' - "$m")")
		failed=$((failed + 1))
		continue
	fi
	log="$logdir/$(echo "$m" | tr / _).log"
	echo "== go test $m"
	t0=$SECONDS
	(cd "$m" && "$GO" test "${flags[@]}" ./...) 2>&1 | tee "$log"
	rc=${PIPESTATUS[0]}
	d=$((SECONDS - t0))
	# go test's per-package lines: "ok  <pkg> 1.2s", "FAIL <pkg> ..." and
	# "FAIL <pkg> [build failed]".
	pass=$(grep -cE '^ok[[:space:]]' "$log")
	fail=$(grep -cE '^FAIL[[:space:]]+[^[:space:]]' "$log")
	if [ "$rc" -eq 0 ]; then
		summary+=("$(printf 'ok    %7s  %-28s %d packages ok' "$(dur $d)" "$m" "$pass")")
	else
		failed=$((failed + 1))
		first=$(grep -m1 -E '^FAIL[[:space:]]+[^[:space:]]' "$log" | awk '{print $2}')
		summary+=("$(printf 'FAIL  %7s  %-28s %d packages ok, %d failed (first: %s)' "$(dur $d)" "$m" "$pass" "$fail" "${first:-go test exit $rc}")")
	fi
done

echo
echo "== summary: go test in $# modules, $(dur $((SECONDS - t_all)))"
for l in "${summary[@]}"; do echo "$l"; done
echo "modules: $(($# - failed)) passed, $failed failed"
[ "$failed" -eq 0 ]
