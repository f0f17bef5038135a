#!/usr/bin/env bash
# scripts/test.sh (`make test`, CI): go vet + go test against a throwaway
# PostgreSQL and a throwaway in-memory Temporal dev server, both on free
# loopback ports in a temporary directory that is always removed afterwards.
#
# Usage:
#   scripts/test.sh                      go vet ./... && go test -count=1 -timeout 20m ./...
#   scripts/test.sh -run TestX ./api/    extra go test flags/packages (no package given: ./...)
#   GOTEST_ARGS='-run TestX ./api/' scripts/test.sh   (same; `make test GOTEST_ARGS=...`)
#
# The tests get:
#   MOTCUA_TEST_DATABASE_URL       postgres://postgres@127.0.0.1:PORT/postgres?sslmode=disable
#                                  (superuser; tests create their own databases from it)
#   MOTCUA_TEST_TEMPORAL_ADDRESS   127.0.0.1:PORT of the dev server (search attributes registered)
#   MOTCUA_TEMPORAL_BIN            <repo>/bin/temporal, for tests that start their own dev server
#   MOTCUA_CHROMIUM                the Chromium the console's browser tests drive (installed
#                                  with apt-get when missing)
#   MOTCUA_TEST_S3_ENDPOINT        127.0.0.1:PORT of an S3-compatible server (versitygw, built
#                                  into bin/ when missing), plain HTTP; with
#   MOTCUA_TEST_S3_ACCESS_KEY, MOTCUA_TEST_S3_SECRET_KEY, MOTCUA_TEST_S3_BUCKET
#
# Environment read:
#   GOTEST_ARGS      extra go test arguments (word-split), before the command-line ones
#   MOTCUA_TEST_CLOCKS  space-separated RFC 3339 instants: run go test once per
#                    instant with business time starting there (MOTCUA_TEST_CLOCK;
#                    `make test-clock`). Unset: once, at the suite's default instant
#                    (internal/testenv.DefaultBusinessStart)
#   MOTCUA_TEST_CMD  run this shell command instead of go vet + go test (to try the
#                    environment: MOTCUA_TEST_CMD='env | grep MOTCUA_TEST' scripts/test.sh)
#   MOTCUA_PG_BINDIR directory of initdb/pg_ctl to use (default: searched)
#   TMPDIR           where the temporary directory goes (default /tmp)
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/lib.sh
source scripts/lib.sh
MOTCUA_LOG_PREFIX="test"
# motcua runs as production unless told otherwise (config.Config.Environment):
# the tests' processes take the development conveniences (tokens, keys).
export MOTCUA_ENV=development

ROOT=$PWD
args=()
if [[ -n "${GOTEST_ARGS:-}" ]]; then
	read -r -a extra <<<"$GOTEST_ARGS"
	args+=("${extra[@]}")
