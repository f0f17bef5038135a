#!/usr/bin/env bash
# scripts/prod-local.sh (`make prod-local`, `make test-prod-local`): the
# production shape on one machine.
#
#   - a PostgreSQL cluster of its own with three databases: temporal and
#     temporal_visibility (Temporal's, schemas set up by temporal-sql-tool
#     from the server module's schema/postgresql/v12) and motcua (ours),
#   - temporal-server v1.29.1 (frontend, history, matching and worker
#     services in one process, 4 history shards) configured from
#     deploy/temporal/server.yaml.tmpl, the namespace with 30-day retention
#     and the search attributes of deploy/temporal/search-attributes,
#   - the Temporal UI server (github.com/temporalio/ui-server),
#   - versitygw, the S3-compatible server the APIs keep documents' files in
#     (MOTCUA_DOCUMENT_STORAGE=s3, bucket motcua),
#   - motcua migrate + seed, motcua sim, TWO `motcua api` and TWO
#     `motcua worker` processes, and `motcua proxy` in front of the two APIs:
#     clients see one address.
#
# Usage:
#   scripts/prod-local.sh                 run until Ctrl-C; state in .data/prod-local
#                                         (kept: the next run continues every dossier)
#   scripts/prod-local.sh --test [ARGS]   throwaway state and free ports; run the
#                                         integration tests against the stack, then
#                                         stop and delete everything. ARGS are extra
#                                         go test arguments for the first step.
#
# --test runs, in order:
#   1. go test ./... with MOTCUA_TEST_DATABASE_URL / MOTCUA_TEST_TEMPORAL_ADDRESS
#      at this PostgreSQL and this temporal-server: the whole integration suite
#      on Temporal with PostgreSQL persistence and SQL visibility;
#   2. go test -tags prodlocal ./e2e/: dossiers driven end to end through the
#      proxy (two APIs, two workers; both of each must take work), then
#      `motcua reconcile`.
#
# Environment (all optional):
#   MOTCUA_PROD_DATA_DIR   state dir of the run mode (default .data/prod-local)
#   MOTCUA_PROD_HTTP_PORT  port of the proxy, the one API address (default 8080; --test: free)
#   MOTCUA_PROD_UI_PORT    Temporal UI port (default 8233; --test: free)
#   TEMPORAL_NAMESPACE     namespace of the dossiers (default: default)
#   MOTCUA_PG_BINDIR       directory of initdb/pg_ctl to use (default: searched)
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/lib.sh
source scripts/lib.sh
MOTCUA_LOG_PREFIX=prod-local
# motcua runs as production unless told otherwise (config.Config.Environment):
# production topology, development credentials (simulators, development tokens), on loopback.
export MOTCUA_ENV=development

ROOT=$PWD
MODE=run
if [[ "${1:-}" == "--test" ]]; then
	MODE=test
	shift
fi
TEST_ARGS=("$@")
NAMESPACE=${TEMPORAL_NAMESPACE:-default}
MOTCUA_BIN=$ROOT/bin/motcua
# A development token secret: the stack runs with MOTCUA_ENV=development (above) so
# that the simulators and development tokens work (see README, auth).
JWT_SECRET=${MOTCUA_JWT_SECRET:-prod-local-development-secret-0123456789}

declare -a PIDS=() NAMES=()
STATE=""
CLEANED=0

