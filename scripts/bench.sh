#!/usr/bin/env bash
# scripts/bench.sh (`make bench`): the engine ceiling and our dossiers, in one
# run, on the same Temporal server, and their ratio.
#
#   1. builds bin/motcua (and bin/temporal the first time);
#   2. starts a throwaway PostgreSQL and a Temporal dev server persisted to a
#      file with the WAL pragmas of `make dev` (unless TEMPORAL_ADDRESS is
#      set: then that server is measured, e.g. temporal-server on
#      PostgreSQL), in a temporary directory removed afterwards;
#   3. migrate + seed, then starts `motcua sim`, `motcua api`, `motcua worker`
#      (profiler on, development tokens on, submission rate limit off);
#   4. `motcua bench`: no-op workflows shaped like a happy-path dossier,
#      naive (8 activities, 5 signals) then local (8 local activities,
#      5 updates), MOTCUA_BENCH_WORKFLOWS each, MOTCUA_BENCH_CONCURRENCY at a time;
#   5. `motcua loadgen --mix happy`: MOTCUA_BENCH_E2E_DOSSIERS real dossiers with a
#      fee and a postal return through the HTTP API, the same concurrency,
#      with CPU and allocation profiles of the api and worker taken meanwhile;
#   6. in the shared layout, the same dossiers at a fixed offered rate
#      (MOTCUA_BENCH_RATE, default 10/s), for latency;
#   7. with the dev server still: the growth table (MOTCUA_BENCH_GROWTH) and
#      the deadline storm (MOTCUA_BENCH_STORM);
#   8. the server layout: the dev server replaced by temporal-server on this
#      PostgreSQL (scripts/lib.sh temporal_server_start, the shape of
#      `make prod-local`), steps 4-5 again;
#   9. prints both figures and the ratios of each layout, what the Grafana
#      dashboard's panels and the documented alerts show over each step-5 run
#      (`motcua bench dashboard`, from the api's admin and the worker's
#      /metrics), a table of every layout's ratios and CPU per dossier by
#      process, and stops everything.
#
# Results (JSON reports, profiles, logs) are kept in MOTCUA_BENCH_OUT.
#
# Environment (all optional):
#   MOTCUA_BENCH_WORKFLOWS    no-op workflows per variant (default 300)
#   MOTCUA_BENCH_E2E_DOSSIERS     dossiers of the throughput run (default 300)
#   MOTCUA_BENCH_CONCURRENCY  in flight at a time in both (default 50)
#   MOTCUA_BENCH_LAYOUT       which of shared, pinned, server to measure (default all; both:
#                             shared and pinned): steps 4-5 with every process on every CPU;
#                             with the Temporal dev server alone on CPU 0 (taskset; only for
#                             the dev server this script starts); on temporal-server + PostgreSQL
#   MOTCUA_BENCH_RATE         dossiers/s of the latency run (default 10, the issue's; 0 skips)
#   MOTCUA_BENCH_RATE_SECONDS how long the latency run offers its rate (default 60)
#   MOTCUA_BENCH_OPEN         then submit this many dossiers and leave them open, waiting
#                             for a decision, to measure the worker's memory (default 0: skipped)
#   MOTCUA_BENCH_GROWTH       numbers of dossiers left open (waiting for review) to measure
#                             throughput and p99 with, e.g. "1000 10000 100000" (default
#                             "100 1000"; "" skips): the growth table (docs/PERFORMANCE.md)
#   MOTCUA_BENCH_GROWTH_DOSSIERS  happy-path dossiers measured at each size (default 100)
#   MOTCUA_BENCH_STORM        open dossiers whose intake step is warned and due together, seeded
#                             into the near future (`motcua bench storm`); reports the time to
#                             drain (default 1000; 0 skips; the target names 10000)
#   MOTCUA_BENCH_OUT          where results go (default .data/bench/<date-time>)
#   TEMPORAL_ADDRESS          measure this Temporal instead of starting a dev server
#   TEMPORAL_NAMESPACE        its namespace (default: default)
#   MOTCUA_BENCH_SERVER_PID   with TEMPORAL_ADDRESS: the PID of that server, when it runs on this
#                             machine, for its CPU per workflow
#   MOTCUA_PG_BINDIR          directory of initdb/pg_ctl to use (default: searched)
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/lib.sh
source scripts/lib.sh
MOTCUA_LOG_PREFIX=bench
# motcua runs as production unless told otherwise (config.Config.Environment):
# development credentials (simulators, tokens), on loopback.
export MOTCUA_ENV=development

