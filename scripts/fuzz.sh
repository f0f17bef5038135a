#!/usr/bin/env bash
# scripts/fuzz.sh (`make fuzz`): runs every fuzz target of the repository
# (each `func FuzzXxx` in a _test.go file) for FUZZTIME (default 30s), one
# after the other, inside the throwaway PostgreSQL and Temporal of
# scripts/test.sh (the API's fuzz target needs a database). New inputs that
# fail are written to the package's testdata/fuzz/FuzzXxx/ by go test:
# commit them with the fix. Plain `go test` (and `make test`) replays the
# committed corpus.
#
# Environment read:
#   FUZZTIME     how long each target runs (go test -fuzztime), default 30s
#   FUZZ_TARGETS space-separated target names to run (default: all)
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/lib.sh
source scripts/lib.sh
MOTCUA_LOG_PREFIX=fuzz

if [[ -z "${MOTCUA_TEST_DATABASE_URL:-}" ]]; then
	# Not inside scripts/test.sh yet: start the environment and come back.
	export FUZZTIME FUZZ_TARGETS
	MOTCUA_TEST_CMD="bash scripts/fuzz.sh" exec bash scripts/test.sh
fi

FUZZTIME=${FUZZTIME:-30s}
failed=0
ran=0
# file:func lines, e.g. ./api/fuzz_test.go:func FuzzRequestBodies(f *testing.F) {
while IFS= read -r hit; do
	file=${hit%%:*}
	name=$(sed -E 's/^func (Fuzz[A-Za-z0-9_]*).*/\1/' <<<"${hit#*:}")
	if [[ -n "${FUZZ_TARGETS:-}" && " $FUZZ_TARGETS " != *" $name "* ]]; then
		continue
	fi
	pkg=./$(dirname "${file#./}")
	log "$name ($pkg) for $FUZZTIME"
	ran=$((ran + 1))
	if ! go test -run '^$' -fuzz "^${name}\$" -fuzztime "$FUZZTIME" "$pkg"; then
		log "$name FAILED: the failing input is in $pkg/testdata/fuzz/$name/"
		failed=$((failed + 1))
	fi
done < <(grep -rE --include='*_test.go' '^func Fuzz[A-Za-z0-9_]*\(f \*testing\.F\)' . | grep -v '^./.data/' | sort)

((ran > 0)) || die "no fuzz targets found${FUZZ_TARGETS:+ among: $FUZZ_TARGETS}"
log "$ran targets run, $failed failed"
((failed == 0))
