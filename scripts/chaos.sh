#!/usr/bin/env bash
# scripts/chaos.sh (`make chaos`): a chaos run. Starts a whole stack of its
# own (PostgreSQL, the file-backed Temporal dev server, migrate + seed, the
# simulators with automatic payment and delivery, the API, a worker) on free
# loopback ports in a temporary directory, drives CHAOS_DOSSIERS dossiers
# through it with the load generator (retrying as a real client would), and
# meanwhile, one after the other with pauses:
#
#   1. SIGKILLs the worker and starts it again;
#   2. SIGKILLs the API and starts it again (the load generator talks to
#      one API address: its requests in flight are cut, the next ones are
#      refused until the new process listens, and it retries them);
#   3. restarts the Temporal dev server (SIGTERM, same database file);
#   4. restarts PostgreSQL (pg_ctl stop -m fast, a pause, start);
#   5. starts a second worker, then SIGKILLs the first one.
#
# Then, with everything up again and the load generator done, `motcua
# chaos-check` waits for the dossiers still in flight and checks that none
# was lost or duplicated (see package chaos and docs/RELIABILITY.md); the
# script fails when it finds anything. A probe asks GET /readyz every
# quarter second throughout; its summary says how each fault looked from
# outside (how long the API answered 503 or not at all).
#
# Environment:
#   CHAOS_DOSSIERS   dossiers to drive (default 300; CI uses fewer)
#   CHAOS_RATE       new dossiers per second (default 2)
#   CHAOS_PAUSE      seconds between faults (default 15)
#   CHAOS_SEED       load generator seed (default 1)
#   CHAOS_AUTO_PAY_AFTER, CHAOS_AUTO_DELIVER_AFTER
#                    the simulators pay / deliver by themselves this long after
#                    a request (default 20s; see below)
#   CHAOS_KEEP       1: keep the temporary directory (logs, reports) afterwards
#   MOTCUA_PG_BINDIR directory of initdb/pg_ctl to use (default: searched)
#   TMPDIR           where the temporary directory goes (default /tmp)
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/lib.sh
source scripts/lib.sh
MOTCUA_LOG_PREFIX=chaos
# motcua runs as production unless told otherwise (config.Config.Environment):
# development credentials (simulators, tokens), on loopback.
export MOTCUA_ENV=development

ROOT=$PWD
DOSSIERS=${CHAOS_DOSSIERS:-300}
RATE=${CHAOS_RATE:-2}
PAUSE=${CHAOS_PAUSE:-15}
SEED=${CHAOS_SEED:-1}
MOTCUA_BIN=$ROOT/bin/motcua
[[ "$DOSSIERS" =~ ^[0-9]+$ && "$DOSSIERS" -gt 0 ]] || die "CHAOS_DOSSIERS must be a positive number, got '$DOSSIERS'"
[[ "$PAUSE" =~ ^[0-9]+$ ]] || die "CHAOS_PAUSE must be a whole number of seconds, got '$PAUSE'"

DIR=""
API_PID="" API_LOG="" SIM_PID="" WORKER_PID="" WORKER2_PID="" PROBE_PID="" LOADGEN_PID=""
T_ARGS=()