ROOT=$PWD
WORKFLOWS=${MOTCUA_BENCH_WORKFLOWS:-300}
DOSSIERS=${MOTCUA_BENCH_E2E_DOSSIERS:-300}
CONC=${MOTCUA_BENCH_CONCURRENCY:-50}
RATE=${MOTCUA_BENCH_RATE:-10}
RATE_SECONDS=${MOTCUA_BENCH_RATE_SECONDS:-60}
OPEN=${MOTCUA_BENCH_OPEN:-0}
GROWTH=${MOTCUA_BENCH_GROWTH-100 1000}
GROWTH_DOSSIERS=${MOTCUA_BENCH_GROWTH_DOSSIERS:-100}
STORM=${MOTCUA_BENCH_STORM:-1000}
OUT=$(abspath "${MOTCUA_BENCH_OUT:-.data/bench/$(date +%Y%m%d-%H%M%S)}")
MOTCUA_BIN=$ROOT/bin/motcua

BENCH_DIR=""
declare -A SVC_PID=()
# stop_motcua: stop the worker, the API and the simulators.
stop_motcua() {
	local name
	for name in worker api sim; do
		[[ -n "${SVC_PID[$name]:-}" ]] && stop_pid "${SVC_PID[$name]}" "motcua $name" 15
		SVC_PID[$name]=""
	done
}
# shellcheck disable=SC2317 # invoked by the EXIT trap
cleanup() {
	local rc=$?
	trap '' INT TERM HUP
	set +e
	stop_motcua
	temporal_stop 60
	if [[ -n "$BENCH_DIR" ]]; then
		pg_stop "$BENCH_DIR/postgres"
		rm -rf "$BENCH_DIR"
	fi
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP


# ---------------------------------------------------------------- CPU accounting
# Where the two cores go during a phase: user+system CPU seconds of each
# process group, read from /proc/<pid>/stat before and after (PostgreSQL:
# the postmaster and its backends; the client: the benchmark command or
# the load generator itself, which reports its own).
CLK_TCK=$(getconf CLK_TCK)
# proc_ticks PID...: utime+stime of the processes (and of their children
# that exited and were waited for), in clock ticks.
proc_ticks() {
	local total=0 pid rest
	local -a f
	for pid in "$@"; do
		rest=$(cat "/proc/$pid/stat" 2>/dev/null) || continue
		read -r -a f <<<"${rest##*) }"
		# Fields 14-17 of stat are utime, stime, cutime, cstime; after the
		# comm they are at 11-14 of what is left (0-based).
		total=$((total + f[11] + f[12] + f[13] + f[14]))
	done
	echo "$total"
}
pg_pids() { echo "$PG_POSTMASTER" $(pgrep -P "$PG_POSTMASTER" 2>/dev/null); }
declare -A CPU_AT=()
# cpu_mark: remember every group's ticks now.
cpu_mark() {
	CPU_AT[temporal]=$( [[ -n "$SERVER_PID" ]] && proc_ticks "$SERVER_PID" || echo 0)
	# shellcheck disable=SC2046 # a list of pids
	CPU_AT[postgres]=$(proc_ticks $(pg_pids))
	local name
	for name in api worker sim; do CPU_AT[$name]=$(proc_ticks "${SVC_PID[$name]}"); done
	CPU_AT[wall]=$(date +%s%N)
}
# cpu_report TITLE: CPU seconds of each group since cpu_mark, and the share
# of the machine's cores they took.
cpu_report() {
	local title=$1 name now wall ticks cores
	now=$(date +%s%N)
	wall=$(((now - CPU_AT[wall]) / 1000000))
	cores=$(nproc)
	{
		printf 'CPU over %s (%.1f s wall, %d cores = %.1f core-seconds):\n' "$title" "$(awk "BEGIN{print $wall/1000}")" "$cores" "$(awk "BEGIN{print $wall*$cores/1000}")"
		for name in temporal postgres api worker sim; do
			case $name in
			temporal) [[ -n "$SERVER_PID" ]] || { printf '  %-9s (not measured: set MOTCUA_BENCH_SERVER_PID)\n' "$name"; continue; }
				ticks=$(($(proc_ticks "$SERVER_PID") - CPU_AT[$name])) ;;
			# shellcheck disable=SC2046
			postgres) ticks=$(($(proc_ticks $(pg_pids)) - CPU_AT[$name])) ;;
			*) ticks=$(($(proc_ticks "${SVC_PID[$name]}") - CPU_AT[$name])) ;;
			esac
			printf '  %-9s %7.2f s  %5.1f%% of one core\n' "$name" "$(awk "BEGIN{print $ticks/$CLK_TCK}")" "$(awk "BEGIN{print $ticks*100000/$CLK_TCK/$wall}")"
		done
	}
}

