#!/usr/bin/env bash
# scripts/dev.sh (`make dev`): run the whole product locally until Ctrl-C.
#
#   1. builds bin/motcua (and bin/temporal the first time),
#   2. starts a project-local PostgreSQL in .data/postgres (unless DATABASE_URL
#      is set) and creates the database motcua,
#   3. starts the Temporal dev server persisted in .data/temporal.db (unless
#      TEMPORAL_ADDRESS is set), registers the search attributes of
#      deploy/temporal/search-attributes, sets namespace retention to 30 days,
#   4. runs `motcua migrate` and `motcua seed`,
#   5. starts `motcua sim`, `motcua api`, `motcua worker` (logs in .data/logs/)
#      and waits for the API's /readyz.
# Ctrl-C stops everything it started; the data in .data/ is kept.
#
# Environment (all optional):
#   DATABASE_URL             use this PostgreSQL instead of the local cluster
#   TEMPORAL_ADDRESS         use this Temporal (host:port) instead of starting the dev server
#   TEMPORAL_NAMESPACE       namespace (default: default)
#   MOTCUA_HTTP_ADDR         API listen address (default 127.0.0.1:8080)
#   MOTCUA_ADMIN_ADDR        API admin listener, /metrics (default 127.0.0.1:8081)
#   MOTCUA_PUBLIC_URL        API base URL for callbacks (default http://<MOTCUA_HTTP_ADDR>)
#   MOTCUA_SIM_ADDR          simulators listen address (default 127.0.0.1:8090)
#   MOTCUA_PAYMENT_URL       payment gateway URL (default http://<MOTCUA_SIM_ADDR>/payment)
#   MOTCUA_POSTAL_URL        postal service URL (default http://<MOTCUA_SIM_ADDR>/postal)
#   MOTCUA_NOTIFY_URL        messaging gateway URL (default http://<MOTCUA_SIM_ADDR>/messages/v1/messages)
#   MOTCUA_PORTAL_URL, MOTCUA_PORTAL_TOKEN
#                            national portal status sync (default: the simulated portal,
#                            .../portal, with a development token)
#   MOTCUA_SMS_URL, MOTCUA_ZALO_URL, MOTCUA_SIM_SMTP_ADDR / MOTCUA_SMTP_ADDR
#                            applicant channels (default: the simulated SMS provider, Zalo OA
#                            and SMTP server, 127.0.0.1:2525)
#   MOTCUA_PAYMENT_WEBHOOK_SECRET, MOTCUA_POSTAL_WEBHOOK_SECRET
#                            callback secrets the API checks and the simulators sign
#                            with (default: the development defaults, said at start)
#   MOTCUA_PG_PORT           port of the local PostgreSQL (default 55432)
#   MOTCUA_TEMPORAL_PORT     gRPC port of the Temporal dev server (default 7233)
#   MOTCUA_TEMPORAL_UI_PORT  Web UI port of the Temporal dev server (default 8233)
#   MOTCUA_DATA_DIR          where state and logs live (default .data, relative to the repo)
#   MOTCUA_JWT_SECRET        development token secret (default: a public development secret)
#   MOTCUA_PAYLOAD_KEYS      payload encryption keys (default: the public development key)
#   MOTCUA_PG_BINDIR         directory of initdb/pg_ctl to use (default: searched)
#   MOTCUA_CLOCK_START       business time starts at this RFC 3339 instant, e.g.
#                            2026-12-11T16:59:00+07:00 (to show Friday's closing or
#                            the eve of Tết); turned once into MOTCUA_CLOCK_OFFSET,
#                            which every process gets (development only)
#   MOTCUA_CLOCK_OFFSET      business time minus wall time, e.g. -50h (default 0)
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/lib.sh
source scripts/lib.sh
MOTCUA_LOG_PREFIX=dev
# motcua runs as production unless told otherwise (config.Config.Environment):
# local development: the simulators, development tokens and keys (all on loopback).
export MOTCUA_ENV=development