# shellcheck disable=SC2317 # invoked by the EXIT trap
cleanup() {
	local rc=$?
	trap '' INT TERM HUP
	set +e
	local pid
	for pid in "$PROBE_PID" "$LOADGEN_PID"; do
		[[ -n "$pid" ]] && kill -TERM "$pid" 2>/dev/null
	done
	stop_pid "$WORKER2_PID" "worker 2" 10
	stop_pid "$WORKER_PID" worker 10
	stop_pid "$API_PID" api 10
	stop_pid "$SIM_PID" sim 10
	temporal_stop 30
	if [[ -n "$DIR" ]]; then
		pg_stop "$DIR/postgres"
		if ((rc != 0)) || [[ "${CHAOS_KEEP:-0}" == 1 ]]; then
			log "logs and reports kept in $DIR"
		else
			rm -rf "$DIR"
		fi
	fi
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

# mark NAME: a line in faults.log (seconds since the epoch, name), read by
# the probe summary at the end.
mark() {
	printf '%s %s\n' "$(date +%s.%N)" "$1" >>"$DIR/faults.log"
	log "$1"
}

# next_log NAME: set LOG to a new log file for each process started
# (api.log, api-2.log, ...), so a restart keeps the log of the killed one.
declare -A STARTS=()
LOG=""
next_log() {
	local n=$((${STARTS[$1]:-0} + 1))
	STARTS[$1]=$n
	if ((n == 1)); then LOG=$DIR/$1.log; else LOG=$DIR/$1-$n.log; fi
}
start_api() {
	next_log api
	API_LOG=$LOG
	spawn "$API_LOG" "$MOTCUA_BIN" api
	API_PID=$SPAWNED_PID
}
start_worker() { # start_worker VAR: a worker whose pid goes into VAR
	next_log worker
	spawn "$LOG" "$MOTCUA_BIN" worker
	printf -v "$1" '%s' "$SPAWNED_PID"
}
start_temporal() {
	next_log temporal
	temporal_start "$LOG" "${T_ARGS[@]}"
	wait_for_temporal "$TEMPORAL_ADDRESS" 120
}
wait_ready() { # wait_ready SECONDS: until the API answers 200 on /readyz
	local deadline=$((SECONDS + $1))
	while ((SECONDS < deadline)); do
		http_ok "$API_URL/readyz?strict=true" && return 0
		kill -0 "$API_PID" 2>/dev/null || {
			show_log_tail "$API_LOG"
			die "the API exited"
		}
		sleep 0.2
	done
	show_log_tail "$API_LOG"
	die "the API was not ready within $1s"
}
pause() {
	sleep "$PAUSE"
	if ! kill -0 "$LOADGEN_PID" 2>/dev/null; then
		log "note: the load generator already finished; the remaining faults hit an idle system"
	fi
}

# ---------------------------------------------------------------- the stack
log "building bin/motcua"
go build -o bin/motcua ./cmd/motcua || die "go build ./cmd/motcua failed"
ensure_pg_binaries
ensure_temporal

DIR=$(mktemp -d "${TMPDIR:-/tmp}/motcua-chaos.XXXXXX")
chmod 755 "$DIR" # the postgres OS user (when we are root) must enter it
: >"$DIR/faults.log"

pg_port=$(free_port)
PG_SETTINGS=(max_connections=200)
pg_start "$DIR/postgres" "$pg_port" "$DIR/run" "$DIR/postgres.log" "${PG_SETTINGS[@]}"
pg_create_db "$pg_port" motcua
export DATABASE_URL="postgres://postgres@127.0.0.1:$pg_port/motcua?sslmode=disable"

t_port=$(free_port "$pg_port")
t_http=$(free_port "$pg_port" "$t_port")
t_metrics=$(free_port "$pg_port" "$t_port" "$t_http")
api_port=$(free_port "$pg_port" "$t_port" "$t_http" "$t_metrics")
sim_port=$(free_port "$pg_port" "$t_port" "$t_http" "$t_metrics" "$api_port")
# The file-backed dev server of make dev: a restart keeps every workflow.
T_ARGS=(--port "$t_port" --http-port "$t_http" --metrics-port "$t_metrics" --headless
	--db-filename "$DIR/temporal.db"
	--sqlite-pragma journal_mode=WAL --sqlite-pragma synchronous=NORMAL
	--dynamic-config-value history.shardIOConcurrency=8 --log-level warn)
export TEMPORAL_ADDRESS=127.0.0.1:$t_port TEMPORAL_NAMESPACE=default
start_temporal
ensure_search_attributes "$TEMPORAL_ADDRESS" default

export MOTCUA_HTTP_ADDR=127.0.0.1:$api_port MOTCUA_SIM_ADDR=127.0.0.1:$sim_port
export MOTCUA_PUBLIC_URL=http://$MOTCUA_HTTP_ADDR
export MOTCUA_PAYMENT_URL=http://$MOTCUA_SIM_ADDR/payment MOTCUA_POSTAL_URL=http://$MOTCUA_SIM_ADDR/postal
export MOTCUA_NOTIFY_URL=http://$MOTCUA_SIM_ADDR/messages/v1/messages
export MOTCUA_PORTAL_URL=http://$MOTCUA_SIM_ADDR/portal MOTCUA_PORTAL_TOKEN=chaos-portal-token
# The simulated gateway pays and the simulated carrier delivers by
# themselves too, as a fallback for the load generator's own pay and
# delivery calls (which normally come first: the simulated citizen pays as
# soon as the dossier shows the pay link). The delay counts from the
# payment request's creation; much shorter than a person could take, it
# produces callbacks that arrive before the workflow waits for them (see
# "Known gaps" in docs/RELIABILITY.md): CHAOS_AUTO_PAY_AFTER=1s shows it.
export MOTCUA_SIM_AUTO_PAY_AFTER=${CHAOS_AUTO_PAY_AFTER:-20s}
export MOTCUA_SIM_AUTO_DELIVER_AFTER=${CHAOS_AUTO_DELIVER_AFTER:-20s}
# A secret of this run only, for the API and the load generator's tokens.
MOTCUA_JWT_SECRET=chaos-$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
export MOTCUA_JWT_SECRET MOTCUA_LOG_LEVEL=warn
# Business time of its own, whatever the hour (scripts/lib.sh).
MOTCUA_CLOCK_OFFSET=$(test_clock_offset)
export MOTCUA_CLOCK_OFFSET
API_URL=http://$MOTCUA_HTTP_ADDR
SIM_URL=http://$MOTCUA_SIM_ADDR

"$MOTCUA_BIN" migrate >"$DIR/migrate.log" 2>&1 || { show_log_tail "$DIR/migrate.log"; die "motcua migrate failed"; }
"$MOTCUA_BIN" seed >"$DIR/seed.log" 2>&1 || { show_log_tail "$DIR/seed.log"; die "motcua seed failed"; }
spawn "$DIR/sim.log" "$MOTCUA_BIN" sim
SIM_PID=$SPAWNED_PID
start_worker WORKER_PID
start_api
wait_ready 60
log "stack up in $DIR (api $API_URL, sim $SIM_URL, Temporal $TEMPORAL_ADDRESS, PostgreSQL 127.0.0.1:$pg_port)"

# ---------------------------------------------------------------- load and probe
# The probe: one GET /readyz every quarter second (3 s bound), as
# "epoch status seconds" lines (status 000: no answer).
(
	while true; do
		t=$(date +%s.%N)
		out=$(curl -s -o /dev/null -w '%{http_code} %{time_total}' --max-time 3 "$API_URL/readyz?strict=true" 2>/dev/null) || true
		printf '%s %s\n' "$t" "${out:-000 3}"
		sleep 0.25
	done
) >"$DIR/probe.log" 2>/dev/null &
PROBE_PID=$!

log "load generator: $DOSSIERS dossiers at $RATE/s (seed $SEED), retrying for up to 3m"
"$MOTCUA_BIN" loadgen --api "$API_URL" --sim "$SIM_URL" --dossiers "$DOSSIERS" --rate "$RATE" --seed "$SEED" \
	--retry-for 3m --http-timeout 35s --dossier-timeout 4m --progress 10s --json "$DIR/loadgen.json" >"$DIR/loadgen.log" 2>&1 &
LOADGEN_PID=$!
T0=$SECONDS

# ---------------------------------------------------------------- faults
sleep $((PAUSE / 2 + 1))
mark "fault 1 start: SIGKILL the worker"
kill -KILL "$WORKER_PID"
wait "$WORKER_PID" 2>/dev/null || true
sleep 2
start_worker WORKER_PID
mark "fault 1 done: worker restarted (pid $WORKER_PID)"

pause
mark "fault 2 start: SIGKILL the API"
kill -KILL "$API_PID"
wait "$API_PID" 2>/dev/null || true
start_api
wait_ready 60
mark "fault 2 done: API restarted and ready (pid $API_PID)"

pause
mark "fault 3 start: restart the Temporal dev server"
temporal_stop 60
start_temporal
mark "fault 3 done: Temporal restarted and healthy (pid $TEMPORAL_PID)"

pause
mark "fault 4 start: restart PostgreSQL (stop -m fast)"
pg_stop "$DIR/postgres"
sleep 3
pg_start "$DIR/postgres" "$pg_port" "$DIR/run" "$DIR/postgres.log" "${PG_SETTINGS[@]}"
mark "fault 4 done: PostgreSQL restarted"

pause
mark "fault 5 start: a second worker, then SIGKILL the first"
start_worker WORKER2_PID
sleep "$PAUSE"
kill -KILL "$WORKER_PID"
wait "$WORKER_PID" 2>/dev/null || true
WORKER_PID=""
mark "fault 5 done: first worker killed; worker 2 (pid $WORKER2_PID) goes on alone"

# ---------------------------------------------------------------- results
log "faults done after $((SECONDS - T0))s; waiting for the load generator"
lg_rc=0
wait "$LOADGEN_PID" || lg_rc=$?
LOADGEN_PID=""
mark "load generator finished (exit status $lg_rc)"
sed -n '/^loadgen report/,$p' "$DIR/loadgen.log"

# Every process must be up again before the check.
for pair in "api:$API_PID" "worker:$WORKER2_PID" "sim:$SIM_PID" "temporal:$TEMPORAL_PID"; do
	kill -0 "${pair#*:}" 2>/dev/null || die "${pair%%:*} is not running after the faults"
done
http_ok "$API_URL/readyz?strict=true" || die "the API is not ready after the faults"

check_rc=0
"$MOTCUA_BIN" chaos-check --sim "$SIM_URL" --wait 2m --loadgen-report "$DIR/loadgen.json" \
	--json "$DIR/chaos-check.json" || check_rc=$?
kill "$PROBE_PID" 2>/dev/null || true
wait "$PROBE_PID" 2>/dev/null || true
PROBE_PID=""

# How each fault looked from outside: from the fault's start to 10 s after
# it was repaired, how long /readyz failed (first to last failed probe), the answers
# seen, and the slowest probe.
echo
echo "faults seen by the /readyz probe (every 0.25s, 3s bound)"
awk '
	FNR == NR { mt[++m] = $1; $1 = ""; mn[m] = substr($0, 2); next }
	{ pt[++p] = $1; ps[p] = $2; pd[p] = $3 }
	END {
		for (i = 1; i <= m; i++) {
			if (mn[i] !~ /^fault [0-9] start: /) continue
			# Until 10 s after the fault is repaired, never into the next one.
			end = (i < m) ? mt[i + 1] + 10 : 1e12
			if (i + 2 <= m && mt[i + 2] < end) end = mt[i + 2]
			first = 0; last = 0; slow = 0; kinds = ""; delete seen
			for (j = 1; j <= p; j++) {
				if (pt[j] < mt[i] || pt[j] > end) continue
				if (pd[j] > slow) slow = pd[j]
				if (ps[j] != "200") {
					if (!first) first = pt[j]
					last = pt[j] + pd[j]
					seen[ps[j]]++
				}
			}
			for (k in seen) kinds = kinds sprintf(" %s×%d", (k == "000" ? "no answer" : k), seen[k])
			if (first) printf "  %-48s unavailable %5.1fs (%s ), slowest probe %.2fs\n", mn[i], last - first, kinds, slow
			else printf "  %-48s always ready, slowest probe %.2fs\n", mn[i], slow
		}
	}' "$DIR/faults.log" "$DIR/probe.log"
echo "  total duration $((SECONDS - T0))s, faults injected: 5"

if ((check_rc != 0)); then
	die "chaos check failed: something was lost, duplicated or inconsistent (logs in $DIR)"
fi
if ((lg_rc != 0)); then
	log "the load generator reported client-visible errors (above); nothing was lost or duplicated"
fi
log "chaos run passed"