mkdir -p "$OUT"
log "results go to $OUT"
log "building bin/motcua"
go build -o bin/motcua ./cmd/motcua || die "go build ./cmd/motcua failed"
ensure_temporal

BENCH_DIR=$(mktemp -d "${TMPDIR:-/tmp}/motcua-bench.XXXXXX")
chmod 755 "$BENCH_DIR"

# ---------------------------------------------------------------- PostgreSQL
# The settings of `make dev` (a stock cluster): the read model's writes are
# part of what is measured.
pg_port=$(free_port)
pg_start "$BENCH_DIR/postgres" "$pg_port" "$BENCH_DIR/run" "$OUT/postgres.log" max_connections=200
pg_create_db "$pg_port" motcua
PG_POSTMASTER=$(head -1 "$BENCH_DIR/postgres/postmaster.pid")
export DATABASE_URL="postgres://postgres@127.0.0.1:$pg_port/motcua?sslmode=disable"

# ---------------------------------------------------------------- Temporal
export TEMPORAL_NAMESPACE=${TEMPORAL_NAMESPACE:-default}
EXTERNAL_TEMPORAL=0
if [[ -n "${TEMPORAL_ADDRESS:-}" ]]; then
	EXTERNAL_TEMPORAL=1
	log "measuring the Temporal at TEMPORAL_ADDRESS=$TEMPORAL_ADDRESS (namespace $TEMPORAL_NAMESPACE)"
	wait_for_temporal "$TEMPORAL_ADDRESS" 30
	SERVER="Temporal at $TEMPORAL_ADDRESS"
else
	t_port=$(free_port "$pg_port")
	t_http_port=$(free_port "$pg_port" "$t_port")
	t_metrics_port=$(free_port "$pg_port" "$t_port" "$t_http_port")
	# The persistence of `make dev`: a sqlite file with WAL (2–4x faster than without).
	temporal_start "$OUT/temporal.log" \
		--port "$t_port" --http-port "$t_http_port" --metrics-port "$t_metrics_port" --headless \
		--db-filename "$BENCH_DIR/temporal.db" \
		--sqlite-pragma journal_mode=WAL --sqlite-pragma synchronous=NORMAL \
		--dynamic-config-value history.shardIOConcurrency=8 \
		--log-level warn
	export TEMPORAL_ADDRESS=127.0.0.1:$t_port
	wait_for_temporal "$TEMPORAL_ADDRESS" 60
	SERVER="Temporal dev server, sqlite file + WAL"
fi
ensure_search_attributes "$TEMPORAL_ADDRESS" "$TEMPORAL_NAMESPACE"

# The server whose CPU is measured: ours, or the one MOTCUA_BENCH_SERVER_PID
# names (e.g. temporal-server of `make prod-local`, on this machine).
SERVER_PID=${TEMPORAL_PID:-${MOTCUA_BENCH_SERVER_PID:-}}