ROOT=$PWD
DATA_DIR=$(abspath "${MOTCUA_DATA_DIR:-.data}")
LOG_DIR=$DATA_DIR/logs
PID_DIR=$DATA_DIR/pids
PG_DATA=$DATA_DIR/postgres
PG_SOCKDIR=$DATA_DIR/run
PG_LOCAL_PORT=${MOTCUA_PG_PORT:-55432}
T_PORT=${MOTCUA_TEMPORAL_PORT:-7233}
T_UI_PORT=${MOTCUA_TEMPORAL_UI_PORT:-8233}
MOTCUA_BIN=$ROOT/bin/motcua
SERVICES=(sim api worker)

declare -A SVC_PID=()
LOCAL_PG=0    # 1 when this run started the local PostgreSQL (and so stops it)
LOCAL_TEMPORAL=0
LOCAL_ROLES=0 # 1 when the local cluster's roles are ours to set (pg_app_login)
CLEANED=0

# url_of ADDR: http:// URL for a listen address such as 127.0.0.1:8080 or :8080.
url_of() {
	local addr=$1
	case "$addr" in
	:*) addr="127.0.0.1$addr" ;;
	0.0.0.0:*) addr="127.0.0.1:${addr##*:}" ;;
	esac
	printf 'http://%s\n' "$addr"
}

# check_free ADDR WHAT: die when something already listens on ADDR.
check_free() {
	local addr=$1 what=$2 host port
	host=${addr%:*}
	port=${addr##*:}
	case "$host" in "" | 0.0.0.0) host=127.0.0.1 ;; esac
	host=${host#[}
	host=${host%]}
	if port_in_use "$port" "$host"; then
		die "$addr ($what) is already in use by another process; stop it or choose another address"
	fi
}

