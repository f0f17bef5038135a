#!/usr/bin/env bash
# scripts/clean-data.sh (`make clean-data`): stop the project-local PostgreSQL
# cluster (and any leftover dev processes of ours) and delete .data/.
# Refuses while scripts/dev.sh is running on it.
#
# Environment: MOTCUA_DATA_DIR (default .data), MOTCUA_PG_BINDIR.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/lib.sh
source scripts/lib.sh
MOTCUA_LOG_PREFIX=clean-data

DATA_DIR=$(abspath "${MOTCUA_DATA_DIR:-.data}")
[[ -d "$DATA_DIR" ]] || {
	log "nothing to do: ${MOTCUA_DATA_DIR:-.data}/ does not exist"
	exit 0
}

# alive_pid FILE PATTERN: the pid in FILE, when alive and its command line matches.
alive_pid() {
	local pid
	[[ -f "$1" ]] || return 1
	pid=$(tr -dc '0-9' <"$1")
	[[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null || return 1
	tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q -- "$2" || return 1
	printf '%s\n' "$pid"
}

if pid=$(alive_pid "$DATA_DIR/dev.pid" dev.sh); then
	die "scripts/dev.sh (pid $pid) is running on this data; stop it (Ctrl-C) first"
fi
for f in "$DATA_DIR"/pids/*.pid; do
	[[ -e "$f" ]] || continue
	name=$(basename "$f" .pid)
	pattern="motcua $name"
	[[ "$name" == temporal ]] && pattern="server start-dev"
	if pid=$(alive_pid "$f" "$pattern"); then
		log "stopping leftover $name (pid $pid)"
		stop_pid "$pid" "$name" 30
	fi
done
if [[ -s "$DATA_DIR/postgres/PG_VERSION" ]]; then
	pg_stop "$DATA_DIR/postgres"
fi
# The cluster may live elsewhere, linked (a clone the postgres OS user
# cannot reach: scripts/lib.sh _pg_relocate).
pg_data_remove "$DATA_DIR/postgres"
rm -rf "$DATA_DIR"
log "removed ${MOTCUA_DATA_DIR:-.data}/"