# ---------------------------------------------------------------- motcua
# start_motcua: migrate and seed DATABASE_URL, start sim, api and worker
# against TEMPORAL_ADDRESS, and wait until the API is ready.
start_motcua() {
	local name pprof admin deadline
	"$MOTCUA_BIN" migrate >"$OUT/migrate$LOG_SFX.log" 2>&1 || { show_log_tail "$OUT/migrate$LOG_SFX.log"; die "motcua migrate failed"; }
	"$MOTCUA_BIN" seed >"$OUT/seed$LOG_SFX.log" 2>&1 || { show_log_tail "$OUT/seed$LOG_SFX.log"; die "motcua seed failed"; }

	for name in sim api worker; do
		case $name in
		api) pprof=127.0.0.1:$api_pprof admin=127.0.0.1:$api_admin ;;
		worker) pprof=127.0.0.1:$worker_pprof admin= ;;
		*) pprof= admin= ;;
		esac
		MOTCUA_ADMIN_ADDR=$admin MOTCUA_PPROF_ADDR=$pprof spawn "$OUT/$name$LOG_SFX.log" "$MOTCUA_BIN" "$name"
		SVC_PID[$name]=$SPAWNED_PID
		log "started motcua $name (pid $SPAWNED_PID)"
	done
	deadline=$((SECONDS + 60))
	until http_ok "$API_URL/readyz?strict=true"; do
		for name in sim api worker; do
			kill -0 "${SVC_PID[$name]}" 2>/dev/null || { show_log_tail "$OUT/$name$LOG_SFX.log"; die "motcua $name exited"; }
		done
		((SECONDS < deadline)) || { show_log_tail "$OUT/api$LOG_SFX.log"; die "the API is not ready after 60s"; }
		sleep 0.5
	done
}
api_port=$(free_port "$pg_port")
sim_port=$(free_port "$pg_port" "$api_port")
api_pprof=$(free_port "$pg_port" "$api_port" "$sim_port")
worker_pprof=$(free_port "$pg_port" "$api_port" "$sim_port" "$api_pprof")
worker_metrics=$(free_port "$pg_port" "$api_port" "$sim_port" "$api_pprof" "$worker_pprof")
# The API's admin listener (its /metrics): the dashboard's API panels.
api_admin=$(free_port "$pg_port" "$api_port" "$sim_port" "$api_pprof" "$worker_pprof" "$worker_metrics")
# The worker's SDK metrics: the storm counts workflow task failures there.
export MOTCUA_WORKER_METRICS_ADDR=127.0.0.1:$worker_metrics
export MOTCUA_HTTP_ADDR=127.0.0.1:$api_port
export MOTCUA_PUBLIC_URL=http://127.0.0.1:$api_port
export MOTCUA_SIM_ADDR=127.0.0.1:$sim_port
export MOTCUA_PAYMENT_URL=http://127.0.0.1:$sim_port/payment
export MOTCUA_POSTAL_URL=http://127.0.0.1:$sim_port/postal
export MOTCUA_NOTIFY_URL=http://127.0.0.1:$sim_port/messages/v1/messages
export MOTCUA_LOG_LEVEL=warn
# A fresh development secret for this run only: the loadgen mints its
# actors' tokens with it.
MOTCUA_JWT_SECRET=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')
export MOTCUA_JWT_SECRET
# Every simulated portal submits from 127.0.0.1: the per-IP limit is not
# what is measured.
export MOTCUA_SUBMIT_RATE_PER_MINUTE=100000000
API_URL=http://127.0.0.1:$api_port
SIM_URL=http://127.0.0.1:$sim_port
LOG_SFX=""
start_motcua

# The Temporal server's CPU per workflow, when it runs here.
SERVER_PID_FLAG=()
[[ -n "$SERVER_PID" ]] && SERVER_PID_FLAG=(--server-pid "$SERVER_PID")
PIN=()
loadgen() {
	"${PIN[@]}" "$MOTCUA_BIN" loadgen --api "$API_URL" --sim "$SIM_URL" "${SERVER_PID_FLAG[@]}" \
		--api-pid "${SVC_PID[api]}" --worker-pid "${SVC_PID[worker]}" --progress 10s "$@"
}