# owned_pid FILE PATTERN: print the pid stored in FILE when that process is
# alive and its command line matches PATTERN (a leftover of ours).
owned_pid() {
	local file=$1 pattern=$2 pid
	[[ -f "$file" ]] || return 1
	pid=$(tr -dc '0-9' <"$file")
	[[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null || return 1
	tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q -- "$pattern" || return 1
	printf '%s\n' "$pid"
}

# stop_leftovers: processes recorded by an earlier run that was killed before
# it could clean up (kill -9, closed terminal...): stop them.
stop_leftovers() {
	local name pid
	for name in "${SERVICES[@]}"; do
		if pid=$(owned_pid "$PID_DIR/$name.pid" "motcua $name"); then
			log "stopping leftover motcua $name (pid $pid) from an earlier run"
			stop_pid "$pid" "motcua $name" 10
		fi
	done
	if pid=$(owned_pid "$PID_DIR/temporal.pid" "server start-dev"); then
		log "stopping leftover Temporal dev server (pid $pid) from an earlier run"
		stop_pid "$pid" temporal 60
	fi
	rm -f "$PID_DIR"/*.pid
}

cleanup() {
	local rc=$?
	((CLEANED)) && return 0
	CLEANED=1
	trap '' INT TERM HUP
	set +e
	local name pid any deadline
	# motcua processes first: SIGTERM to all, up to 10 s, then SIGKILL.
	any=0
	for name in worker api sim; do
		pid=${SVC_PID[$name]:-}
		if [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null; then
			((any)) || log "stopping motcua processes"
			any=1
			kill -TERM "$pid" 2>/dev/null
		fi
	done
	if ((any)); then
		deadline=$((SECONDS + 10))
		while ((SECONDS < deadline)); do
			any=0
			for name in "${SERVICES[@]}"; do
				pid=${SVC_PID[$name]:-}
				[[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null && any=1
			done
			((any)) || break
			sleep 0.1
		done
		for name in "${SERVICES[@]}"; do
			pid=${SVC_PID[$name]:-}
			if [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null; then
				log "motcua $name (pid $pid) did not stop within 10s; killing it"
				kill -KILL "$pid" 2>/dev/null
			fi
			[[ -n "$pid" ]] && wait "$pid" 2>/dev/null
		done
	fi
	# Temporal: SIGTERM and wait, so that it flushes its sqlite file.
	if ((LOCAL_TEMPORAL)); then
		temporal_stop 60
	fi
	if ((LOCAL_PG)); then
		pg_stop "$PG_DATA"
	fi
	rm -f "$PID_DIR"/*.pid "$DATA_DIR/dev.pid"
	if ((rc == 0)); then
		log "stopped; data in ${DATA_DIR#"$ROOT"/}/ is kept"
	fi
	exit "$rc"
}

on_signal() {
	echo >&2
	log "interrupted: stopping everything"
	exit 0 # runs cleanup (EXIT trap) with status 0
}

# ---------------------------------------------------------------- start
mkdir -p "$DATA_DIR" "$LOG_DIR" "$PID_DIR"

if pid=$(owned_pid "$DATA_DIR/dev.pid" "dev.sh"); then
	die "another scripts/dev.sh (pid $pid) is running on ${DATA_DIR#"$ROOT"/}/; stop it first"
fi
echo $$ >"$DATA_DIR/dev.pid"
# Output may go to a pipe (make dev | tee log) whose reader dies with the same
# Ctrl-C: without this, the first message of the cleanup would kill the
# script with SIGPIPE and leave every service running.
trap '' PIPE
trap cleanup EXIT
trap on_signal INT TERM HUP

stop_leftovers

export TEMPORAL_NAMESPACE=${TEMPORAL_NAMESPACE:-default}
export MOTCUA_HTTP_ADDR=${MOTCUA_HTTP_ADDR:-127.0.0.1:8080}
export MOTCUA_ADMIN_ADDR=${MOTCUA_ADMIN_ADDR:-127.0.0.1:8081}
export MOTCUA_PUBLIC_URL=${MOTCUA_PUBLIC_URL:-$(url_of "$MOTCUA_HTTP_ADDR")}
export MOTCUA_SIM_ADDR=${MOTCUA_SIM_ADDR:-127.0.0.1:8090}
export MOTCUA_PAYMENT_URL=${MOTCUA_PAYMENT_URL:-$(url_of "$MOTCUA_SIM_ADDR")/payment}
export MOTCUA_POSTAL_URL=${MOTCUA_POSTAL_URL:-$(url_of "$MOTCUA_SIM_ADDR")/postal}
export MOTCUA_NOTIFY_URL=${MOTCUA_NOTIFY_URL:-$(url_of "$MOTCUA_SIM_ADDR")/messages/v1/messages}
export MOTCUA_SMS_URL=${MOTCUA_SMS_URL:-$(url_of "$MOTCUA_SIM_ADDR")/sms}
export MOTCUA_ZALO_URL=${MOTCUA_ZALO_URL:-$(url_of "$MOTCUA_SIM_ADDR")/zalo}
export MOTCUA_SIM_SMTP_ADDR=${MOTCUA_SIM_SMTP_ADDR:-127.0.0.1:2525}
# The national public-service portal's status sync: the simulated one, which
# accepts this development token (GET /portal/v1/dossiers/CODE/statuses).
export MOTCUA_PORTAL_URL=${MOTCUA_PORTAL_URL:-$(url_of "$MOTCUA_SIM_ADDR")/portal}
export MOTCUA_PORTAL_TOKEN=${MOTCUA_PORTAL_TOKEN:-motcua-development-portal-token}
export MOTCUA_SMTP_ADDR=${MOTCUA_SMTP_ADDR:-$MOTCUA_SIM_SMTP_ADDR}
# One offset for every process, computed once here: the API hands it to the
# workflows it starts, the simulators stamp their events with it.
if [[ -n "${MOTCUA_CLOCK_START:-}" ]]; then
	start_s=$(date -d "$MOTCUA_CLOCK_START" +%s) || die "MOTCUA_CLOCK_START=$MOTCUA_CLOCK_START is not a date date(1) reads"
	export MOTCUA_CLOCK_OFFSET="$((start_s - $(date +%s)))s"
	log "business time starts at $MOTCUA_CLOCK_START (MOTCUA_CLOCK_OFFSET=$MOTCUA_CLOCK_OFFSET); restart with this offset to keep it"
fi
# Development tokens: a fixed, public development secret unless one is set
# (never use it anywhere else; production takes tokens from OpenID Connect).
if [[ -z ${MOTCUA_JWT_SECRET:-} ]]; then
	export MOTCUA_JWT_SECRET=motcua-development-secret-do-not-use-in-production
	log "MOTCUA_JWT_SECRET is not set: using the development default (set it to use your own)"
fi
# Callback secrets: the API checks and the simulators sign with the same
# ones. The defaults are config.DevPaymentWebhookSecret and
# config.DevPostalWebhookSecret (a test keeps them equal).
if [[ -z "${MOTCUA_PAYMENT_WEBHOOK_SECRET:-}" ]]; then
	export MOTCUA_PAYMENT_WEBHOOK_SECRET=motcua-development-payment-webhook-secret
	log "MOTCUA_PAYMENT_WEBHOOK_SECRET not set: using the development default '$MOTCUA_PAYMENT_WEBHOOK_SECRET'"
fi
if [[ -z "${MOTCUA_POSTAL_WEBHOOK_SECRET:-}" ]]; then
	export MOTCUA_POSTAL_WEBHOOK_SECRET=motcua-development-postal-webhook-secret
	log "MOTCUA_POSTAL_WEBHOOK_SECRET not set: using the development default '$MOTCUA_POSTAL_WEBHOOK_SECRET'"
fi
API_URL=$(url_of "$MOTCUA_HTTP_ADDR")
# The Temporal UI of the dev server cannot send an Authorization header to
# the codec endpoint, so it gets an ops token in the endpoint's URL
# (README, Payload encryption): decoding still needs an ops principal.
export MOTCUA_CODEC_CORS_ORIGINS=${MOTCUA_CODEC_CORS_ORIGINS:-http://127.0.0.1:$T_UI_PORT,http://localhost:$T_UI_PORT}
SIM_URL=$(url_of "$MOTCUA_SIM_ADDR")
check_free "$MOTCUA_SIM_ADDR" "simulators, MOTCUA_SIM_ADDR"
check_free "$MOTCUA_HTTP_ADDR" "API, MOTCUA_HTTP_ADDR"
check_free "$MOTCUA_ADMIN_ADDR" "API metrics, MOTCUA_ADMIN_ADDR"

log "building bin/motcua"
go build -o bin/motcua ./cmd/motcua || die "go build ./cmd/motcua failed"
CODEC_TOKEN=$("$MOTCUA_BIN" token --role ops --sub temporal-ui-dev --ttl 720h | tail -n 1) ||
	die "could not mint the ops token for the Temporal UI's codec endpoint"
CODEC_URL=$API_URL/codec/t/$CODEC_TOKEN
ensure_temporal

# ---------------------------------------------------------------- PostgreSQL
if [[ -n "${DATABASE_URL:-}" ]]; then
	log "using DATABASE_URL from the environment (no local PostgreSQL)"
else
	ensure_pg_binaries
	pg_start "$PG_DATA" "$PG_LOCAL_PORT" "$PG_SOCKDIR" "$LOG_DIR/postgres.log"
	LOCAL_PG=$PG_STARTED_BY_US
	pg_create_db "$PG_PORT" motcua
	# Two roles: postgres owns the schema and migrates; the services
	# connect as the application role motcua_app (pg_app_login below).
	export MOTCUA_MIGRATE_DATABASE_URL="postgres://postgres@127.0.0.1:$PG_PORT/motcua?sslmode=disable"
	LOCAL_ROLES=1
	DATABASE_URL="postgres://motcua_app@127.0.0.1:$PG_PORT/motcua?sslmode=disable"
fi
export DATABASE_URL

# ---------------------------------------------------------------- Temporal
if [[ -n "${TEMPORAL_ADDRESS:-}" ]]; then
	log "using TEMPORAL_ADDRESS=$TEMPORAL_ADDRESS from the environment (no local Temporal dev server)"
	log "to see decoded payloads in that Temporal's UI, set its codec endpoint to $API_URL/codec/t/<ops token> (bin/motcua token --role ops)"
	wait_for_temporal "$TEMPORAL_ADDRESS" 30
	TEMPORAL_UI_URL="(the UI of that Temporal)"
else
	check_free "127.0.0.1:$T_PORT" "Temporal gRPC, MOTCUA_TEMPORAL_PORT"
	check_free "127.0.0.1:$T_UI_PORT" "Temporal UI, MOTCUA_TEMPORAL_UI_PORT"
	t_args=(
		--port "$T_PORT" --ui-port "$T_UI_PORT"
		--db-filename "$DATA_DIR/temporal.db"
		--sqlite-pragma journal_mode=WAL --sqlite-pragma synchronous=NORMAL
		--dynamic-config-value history.shardIOConcurrency=8
		--log-level warn
		--ui-codec-endpoint "$CODEC_URL"
	)
	if [[ "$TEMPORAL_NAMESPACE" != default ]]; then
		t_args+=(--namespace "$TEMPORAL_NAMESPACE")
	fi
	temporal_start "$LOG_DIR/temporal.log" "${t_args[@]}"
	LOCAL_TEMPORAL=1
	echo "$TEMPORAL_PID" >"$PID_DIR/temporal.pid"
	export TEMPORAL_ADDRESS=127.0.0.1:$T_PORT
	wait_for_temporal "$TEMPORAL_ADDRESS" 60
	TEMPORAL_UI_URL="http://127.0.0.1:$T_UI_PORT"
	# The staff console links ops to a dossier's workflow in this UI.
	export MOTCUA_TEMPORAL_UI_URL=${MOTCUA_TEMPORAL_UI_URL:-$TEMPORAL_UI_URL}
fi
ensure_search_attributes "$TEMPORAL_ADDRESS" "$TEMPORAL_NAMESPACE"
"$TEMPORAL_BIN" operator namespace update --address "$TEMPORAL_ADDRESS" --command-timeout 30s \
	--retention 720h --namespace "$TEMPORAL_NAMESPACE" >/dev/null ||
	die "could not set the retention of namespace $TEMPORAL_NAMESPACE"

# ---------------------------------------------------------------- motcua
log "motcua migrate"
"$MOTCUA_BIN" migrate || die "motcua migrate failed"
if ((LOCAL_ROLES)); then
	pg_app_login "$PG_PORT"
fi
log "motcua seed"
"$MOTCUA_BIN" seed || die "motcua seed failed"

# Checked again right before they start (something may have taken the port meanwhile).
check_free "$MOTCUA_SIM_ADDR" "simulators, MOTCUA_SIM_ADDR"
check_free "$MOTCUA_HTTP_ADDR" "API, MOTCUA_HTTP_ADDR"
check_free "$MOTCUA_ADMIN_ADDR" "API metrics, MOTCUA_ADMIN_ADDR"
for name in "${SERVICES[@]}"; do
	spawn "$LOG_DIR/$name.log" "$MOTCUA_BIN" "$name"
	SVC_PID[$name]=$SPAWNED_PID
	echo "$SPAWNED_PID" >"$PID_DIR/$name.pid"
	log "started motcua $name (pid $SPAWNED_PID, log ${LOG_DIR#"$ROOT"/}/$name.log)"
done

# check_alive: die (after showing its log) when a process we started exited.
check_alive() {
	local name pid rc
	for name in "${SERVICES[@]}"; do
		pid=${SVC_PID[$name]}
		if ! kill -0 "$pid" 2>/dev/null; then
			rc=0
			wait "$pid" 2>/dev/null || rc=$?
			SVC_PID[$name]=""
			show_log_tail "$LOG_DIR/$name.log"
			die "motcua $name exited (status $rc); stopping everything"
		fi
	done
	if ((LOCAL_TEMPORAL)) && ! kill -0 "$TEMPORAL_PID" 2>/dev/null; then
		show_log_tail "$LOG_DIR/temporal.log"
		TEMPORAL_PID=""
		die "the Temporal dev server exited; stopping everything"
	fi
}

log "waiting for $API_URL/readyz"
ready=0
deadline=$((SECONDS + 60))
while ((SECONDS < deadline)); do
	check_alive
	if http_ok "$API_URL/readyz?strict=true"; then
		ready=1
		break
	fi
	sleep 0.5
done
if ((!ready)); then
	show_log_tail "$LOG_DIR/api.log"
	die "the API did not answer 200 on $API_URL/readyz within 60s"
fi

# A ready token for each role (8 hours), for curl and the API docs.
TOKENS_FILE="$DATA_DIR/tokens.env"
{
	echo "# Development tokens minted by make dev at $(date -Is); source this file."
	for spec in portal: intake_officer:000.00.17.H39 reviewer:000.00.18.H39 leader:000.00.18.H39 admin: ops:; do
		role=${spec%%:*} agency=${spec#*:}
		tok=$("$MOTCUA_BIN" token --role "$role" ${agency:+--agency "$agency"} | tail -n 1) || die "motcua token failed"
		echo "TOKEN_${role^^}=$tok"
	done
} >"$TOKENS_FILE"

cat <<EOF

  motcua is running
  ---------------------------------------------------------------
  API            $API_URL
  Staff console  $API_URL/console   (development sign-in: pick a role and an agency)
  Tracking page  $API_URL/track     (dossier code + lookup key)
  Verification   $API_URL/verify    (is this result PDF ours, signed, unaltered?)
  API docs       $API_URL/docs
  API metrics    $(url_of "$MOTCUA_ADMIN_ADDR")/metrics   (admin listener, MOTCUA_ADMIN_ADDR)
  OpenAPI        $API_URL/openapi.json
  Temporal UI    $TEMPORAL_UI_URL   (gRPC $TEMPORAL_ADDRESS, namespace $TEMPORAL_NAMESPACE)
  Codec          $API_URL/codec   (payloads are encrypted; the UI decodes them
                 through it with an ops token in the URL, valid 30 days)
  Simulators     $SIM_URL   (payment $MOTCUA_PAYMENT_URL, postal $MOTCUA_POSTAL_URL,
                 messages $MOTCUA_NOTIFY_URL; applicants: $SIM_URL/sms/v1/messages,
                 $SIM_URL/zalo/v1/messages, $SIM_URL/mail/v1/messages ?dossier=CODE;
                 national portal $MOTCUA_PORTAL_URL/v1/dossiers/CODE/statuses with
                 Authorization: Bearer $MOTCUA_PORTAL_TOKEN)
  Callbacks      signed (X-Signature) with MOTCUA_PAYMENT_WEBHOOK_SECRET and
                 MOTCUA_POSTAL_WEBHOOK_SECRET (README, Signed callbacks)
  DATABASE_URL   $DATABASE_URL   (the application role)
  owner          ${MOTCUA_MIGRATE_DATABASE_URL:-$DATABASE_URL}   (migrations)
  Logs           ${LOG_DIR#"$ROOT"/}/  ($(cd "$LOG_DIR" && echo *.log))
  Tokens         ${TOKENS_FILE#"$ROOT"/}  (source it; then curl -H "Authorization: Bearer \$TOKEN_OPS" ...)
                 intake officer and leader/reviewer of the sample catalog's center
                 (000.00.17.H39) and Department of Justice (000.00.18.H39);
                 others: bin/motcua token --role ROLE --agency CODE
$(sed -n 's/^\(TOKEN_[A-Z_]*\)=\(.*\)/  \1=\2/p' "$TOKENS_FILE")
  ---------------------------------------------------------------
  Ctrl-C stops everything; data in ${DATA_DIR#"$ROOT"/}/ is kept.

EOF

while true; do
	check_alive
	sleep 1
done