fi
args+=("$@")
# Package patterns among the arguments (for go vet); none given means ./...
pkgs=()
for a in "${args[@]+"${args[@]}"}"; do
	case "$a" in
	. | ./* | ../* | github.com/motcua/motcua | github.com/motcua/motcua/*) pkgs+=("$a") ;;
	esac
done
if ((${#pkgs[@]} == 0)); then
	pkgs=(./...)
	args+=(./...)
fi

if [[ -z "${MOTCUA_TEST_CMD:-}" ]]; then
	log "go vet ${pkgs[*]}"
	go vet "${pkgs[@]}"
	# Workflow code must be deterministic: Temporal's static checker fails on
	# time.Now, goroutines, map ranges, I/O and the like reached from it.
	log "workflowcheck ./workflows/..."
	go run go.temporal.io/sdk/contrib/tools/workflowcheck@v0.6.0 -show-pos ./workflows/...
fi

ensure_pg_binaries
ensure_temporal
ensure_versitygw
# The forms' tests read the PDFs they print with poppler.
ensure_poppler
# Only the console's browser tests drive Chromium: install it when the
# packages tested can include ./console (not for fuzzing or bench-read).
needs_chromium=false
if [[ -z "${MOTCUA_TEST_CMD:-}" ]]; then
	for p in "${pkgs[@]}"; do
		case "$p" in
		./... | ./console | ./console/* | github.com/motcua/motcua/... | github.com/motcua/motcua/console*) needs_chromium=true ;;
		esac
	done
fi
if $needs_chromium; then
	ensure_chromium
fi

TEST_DIR=""
# shellcheck disable=SC2317 # invoked by the EXIT trap
cleanup() {
	local rc=$?
	trap '' INT TERM HUP
	set +e
	temporal_stop 30
	s3_stop
	if [[ -n "$TEST_DIR" ]]; then
		pg_stop "$TEST_DIR/postgres"
		rm -rf "$TEST_DIR"
	fi
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

TEST_DIR=$(mktemp -d "${TMPDIR:-/tmp}/motcua-test.XXXXXX")
# The postgres OS user (when we are root) must be able to enter it.
chmod 755 "$TEST_DIR"

pg_port=$(free_port)
pg_start "$TEST_DIR/postgres" "$pg_port" "$TEST_DIR/run" "$TEST_DIR/postgres.log" \
	fsync=off synchronous_commit=off full_page_writes=off max_connections=300

t_port=$(free_port "$pg_port")
t_http_port=$(free_port "$pg_port" "$t_port")
t_metrics_port=$(free_port "$pg_port" "$t_port" "$t_http_port")
temporal_start "$TEST_DIR/temporal.log" \
	--port "$t_port" --http-port "$t_http_port" --metrics-port "$t_metrics_port" \
	--headless --log-level warn
wait_for_temporal "127.0.0.1:$t_port" 60
ensure_search_attributes "127.0.0.1:$t_port" default

s3_port=$(free_port "$pg_port" "$t_port" "$t_http_port" "$t_metrics_port")
s3_start "$TEST_DIR/s3" "$s3_port" "$TEST_DIR/s3.log" motcua-test motcua-test-secret motcua-test
wait_for_s3 "$s3_port" 30

export MOTCUA_TEST_S3_ENDPOINT="127.0.0.1:$s3_port"
export MOTCUA_TEST_S3_ACCESS_KEY=motcua-test
export MOTCUA_TEST_S3_SECRET_KEY=motcua-test-secret
export MOTCUA_TEST_S3_BUCKET=motcua-test
export MOTCUA_TEST_DATABASE_URL="postgres://postgres@127.0.0.1:$pg_port/postgres?sslmode=disable"
export MOTCUA_TEST_TEMPORAL_ADDRESS="127.0.0.1:$t_port"
export MOTCUA_TEMPORAL_BIN="$ROOT/bin/temporal"
log "MOTCUA_TEST_DATABASE_URL=$MOTCUA_TEST_DATABASE_URL"
log "MOTCUA_TEST_TEMPORAL_ADDRESS=$MOTCUA_TEST_TEMPORAL_ADDRESS"
log "MOTCUA_CHROMIUM=${MOTCUA_CHROMIUM:-(not needed)}"
log "MOTCUA_TEST_S3_ENDPOINT=$MOTCUA_TEST_S3_ENDPOINT"

rc=0
if [[ -n "${MOTCUA_TEST_CMD:-}" ]]; then
	log "running MOTCUA_TEST_CMD: $MOTCUA_TEST_CMD"
	bash -c "$MOTCUA_TEST_CMD" || rc=$?
elif [[ -n "${MOTCUA_TEST_CLOCKS:-}" ]]; then
	# The clock matrix: the same tests with business time starting at each
	# instant, against the same PostgreSQL and Temporal. Every instant runs,
	# failed or not, and the failures are listed at the end.
	read -r -a clocks <<<"$MOTCUA_TEST_CLOCKS"
	failed=()
	for c in "${clocks[@]}"; do
		log "business clock $c: go test -count=1 -timeout 20m ${args[*]}"
		if ! MOTCUA_TEST_CLOCK="$c" go test -count=1 -timeout 20m "${args[@]}"; then
			rc=1
			failed+=("$c")
		fi
	done
	if ((rc != 0)); then
		log "the clock matrix failed at: ${failed[*]}"
	else
		log "the clock matrix passed at all ${#clocks[@]} instants"
	fi
else
	log "go test -count=1 -timeout 20m ${args[*]}"
	go test -count=1 -timeout 20m "${args[@]}" || rc=$?
fi
if ((rc != 0)) && ! kill -0 "$TEMPORAL_PID" 2>/dev/null; then
	show_log_tail "$TEST_DIR/temporal.log"
	log "the Temporal test server had died"
fi
exit "$rc"