# pin_layout shared|pinned: where the processes may run.
#   shared: every process on both CPUs (the whole system on one small box);
#   pinned: the Temporal server alone on CPU 0, everything else
#           (PostgreSQL, api, worker, sim, the benchmark's clients) on CPU 1,
#           as when the engine has hosts of its own: each shape is then
#           limited by what it costs the engine, not by the clients that
#           would otherwise share the engine's cores.
pin_layout() {
	local all server rest pid
	all=0-$(($(nproc) - 1))
	server=$all rest=$all PIN=()
	if [[ $1 == pinned ]]; then
		server=0 rest=1 PIN=(taskset -c 1)
	fi
	taskset -a -p -c "$server" "$TEMPORAL_PID" >/dev/null
	for pid in $(pg_pids) "${SVC_PID[api]}" "${SVC_PID[worker]}" "${SVC_PID[sim]}"; do
		taskset -a -p -c "$rest" "$pid" >/dev/null
	done
}

LAYOUTS=${MOTCUA_BENCH_LAYOUT:-all}
case $LAYOUTS in
both) LAYOUTS="shared pinned" ;;
all) LAYOUTS="shared pinned server" ;;
esac
DEV_LAYOUTS="" SERVER_LAYOUT=0
for layout in $LAYOUTS; do
	case $layout in
	shared | pinned) DEV_LAYOUTS+="${DEV_LAYOUTS:+ }$layout" ;;
	server) SERVER_LAYOUT=1 ;;
	*) die "MOTCUA_BENCH_LAYOUT must name shared, pinned and server (or be both, all), not $LAYOUTS" ;;
	esac
