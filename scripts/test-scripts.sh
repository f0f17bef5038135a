#!/usr/bin/env bash
# scripts/test-scripts.sh (`make test-scripts`, CI): tests of the scripts'
# own helpers (scripts/lib.sh), on the real programs they drive.
#
#   1. PostgreSQL from a clone the postgres OS user cannot reach (issue 20
#      item 8: a newcomer working as root in /root). pg_start is run on a
#      data directory inside a mode-0700 directory, as `make dev` runs it:
#      the cluster must start (made elsewhere and linked), answer, keep its
#      data over a restart, stop, and be removed whole by pg_data_remove
#      (`make clean-data`). As root this is the case that failed with "the
#      postgres OS user cannot reach ..."; as another user PostgreSQL runs as
#      that user and the same steps must pass without any relocation.
#   2. A cluster already in such a directory cannot be moved for you: the
#      error says what to do.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/lib.sh
source scripts/lib.sh
MOTCUA_LOG_PREFIX=test-scripts

work=$(mktemp -d "${TMPDIR:-/tmp}/motcua-scripts-test.XXXXXX")
chmod 700 "$work" # what /root is: nobody but its owner may enter
data=$work/clone/.data/postgres
relocated=$(_pg_relocation_dir "$data")
cleanup() {
	local rc=$?
	set +e
	pg_stop "$data" >/dev/null 2>&1
	pg_data_remove "$data"
	rm -rf "$work" "$relocated"
	exit "$rc"
}
trap cleanup EXIT

fail() { die "FAIL: $*"; }

log "1: pg_start in a directory others cannot search (running as $(id -un))"
port=$(free_port)
pg_start "$data" "$port" "$work/clone/.data/run" "$work/clone/.data/logs/postgres.log"
psql_q() { "$(pg_bin psql)" -X -q -h 127.0.0.1 -p "$PG_PORT" -U postgres -d postgres -tAc "$1"; }
[[ "$(psql_q 'SELECT 1')" == 1 ]] || fail "the cluster does not answer"
psql_q 'CREATE TABLE kept (v int); INSERT INTO kept VALUES (42)'
if [[ $EUID -eq 0 ]]; then
	[[ -L "$data" ]] || fail "as root, $data should be a link to the relocated cluster"
	[[ "$(readlink -f "$data")" == "$relocated/data" ]] || fail "$data points to $(readlink -f "$data"), not $relocated/data"
	[[ -s "$data/PG_VERSION" ]] || fail "the cluster is not readable through the link"
	[[ -L "$work/clone/.data/logs/postgres.log" ]] || fail "the server log is not linked where scripts look for it"
	grep -q "database system is ready" "$work/clone/.data/logs/postgres.log" ||
		fail "the linked server log does not show the server's start"
else
	[[ ! -L "$data" && -s "$data/PG_VERSION" ]] || fail "as $(id -un), the cluster should be in $data itself"
fi
pg_stop "$data"
_pg_running "$(readlink -f "$data")" && fail "the cluster still runs after pg_stop"

log "1: restart on the same data (the link is followed, nothing is made twice)"
pg_start "$data" "$port" "$work/clone/.data/run" "$work/clone/.data/logs/postgres.log"
[[ "$(psql_q 'SELECT v FROM kept')" == 42 ]] || fail "the data did not survive the restart"
pg_stop "$data"
pg_data_remove "$data"
[[ ! -e "$data" && ! -e "$relocated" ]] || fail "pg_data_remove left $data or $relocated behind"
log "1 passed"

if [[ $EUID -eq 0 ]]; then
	log "2: a cluster already inside an unreachable directory is not moved, and the error says what to do"
	stuck=$work/other/.data/postgres
	mkdir -p "$stuck"
	echo 15 >"$stuck/PG_VERSION"
	out=$( (pg_start "$stuck" "$(free_port)" "$work/other/.data/run" "$work/other/.data/logs/postgres.log") 2>&1) &&
		fail "pg_start accepted a cluster it cannot reach: $out"
	grep -q "cannot be moved for you" <<<"$out" || fail "unclear error: $out"
	grep -q "chmod o+x" <<<"$out" || fail "the error does not say what to do: $out"
	rm -rf "$(_pg_relocation_dir "$stuck")"
	log "2 passed"
fi
log "test-scripts passed"