# shellcheck disable=SC2317 # invoked by the EXIT trap
cleanup() {
	local rc=$? i
	((CLEANED)) && return
	CLEANED=1
	trap '' INT TERM HUP
	set +e
	# Ours first (they drain in-flight work), Temporal next, PostgreSQL last.
	for ((i = ${#PIDS[@]} - 1; i >= 0; i--)); do
		stop_pid "${PIDS[$i]}" "${NAMES[$i]}" 30
	done
	if [[ -n "$STATE" ]]; then
		pg_stop "$STATE/postgres"
		if [[ "$MODE" == test ]]; then
			if ((rc != 0)); then
				log "logs of the failed run (kept until the directory goes): $STATE/logs"
				for f in "$STATE"/logs/*.log; do show_log_tail "$f" 15; done
			fi
			rm -rf "$STATE"
		fi
	fi
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

# start NAME CMD...: spawn CMD with its log in $STATE/logs/NAME.log.
start() {
	local name=$1
	shift
	spawn "$STATE/logs/$name.log" "$@"
	PIDS+=("$SPAWNED_PID")
	NAMES+=("$name")
	log "started $name (pid $SPAWNED_PID)"
}

# wait_http NAME URL [SECONDS]: wait until URL answers 200; die when the
# process NAME (last started with that name) exits first.
wait_http() {
	local name=$1 url=$2 timeout=${3:-60} deadline i pid=""
	for i in "${!NAMES[@]}"; do [[ "${NAMES[$i]}" == "$name" ]] && pid=${PIDS[$i]}; done
	deadline=$((SECONDS + timeout))
	while ((SECONDS < deadline)); do
		http_ok "$url" && return 0
		if [[ -n "$pid" ]] && ! kill -0 "$pid" 2>/dev/null; then
			show_log_tail "$STATE/logs/$name.log"
			die "$name exited before $url answered"
		fi
		sleep 0.3
	done
	show_log_tail "$STATE/logs/$name.log"
	die "$url did not answer 200 within ${timeout}s"
}

# ------------------------------------------------------------ build

log "building bin/motcua"
go build -o "$MOTCUA_BIN" ./cmd/motcua
ensure_temporal # the CLI: namespace and search-attribute administration
ensure_temporal_server
ensure_temporal_ui
ensure_pg_binaries
ensure_versitygw
SCHEMA_DIR=$(temporal_schema_dir)

if [[ "$MODE" == test ]]; then
	STATE=$(mktemp -d "${TMPDIR:-/tmp}/motcua-prod-local.XXXXXX")
else
	STATE=$(abspath "${MOTCUA_PROD_DATA_DIR:-.data/prod-local}")
fi
mkdir -p "$STATE/logs"
chmod 755 "$STATE" # the postgres OS user (when we are root) must enter it

# ------------------------------------------------------------ ports

taken=() # ports handed out so far (callers add each, as port runs in a subshell)
port() {
	free_port "${taken[@]+"${taken[@]}"}"
}
# Temporal stores its services' ports in a smallint column (cluster
# membership): they must be below 32768, under the kernel's ephemeral range
# that free_port draws from.
low_port() {
	local p x i clash
	for ((i = 0; i < 200; i++)); do
		p=$((20000 + (RANDOM % 12000)))
		clash=0
		for x in "${taken[@]+"${taken[@]}"}"; do [[ "$x" == "$p" ]] && clash=1; done
		((clash)) && continue
		port_in_use "$p" && continue
		printf '%s' "$p"
		return 0
	done
	die "no free TCP port below 32000"
}
pg_port=$(port)
taken+=("$pg_port")
declare -A T=()
for k in FRONTEND FRONTEND_HTTP FRONTEND_MEMBERSHIP HISTORY HISTORY_MEMBERSHIP MATCHING \
	MATCHING_MEMBERSHIP WORKER WORKER_MEMBERSHIP METRICS; do
	T[$k]=$(low_port)
	taken+=("${T[$k]}")
done
if [[ "$MODE" == test ]]; then
	http_port=$(port)
	taken+=("$http_port")
	ui_port=$(port)
	taken+=("$ui_port")
else
	http_port=${MOTCUA_PROD_HTTP_PORT:-8080}
	ui_port=${MOTCUA_PROD_UI_PORT:-8233}
	port_in_use "$http_port" && die "port $http_port is in use (set MOTCUA_PROD_HTTP_PORT)"
	port_in_use "$ui_port" && die "port $ui_port is in use (set MOTCUA_PROD_UI_PORT)"
	taken+=("$http_port" "$ui_port")
fi
sim_port=$(port)
taken+=("$sim_port")
s3_port=$(port)
taken+=("$s3_port")
api_ports=()
api_admin_ports=()
worker_metrics_ports=()
for i in 1 2; do
	api_ports+=("$(port)")
	taken+=("${api_ports[-1]}")
	api_admin_ports+=("$(port)")
	taken+=("${api_admin_ports[-1]}")
	worker_metrics_ports+=("$(port)")
	taken+=("${worker_metrics_ports[-1]}")
done
FRONTEND=127.0.0.1:${T[FRONTEND]}

# ------------------------------------------------------------ PostgreSQL

pg_start "$STATE/postgres" "$pg_port" "$STATE/run" "$STATE/logs/postgres.log" \
	max_connections=300
pg_port=$PG_PORT
for db in motcua; do pg_create_db "$pg_port" "$db"; done

# Temporal's two databases: created, then brought to the newest schema
# version by temporal-sql-tool (setup-schema -v 0.0 once, update-schema on
# every run: it applies only what is missing, which is also how an upgrade
# of the server is done).
sqltool() {
	"$ROOT/bin/temporal-sql-tool" --plugin postgres12 --endpoint 127.0.0.1 --port "$pg_port" \
		--user postgres --password "" "$@"
}
for pair in temporal:temporal visibility:temporal_visibility; do
	dir=${pair%%:*}
	db=${pair#*:}
	if [[ "$("$(pg_bin psql)" -X -q -h 127.0.0.1 -p "$pg_port" -U postgres -d postgres -tAc \
		"SELECT 1 FROM pg_database WHERE datname = '$db'")" != 1 ]]; then
		log "creating Temporal database $db and its base schema"
		sqltool --db "$db" create-database >>"$STATE/logs/sql-tool.log" 2>&1 ||
			{ show_log_tail "$STATE/logs/sql-tool.log"; die "temporal-sql-tool create-database $db failed"; }
		sqltool --db "$db" setup-schema -v 0.0 >>"$STATE/logs/sql-tool.log" 2>&1 ||
			{ show_log_tail "$STATE/logs/sql-tool.log"; die "temporal-sql-tool setup-schema $db failed"; }
	fi
	sqltool --db "$db" update-schema -d "$SCHEMA_DIR/$dir/versioned" >>"$STATE/logs/sql-tool.log" 2>&1 ||
		{ show_log_tail "$STATE/logs/sql-tool.log"; die "temporal-sql-tool update-schema $db failed"; }
done
log "Temporal schemas are current ($SCHEMA_DIR)"

# ------------------------------------------------------------ Temporal server and UI

cp deploy/temporal/dynamicconfig.yaml "$STATE/temporal-dynamicconfig.yaml"
render_template deploy/temporal/server.yaml.tmpl "$STATE/temporal/config/prod-local.yaml" \
	LOG_LEVEL=warn PG_PORT="$pg_port" PG_USER=postgres PG_PASSWORD= \
	DYNAMIC_CONFIG="$STATE/temporal-dynamicconfig.yaml" \
	FRONTEND_PORT="${T[FRONTEND]}" FRONTEND_HTTP_PORT="${T[FRONTEND_HTTP]}" \
	FRONTEND_MEMBERSHIP_PORT="${T[FRONTEND_MEMBERSHIP]}" HISTORY_PORT="${T[HISTORY]}" \
	HISTORY_MEMBERSHIP_PORT="${T[HISTORY_MEMBERSHIP]}" MATCHING_PORT="${T[MATCHING]}" \
	MATCHING_MEMBERSHIP_PORT="${T[MATCHING_MEMBERSHIP]}" WORKER_PORT="${T[WORKER]}" \
	WORKER_MEMBERSHIP_PORT="${T[WORKER_MEMBERSHIP]}" METRICS_PORT="${T[METRICS]}"
start temporal-server "$ROOT/bin/temporal-server" --root "$STATE/temporal" --config config \
	--env prod-local --allow-no-auth start
TEMPORAL_PID=${PIDS[-1]}
TEMPORAL_LOG=$STATE/logs/temporal-server.log
wait_for_temporal "$FRONTEND" 120
TEMPORAL_PID="" # stopped by cleanup with the others, in order

if ! "$TEMPORAL_BIN" operator namespace describe --address "$FRONTEND" --namespace "$NAMESPACE" \
	--command-timeout 10s >/dev/null 2>&1; then
	log "registering namespace $NAMESPACE (retention 30 days)"
	"$TEMPORAL_BIN" operator namespace create --address "$FRONTEND" --namespace "$NAMESPACE" \
		--retention 720h --command-timeout 30s >/dev/null || die "could not create namespace $NAMESPACE"
fi
# A namespace just created takes a moment to reach every service.
for _ in $(seq 1 60); do
	"$TEMPORAL_BIN" operator search-attribute list --address "$FRONTEND" --namespace "$NAMESPACE" \
		--command-timeout 5s >/dev/null 2>&1 && break
	sleep 0.5
done
ensure_search_attributes "$FRONTEND" "$NAMESPACE"

# The UI decodes payloads through the API's codec endpoint with an ops
# token in the URL (development only, as make dev does).
CODEC_TOKEN=$(MOTCUA_JWT_SECRET=$JWT_SECRET "$MOTCUA_BIN" token --role ops --sub temporal-ui-prod-local --ttl 720h) ||
	die "could not mint the ops token for the Temporal UI's codec endpoint"
mkdir -p "$STATE/ui/config"
: >"$STATE/ui/config/base.yaml"
render_template deploy/temporal/ui-server.yaml.tmpl "$STATE/ui/config/prod-local.yaml" \
	FRONTEND_PORT="${T[FRONTEND]}" UI_PORT="$ui_port" NAMESPACE="$NAMESPACE" \
	CODEC_ENDPOINT="http://127.0.0.1:$http_port/codec/t/$CODEC_TOKEN"
start temporal-ui "$ROOT/bin/temporal-ui-server" --root "$STATE/ui" --config config --env prod-local start
wait_http temporal-ui "http://127.0.0.1:$ui_port/" 60

# ------------------------------------------------------------ motcua

# Two roles: postgres owns the schema and migrates; the API, the worker and
# seed connect as the application role motcua_app (made by the migrations).
export MOTCUA_MIGRATE_DATABASE_URL="postgres://postgres@127.0.0.1:$pg_port/motcua?sslmode=disable"
export DATABASE_URL="postgres://motcua_app@127.0.0.1:$pg_port/motcua?sslmode=disable"
export TEMPORAL_ADDRESS=$FRONTEND TEMPORAL_NAMESPACE=$NAMESPACE
export MOTCUA_SIM_ADDR=127.0.0.1:$sim_port
export MOTCUA_PAYMENT_URL=http://127.0.0.1:$sim_port/payment
export MOTCUA_POSTAL_URL=http://127.0.0.1:$sim_port/postal
export MOTCUA_NOTIFY_URL=http://127.0.0.1:$sim_port/messages/v1/messages
export MOTCUA_PORTAL_URL=http://127.0.0.1:$sim_port/portal MOTCUA_PORTAL_TOKEN=prod-local-portal-token
export MOTCUA_PUBLIC_URL=http://127.0.0.1:$http_port
export MOTCUA_JWT_SECRET=$JWT_SECRET
export MOTCUA_LOG_FORMAT=json
export MOTCUA_CODEC_CORS_ORIGINS=http://127.0.0.1:$ui_port
if [[ $MODE == test ]]; then
	# Tests run at a business time of their own, whatever the hour.
	MOTCUA_CLOCK_OFFSET=$(test_clock_offset)
	export MOTCUA_CLOCK_OFFSET
fi

# Documents' files in S3-compatible storage, as in production.
s3_start "$STATE/s3" "$s3_port" "$STATE/logs/s3.log" motcua-prod-local motcua-prod-local-secret motcua
PIDS+=("$S3_PID")
NAMES+=(s3)
wait_for_s3 "$s3_port" 30
export MOTCUA_DOCUMENT_STORAGE=s3 MOTCUA_S3_ENDPOINT=127.0.0.1:$s3_port MOTCUA_S3_INSECURE=true
export MOTCUA_S3_BUCKET=motcua MOTCUA_S3_ACCESS_KEY=motcua-prod-local MOTCUA_S3_SECRET_KEY=motcua-prod-local-secret

"$MOTCUA_BIN" migrate >>"$STATE/logs/migrate.log" 2>&1 || { show_log_tail "$STATE/logs/migrate.log"; die "migrate failed"; }
pg_app_login "$pg_port"
"$MOTCUA_BIN" seed >>"$STATE/logs/migrate.log" 2>&1 || { show_log_tail "$STATE/logs/migrate.log"; die "seed failed"; }

start sim "$MOTCUA_BIN" sim
for i in 0 1; do
	start "worker-$((i + 1))" env MOTCUA_WORKER_METRICS_ADDR="127.0.0.1:${worker_metrics_ports[$i]}" "$MOTCUA_BIN" worker
done
upstreams=()
for i in 0 1; do
	start "api-$((i + 1))" env MOTCUA_HTTP_ADDR="127.0.0.1:${api_ports[$i]}" \
		MOTCUA_ADMIN_ADDR="127.0.0.1:${api_admin_ports[$i]}" "$MOTCUA_BIN" api
	upstreams+=("http://127.0.0.1:${api_ports[$i]}")
done
start proxy "$MOTCUA_BIN" proxy -listen "127.0.0.1:$http_port" "${upstreams[@]}"
for i in 0 1; do
	wait_http "api-$((i + 1))" "http://127.0.0.1:${api_ports[$i]}/readyz?strict=true" 60
	wait_http "api-$((i + 1)) admin" "http://127.0.0.1:${api_admin_ports[$i]}/metrics" 30
	wait_http "worker-$((i + 1))" "http://127.0.0.1:${worker_metrics_ports[$i]}/metrics" 60
done
wait_http proxy "http://127.0.0.1:$http_port/readyz?strict=true" 30

worker_metrics=""
for p in "${worker_metrics_ports[@]}"; do worker_metrics+="${worker_metrics:+,}http://127.0.0.1:$p/metrics"; done
api_metrics=""
for p in "${api_admin_ports[@]}"; do api_metrics+="${api_metrics:+ }http://127.0.0.1:$p/metrics"; done

cat >&2 <<EOF

  production shape is up (state: $STATE)
    API (proxy → 2 instances)   http://127.0.0.1:$http_port   (instances: ${upstreams[*]})
    Temporal UI                 http://127.0.0.1:$ui_port
    Temporal frontend (gRPC)    $FRONTEND   namespace $NAMESPACE
    Temporal server metrics     http://127.0.0.1:${T[METRICS]}/metrics
    API metrics (admin)         $api_metrics
    worker metrics              ${worker_metrics//,/ }
    simulators                  http://127.0.0.1:$sim_port
    PostgreSQL                  127.0.0.1:$pg_port (databases motcua, temporal, temporal_visibility)
    logs                        $STATE/logs/

EOF

if [[ "$MODE" == run ]]; then
	log "Ctrl-C stops everything (state is kept)"
	# Stay until a signal or until one of ours dies.
	while true; do
		for i in "${!PIDS[@]}"; do
			if ! kill -0 "${PIDS[$i]}" 2>/dev/null; then
				show_log_tail "$STATE/logs/${NAMES[$i]}.log"
				die "${NAMES[$i]} exited"
			fi
		done
		sleep 2
	done
fi

# ------------------------------------------------------------ --test

export MOTCUA_TEST_DATABASE_URL="postgres://postgres@127.0.0.1:$pg_port/postgres?sslmode=disable"
export MOTCUA_TEST_TEMPORAL_ADDRESS=$FRONTEND
export MOTCUA_TEMPORAL_BIN=$TEMPORAL_BIN
# The suite's S3 tests use a bucket of their own on the same server.
mkdir -p "$STATE/s3/data/motcua-test"
export MOTCUA_TEST_S3_ENDPOINT=127.0.0.1:$s3_port MOTCUA_TEST_S3_BUCKET=motcua-test
export MOTCUA_TEST_S3_ACCESS_KEY=motcua-prod-local MOTCUA_TEST_S3_SECRET_KEY=motcua-prod-local-secret
ensure_chromium # the console's browser tests are part of the suite
unset DATABASE_URL TEMPORAL_ADDRESS TEMPORAL_NAMESPACE MOTCUA_DOCUMENT_STORAGE MOTCUA_S3_ENDPOINT MOTCUA_S3_INSECURE \
	MOTCUA_S3_BUCKET MOTCUA_S3_ACCESS_KEY MOTCUA_S3_SECRET_KEY
gotest=(go test -count=1 -timeout 30m)
if ((${#TEST_ARGS[@]} == 0)); then TEST_ARGS=(./...); fi
log "1/2: integration suite on temporal-server + PostgreSQL: go test ${TEST_ARGS[*]}"
t0=$SECONDS
"${gotest[@]}" "${TEST_ARGS[@]}"
log "1/2 passed in $((SECONDS - t0))s"

export MOTCUA_TEST_API_URL=http://127.0.0.1:$http_port
export MOTCUA_TEST_SIM_URL=http://127.0.0.1:$sim_port
export MOTCUA_TEST_WORKER_METRICS=$worker_metrics
export MOTCUA_TEST_APP_DATABASE_URL="postgres://postgres@127.0.0.1:$pg_port/motcua?sslmode=disable"

log "2/2: dossiers end to end through the proxy (2 APIs, 2 workers)"
t0=$SECONDS
"${gotest[@]}" -tags prodlocal -v -run . ./e2e/
log "2/2 passed in $((SECONDS - t0))s"

# The read model agrees with every workflow the run left behind.
log "reconcile: read model against the workflows"
DATABASE_URL=$MOTCUA_TEST_APP_DATABASE_URL TEMPORAL_ADDRESS=$FRONTEND TEMPORAL_NAMESPACE=$NAMESPACE \
	"$MOTCUA_BIN" reconcile
log "test-prod-local passed"