done
if [[ $DEV_LAYOUTS == *pinned* ]]; then
	if [[ -z "$TEMPORAL_PID" ]] || (($(nproc) < 2)) || ! command -v taskset >/dev/null; then
		log "the pinned layout needs the dev server this script starts, 2 CPUs and taskset: not measured"
		DEV_LAYOUTS=${DEV_LAYOUTS/pinned/}
		DEV_LAYOUTS=${DEV_LAYOUTS// /}
	fi
fi
if ((SERVER_LAYOUT)) && ((EXTERNAL_TEMPORAL)); then
	log "the server layout starts a temporal-server of its own: not measured with TEMPORAL_ADDRESS set"
	SERVER_LAYOUT=0
fi

# save_metrics SUFFIX: the API's and the worker's /metrics, now, into
# $OUT/{api,worker}-metricsSUFFIX.txt (for `motcua bench dashboard`).
save_metrics() {
	curl -sf -H 'Accept: text/plain;version=0.0.4' -o "$OUT/api-metrics$1.txt" "http://127.0.0.1:$api_admin/metrics" &&
		curl -sf -H 'Accept: text/plain;version=0.0.4' -o "$OUT/worker-metrics$1.txt" "http://127.0.0.1:$worker_metrics/metrics"
}

# wait_quiet: before a measurement, let the server finish what the previous
# one left (task queues draining, visibility writes): wait until it uses
# under 5% of a core over a second (at most 60 s).
wait_quiet() {
	[[ -n "$SERVER_PID" ]] || return 0
	local t0 t1 deadline=$((SECONDS + 60))
	while ((SECONDS < deadline)); do
		t0=$(proc_ticks "$SERVER_PID")
		sleep 1
		t1=$(proc_ticks "$SERVER_PID")
		(((t1 - t0) * 100 < 5 * CLK_TCK)) && return 0
	done
	log "WARNING: the Temporal server is still busy before the next measurement"
}

# layout_sfx LAYOUT: the suffix of the layout's result files (none for shared).
layout_sfx() { [[ $1 == shared ]] || printf -- '-%s' "$1"; }

# measure LAYOUT: the ceiling and our dossiers on the processes as they are
# placed now; results with the layout's suffix (none for shared).
measure() {
	local layout=$1 sfx profile_seconds=20 profiler
	sfx=$(layout_sfx "$layout")
	# ------------------------------------------------------------ 1. ceiling
	log "[$layout] 1/2 engine ceiling: $WORKFLOWS no-op workflows per variant, $CONC at a time"
	wait_quiet
	cpu_mark
	"${PIN[@]}" "$MOTCUA_BIN" bench --workflows "$WORKFLOWS" --concurrency "$CONC" "${SERVER_PID_FLAG[@]}" \
		--json "$OUT/ceiling$sfx.json" | tee "$OUT/ceiling$sfx.txt"
	cpu_report "the ceiling runs, $layout (client: the bench command, in ceiling$sfx.txt)" | tee "$OUT/cpu-ceiling$sfx.txt"

	# ------------------------------------------------------------ 2. dossiers
	log "[$layout] 2/2 our dossiers: $DOSSIERS happy-path dossiers (fee, postal return) through the API, $CONC at a time"
	wait_quiet
	(
		sleep 5 # past the warm-up
		curl -s -o "$OUT/api$sfx.cpu.pprof" "http://127.0.0.1:$api_pprof/debug/pprof/profile?seconds=$profile_seconds" &
		curl -s -o "$OUT/worker$sfx.cpu.pprof" "http://127.0.0.1:$worker_pprof/debug/pprof/profile?seconds=$profile_seconds" &
		wait
		curl -s -o "$OUT/api$sfx.allocs.pprof" "http://127.0.0.1:$api_pprof/debug/pprof/allocs"
		curl -s -o "$OUT/worker$sfx.allocs.pprof" "http://127.0.0.1:$worker_pprof/debug/pprof/allocs"
	) &
	profiler=$!
	save_metrics "-before$sfx" || log "WARNING: reading /metrics before the run failed"
	cpu_mark
	loadgen --mix happy --dossiers "$DOSSIERS" --concurrency "$CONC" --seed "$((${#summaries[@]} + 1))" \
		--json "$OUT/loadgen$sfx.json" | tee "$OUT/loadgen$sfx.txt" || rc=$?
	cpu_report "our dossiers, $layout (client: the load generator, in loadgen$sfx.txt)" | tee "$OUT/cpu-dossiers$sfx.txt"
	wait "$profiler" || log "WARNING: taking the profiles failed"
	# The Grafana dashboard's panels and the documented alerts over this
	# run: what the metrics gained since it began (docs/OPERATIONS.md
	# "The dashboard against real traffic").
	if save_metrics "$sfx"; then
		"$MOTCUA_BIN" bench dashboard \
			--before "api=$OUT/api-metrics-before$sfx.txt" --before "worker=$OUT/worker-metrics-before$sfx.txt" \
			"api=$OUT/api-metrics$sfx.txt" "worker=$OUT/worker-metrics$sfx.txt" >"$OUT/dashboard$sfx.txt" ||
			log "WARNING: motcua bench dashboard failed"
	else
		log "WARNING: reading /metrics after the run failed"
	fi
	summaries+=("$layout")
}

rc=0
summaries=()
for layout in $DEV_LAYOUTS; do
	[[ $DEV_LAYOUTS == *pinned* ]] && pin_layout "$layout"
	measure "$layout"
	# The latency run: at a fixed offered rate, every process on every CPU
	# (the issue's layout for its latency targets).
	if [[ $layout == shared ]] && ((RATE > 0)); then
		wait_quiet
		log "[$layout] latency: happy-path dossiers offered at $RATE/s for ${RATE_SECONDS}s"
		loadgen --mix happy --rate "$RATE" --duration "${RATE_SECONDS}s" --seed 2 --json "$OUT/loadgen-rate.json" |
			tee "$OUT/loadgen-rate.txt" || rc=$?
	fi
done
[[ $DEV_LAYOUTS == *pinned* ]] && pin_layout shared

# summarize LAYOUT: its figures and ratios (with the latency run's, in the
# shared layout) and its dashboard, printed and kept in summary.txt.
summarize() {
	local layout=$1 sfx what
	local -a compare
	sfx=$(layout_sfx "$layout")
	compare=("$OUT/ceiling$sfx.json" "$OUT/loadgen$sfx.json")
	((RATE > 0)) && [[ $layout == shared ]] && compare+=("$OUT/loadgen-rate.json")
	case $layout in
	pinned) what="Temporal server alone on CPU 0, everything else on CPU 1" ;;
	*) what="every process on all $(nproc) CPUs" ;;
	esac
	"$MOTCUA_BIN" bench compare --server "$SERVER; $what" "${compare[@]}" | tee "$OUT/compare$sfx.txt" | tee -a "$OUT/summary.txt"
	if [[ -s "$OUT/dashboard$sfx.txt" ]]; then
		tee -a "$OUT/summary.txt" <"$OUT/dashboard$sfx.txt"
	fi
}

