#!/usr/bin/env bash
# scripts/prod-local.sh (`make prod-local`, `make test-prod-local`): the
# production shape on one machine.
#
#   - a PostgreSQL cluster of its own with three databases: temporal and
#     temporal_visibility (Temporal's, schemas set up by temporal-sql-tool
#     from the server module's schema/postgresql/v12) and motcua (ours),
#   - temporal-server v1.29.1 (frontend, history, matching and worker
#     services in one process, 4 history shards) configured from
#     deploy/temporal/server.yaml.tmpl, with mutual TLS between every client
#     (our processes, the UI server, the CLI) and the frontend, on
#     certificates of a throwaway CA made at each start (tls/ in the state
#     directory; clients find them through TEMPORAL_TLS_*, the SDK's and the
#     CLI's environment configuration), the namespace with 30-day retention
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
#   0. a client without a certificate is refused by the frontend (the CLI
#      and `motcua reconcile`), the same with one succeeds;
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
	temporal_stop 30 # a temporal-server that failed to come up (set only meanwhile)
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
pg_port=$(port)
taken+=("$pg_port")
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

# ------------------------------------------------------------ PostgreSQL

pg_start "$STATE/postgres" "$pg_port" "$STATE/run" "$STATE/logs/postgres.log" \
	max_connections=300
pg_port=$PG_PORT
for db in motcua; do pg_create_db "$pg_port" "$db"; done

# ------------------------------------------------------------ Temporal server and UI

# temporal-server on this PostgreSQL over mutual TLS (scripts/lib.sh
# temporal_server_start): schemas, throwaway certificates (exported to every
# client below through the TEMPORAL_TLS_* variables), the namespace and our
# search attributes.
TEMPORAL_NAMESPACE=$NAMESPACE temporal_server_start "$STATE" "$pg_port" "$STATE/logs/temporal-server.log" "${taken[@]}"
PIDS+=("$TEMPORAL_PID")
NAMES+=(temporal-server)
TEMPORAL_PID="" # stopped by cleanup with the others, in order
FRONTEND=$TEMPORAL_FRONTEND
declare -A T=([FRONTEND]=${TS_PORT[FRONTEND]} [METRICS]=${TS_PORT[METRICS]})

# The UI decodes payloads through the API's codec endpoint with an ops
# token in the URL (development only, as make dev does).
CODEC_TOKEN=$(MOTCUA_JWT_SECRET=$JWT_SECRET "$MOTCUA_BIN" token --role ops --sub temporal-ui-prod-local --ttl 720h) ||
	die "could not mint the ops token for the Temporal UI's codec endpoint"
mkdir -p "$STATE/ui/config"
: >"$STATE/ui/config/base.yaml"
render_template deploy/temporal/ui-server.yaml.tmpl "$STATE/ui/config/prod-local.yaml" \
	FRONTEND_PORT="${T[FRONTEND]}" UI_PORT="$ui_port" NAMESPACE="$NAMESPACE" TLS_DIR="$TLS_DIR" \
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
    Temporal frontend (gRPC)    $FRONTEND   namespace $NAMESPACE   (mutual TLS: certificates in $TLS_DIR;
                                the CLI: export TEMPORAL_TLS_CLIENT_CERT_PATH=$TLS_DIR/client.pem
                                TEMPORAL_TLS_CLIENT_KEY_PATH=$TLS_DIR/client.key
                                TEMPORAL_TLS_SERVER_CA_CERT_PATH=$TLS_DIR/ca.pem TEMPORAL_TLS_SERVER_NAME=localhost)
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

# 0. The frontend refuses whoever has no certificate from the CA: plain
# gRPC, TLS without a client certificate (the CLI, then motcua itself), and
# TLS with a certificate from another CA; with ours it answers.
log "0: a client without a certificate is refused by the frontend"
refused() {
	local what=$1 out
	shift
	if out=$("$@" 2>&1); then
		die "the frontend accepted $what: $out"
	fi
	log "refused, as it must be: $what: $(tail -n 1 <<<"$out" | cut -c1-200)"
}
refused "plain gRPC (no TLS)" env -u TEMPORAL_TLS_CLIENT_CERT_PATH -u TEMPORAL_TLS_CLIENT_KEY_PATH \
	-u TEMPORAL_TLS_SERVER_CA_CERT_PATH -u TEMPORAL_TLS_SERVER_NAME \
	"$TEMPORAL_BIN" operator cluster health --address "$FRONTEND" --command-timeout 5s
refused "TLS without a client certificate (CLI)" env -u TEMPORAL_TLS_CLIENT_CERT_PATH -u TEMPORAL_TLS_CLIENT_KEY_PATH \
	"$TEMPORAL_BIN" operator cluster health --address "$FRONTEND" --command-timeout 5s
refused "TLS without a client certificate (motcua reconcile)" env -u TEMPORAL_TLS_CLIENT_CERT_PATH -u TEMPORAL_TLS_CLIENT_KEY_PATH \
	DATABASE_URL="$DATABASE_URL" timeout 60 "$MOTCUA_BIN" reconcile
tls_throwaway_certs "$STATE/tls-other"
refused "a certificate from another CA" env TEMPORAL_TLS_CLIENT_CERT_PATH="$STATE/tls-other/client.pem" \
	TEMPORAL_TLS_CLIENT_KEY_PATH="$STATE/tls-other/client.key" \
	"$TEMPORAL_BIN" operator cluster health --address "$FRONTEND" --command-timeout 5s
"$TEMPORAL_BIN" operator cluster health --address "$FRONTEND" --command-timeout 10s >/dev/null ||
	die "the frontend refused our own client certificate"
log "0 passed: only clients with a certificate from the CA get in"

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