echo
: >"$OUT/summary.txt"
for layout in "${summaries[@]}"; do summarize "$layout"; done

if ((OPEN > 0)); then
	# Submitted and left waiting for the intake decision: each one is a
	# running workflow the worker keeps in its cache (the SDK's default
	# cache holds 10,000).
	log "memory: $OPEN more dossiers submitted and left open, waiting for a decision"
	loadgen --mix happy --dossiers "$OPEN" --concurrency "$CONC" --stop-at submitted --history=false \
		--dossier-timeout 10m --seed 3 --json "$OUT/loadgen-open.json" | tee "$OUT/loadgen-open.txt" || rc=$?
	# Let the worker run every new workflow's first task before reading.
	sleep 15
	{
		echo "open dossiers: $OPEN (plus those finished above)"
		echo "worker $(grep -E '^(VmHWM|VmRSS)' "/proc/${SVC_PID[worker]}/status" | tr -s ' \t' ' ' | paste -sd' ')"
		echo "api    $(grep -E '^(VmHWM|VmRSS)' "/proc/${SVC_PID[api]}/status" | tr -s ' \t' ' ' | paste -sd' ')"
	} | tee "$OUT/memory-open.txt"
	curl -s -o "$OUT/worker.heap.pprof" "http://127.0.0.1:$worker_pprof/debug/pprof/heap"
	# Where the resident memory goes (heap, goroutine stacks: runtime.MemStats
	# at the end of the text form) and how many goroutines the open
	# workflows keep.
	curl -s -o "$OUT/worker.heap.txt" "http://127.0.0.1:$worker_pprof/debug/pprof/heap?debug=1"
	curl -s -o "$OUT/worker.goroutine.txt" "http://127.0.0.1:$worker_pprof/debug/pprof/goroutine?debug=1"
fi
# workflow_task_failures: the worker's count of failed workflow tasks so far.
workflow_task_failures() {
	curl -s "http://127.0.0.1:$worker_metrics/metrics" |
		awk '/^temporal_workflow_task_execution_failed/ { n += $NF } END { printf "%d\n", n }'
}

if [[ -n "$GROWTH" ]]; then
	# Growth: open dossiers accumulate (each left waiting for review, after
	# its intake), and at each size the same happy-path run is measured
	# beside them: throughput, p99, the worker's memory, the engine's CPU
	# per dossier.
	opened=0
	growth_args=()
	for size in $GROWTH; do
		if ((size > opened)); then
			wait_quiet
			log "growth: opening $((size - opened)) more dossiers (left waiting for review) to reach $size"
			loadgen --mix happy --dossiers "$((size - opened))" --concurrency "$CONC" --stop-at received --history=false \
				--dossier-timeout 10m --seed "$((100 + size))" --json "$OUT/growth-open-$size.json" >"$OUT/growth-open-$size.txt" || rc=$?
			opened=$size
		fi
		wait_quiet
		log "growth: $GROWTH_DOSSIERS happy-path dossiers with $size open"
		loadgen --mix happy --dossiers "$GROWTH_DOSSIERS" --concurrency "$CONC" --seed "$((200 + size))" \
			--json "$OUT/growth-$size.json" >"$OUT/growth-$size.txt" || rc=$?
		growth_args+=("$size=$OUT/growth-$size.json")
	done
	"$MOTCUA_BIN" bench growth "${growth_args[@]}" | tee "$OUT/growth.txt" | tee -a "$OUT/summary.txt"
fi

if ((STORM > 0)); then
	# The deadline storm: STORM dossiers seeded with their intake step
	# warned at one instant and due 30 s later (bench/storm), drained by
	# the worker as at 17:00 on a working day.
	wait_quiet
	log "storm: $STORM dossiers warned and due together"
	failed_before=$(workflow_task_failures)
	hwm_before=$(awk '/^VmHWM/ { print $2 }' "/proc/${SVC_PID[worker]}/status")
	"$MOTCUA_BIN" bench storm --dossiers "$STORM" --json "$OUT/storm.json" >"$OUT/storm.txt" 2>&1 || rc=$?
	{
		tail -1 "$OUT/storm.txt"
		echo "storm: workflow task failures during the storm: $(($(workflow_task_failures) - failed_before))"
		echo "storm: worker peak memory (VmHWM) $(awk '/^VmHWM/ { printf "%.1f MiB", $2 / 1024 }' "/proc/${SVC_PID[worker]}/status") (before the storm $((hwm_before / 1024)) MiB)"
	} | tee -a "$OUT/summary.txt"
fi
if ((SERVER_LAYOUT)); then
	# The same two runs on temporal-server (its four services in one
	# process, persistence and visibility in this PostgreSQL, mutual TLS:
	# the shape of `make prod-local`), every process on every CPU. Our
	# processes start afresh on a database of their own.
	log "[server] replacing the dev server with temporal-server on PostgreSQL (built the first time: minutes)"
	stop_motcua
	temporal_stop 60
	temporal_server_start "$BENCH_DIR/temporal-server" "$pg_port" "$OUT/temporal-server.log" \
		"$pg_port" "$api_port" "$sim_port" "$api_pprof" "$worker_pprof" "$worker_metrics" "$api_admin"
	SERVER_PID=$TEMPORAL_PID
	SERVER_PID_FLAG=(--server-pid "$SERVER_PID")
	SERVER="temporal-server on PostgreSQL (mutual TLS)"
	export TEMPORAL_ADDRESS=$TEMPORAL_FRONTEND
	pg_create_db "$pg_port" motcua_server
	export DATABASE_URL="postgres://postgres@127.0.0.1:$pg_port/motcua_server?sslmode=disable"
	LOG_SFX=-server
	start_motcua
	measure server
	summarize server
fi

# The issue-21 figures side by side: each layout's ratios and what one
# dossier cost each process (CPU seconds of the dossier run over its
# dossiers).
{
	echo
	echo "ratios and CPU per dossier (targets: ours/naive >= 1.5 shared, >= 2 pinned, >= 1.5 server;"
	echo "ours/local >= 0.75; all processes <= 85 ms per dossier)"
	printf '  %-7s %11s %11s   %s\n' layout "ours/naive" "ours/local" "CPU per dossier, ms: temporal postgres api worker sim = total"
	for layout in "${summaries[@]}"; do
		sfx=$(layout_sfx "$layout")
		[[ -s "$OUT/compare$sfx.txt" && -s "$OUT/cpu-dossiers$sfx.txt" ]] || continue
		naive=$(awk '/ours \/ naive/ { print $NF }' "$OUT/compare$sfx.txt")
		local_=$(awk '/ours \/ local/ { print $NF }' "$OUT/compare$sfx.txt")
		cpu=$(awk -v n="$DOSSIERS" '$1 ~ /^(temporal|postgres|api|worker|sim)$/ && $3 == "s" {
				ms = $2 * 1000 / n; total += ms; out = out sprintf(" %s %.1f", $1, ms) }
			END { printf "%s = %.1f", out, total }' "$OUT/cpu-dossiers$sfx.txt")
		printf '  %-7s %11s %11s  %s\n' "$layout" "$naive" "$local_" "$cpu"
	done
} | tee -a "$OUT/summary.txt"
log "profiles: go tool pprof -top $OUT/worker.cpu.pprof (also api.cpu, *.allocs)"
((rc == 0)) || die "a load generator run had failed dossiers or errors (see above)"
