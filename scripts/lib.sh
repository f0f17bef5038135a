# shellcheck shell=bash
# Helpers shared by scripts/*.sh. Source it (`source scripts/lib.sh`); do not
# run it. Nothing here refers to a machine path of its own: the repository
# root is found from this file's location, PostgreSQL binaries are looked up
# on PATH and in the distribution's usual place.
#
# Functions (see each one's comment):
#   log, die, show_log_tail, abspath
#   ensure_temporal            build bin/temporal when missing
#   ensure_temporal_server     build bin/temporal-server, bin/temporal-sql-tool (v1.29.1)
#   ensure_temporal_ui         build bin/temporal-ui-server when missing
#   ensure_versitygw           build bin/versitygw (S3-compatible server for tests) when missing
#   ensure_golangci_lint       build bin/golangci-lint (GOLANGCI_LINT_VERSION) when missing or another version
#   ensure_kubeconform         build bin/kubeconform (KUBECONFORM_VERSION) when missing or another version
#   s3_start DIR PORT LOGFILE ACCESS SECRET BUCKET   sets S3_PID
#   wait_for_s3 PORT [SECONDS]
#   temporal_schema_dir        print the schema/postgresql/v12 dir of the server module
#   render_template SRC DST NAME=VALUE...   replace @NAME@ in SRC, write DST
#   tls_throwaway_certs DIR    a fresh CA, a server and three client certificates in DIR (openssl)
#   ensure_pg_binaries         find (or apt-get install) initdb/pg_ctl; sets PG_BINDIR
#   test_clock_offset          print MOTCUA_CLOCK_OFFSET for the tests' business time
#   ensure_poppler             find (or apt-get install) pdftotext/pdftoppm
#   free_port [EXCLUDE...]     print a free loopback TCP port
#   port_in_use PORT [HOST]    true when something listens there
#   pg_start DATA PORT SOCKDIR LOGFILE [name=value...]
#   pg_stop DATA
#   pg_data_remove DATA        delete a (stopped) cluster, relocated or not
#   pg_create_db PORT NAME
#   pg_app_login PORT          let the application role motcua_app log in
#   temporal_start LOGFILE [start-dev flags...]   sets TEMPORAL_PID
#   wait_for_temporal ADDRESS [SECONDS]
#   ensure_search_attributes ADDRESS [NAMESPACE]
#   temporal_stop [SECONDS]
#   spawn LOGFILE CMD...       start CMD in the background; sets SPAWNED_PID
#   stop_pid PID NAME [SECONDS]
#   http_ok URL                true when URL answers 200
#
# Environment read here:
#   MOTCUA_PG_BINDIR   directory with initdb/pg_ctl to use instead of searching
#   MOTCUA_LOG_PREFIX  prefix of log lines (set by each script)

if [[ -n "${_MOTCUA_LIB_LOADED:-}" ]]; then
	return 0
fi
_MOTCUA_LIB_LOADED=1

MOTCUA_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TEMPORAL_CLI_PKG="github.com/temporalio/cli/cmd/temporal"
TEMPORAL_CLI_VERSION="v1.5.1"
TEMPORAL_BIN="$MOTCUA_ROOT/bin/temporal"
SEARCH_ATTRIBUTES_FILE="$MOTCUA_ROOT/deploy/temporal/search-attributes"

# Globals set by the functions below and read by the scripts.
# shellcheck disable=SC2034
{
TEMPORAL_PID=""
TEMPORAL_LOG=""
SPAWNED_PID=""
S3_PID=""
PG_BINDIR=""
PG_STARTED_BY_US=0
PG_PORT=""
}

# ---------------------------------------------------------------- basics

log() {
	printf '%s [%s] %s\n' "$(date +%H:%M:%S)" "${MOTCUA_LOG_PREFIX:-motcua}" "$*" >&2
}

die() {
	log "ERROR: $*"
	exit 1
}

# show_log_tail FILE [LINES]: print the end of a log file to stderr.
show_log_tail() {
	local file=$1 lines=${2:-40}
	if [[ -f "$file" ]]; then
		printf -- '----- last %s lines of %s -----\n' "$lines" "$file" >&2
		tail -n "$lines" "$file" >&2 || true
		printf -- '-----\n' >&2
	else
		log "(no log file $file)"
	fi
}

# abspath PATH: PATH made absolute against the current directory (no need to exist).
abspath() {
	case "$1" in
	/*) printf '%s\n' "$1" ;;
	*) printf '%s\n' "$PWD/${1#./}" ;;
	esac
}

# run_privileged CMD...: run CMD as root (sudo when we are not root).
run_privileged() {
	if [[ $EUID -eq 0 ]]; then
		"$@"
	elif command -v sudo >/dev/null 2>&1; then
		sudo "$@"
	else
		die "need root to run: $* (and sudo is not installed)"
	fi
}

# ---------------------------------------------------------------- Temporal CLI

# ensure_temporal: build bin/temporal (Temporal CLI with the embedded dev
# server and Web UI) from the Go module proxy when it is missing.
ensure_temporal() {
	if [[ -x "$TEMPORAL_BIN" ]]; then
		return 0
	fi
	command -v go >/dev/null 2>&1 || die "go is not on PATH; cannot build bin/temporal"
	log "building the Temporal CLI $TEMPORAL_CLI_VERSION into bin/temporal (first time on 2 cores: about 6 minutes)"
	mkdir -p "$MOTCUA_ROOT/bin"
	(cd "$MOTCUA_ROOT" && GOBIN="$MOTCUA_ROOT/bin" go install "$TEMPORAL_CLI_PKG@$TEMPORAL_CLI_VERSION") ||
		die "go install $TEMPORAL_CLI_PKG@$TEMPORAL_CLI_VERSION failed"
	[[ -x "$TEMPORAL_BIN" ]] || die "go install finished but $TEMPORAL_BIN is missing"
}

# ---------------------------------------------------------------- Temporal server (production shape)

TEMPORAL_SERVER_MODULE="go.temporal.io/server"
TEMPORAL_SERVER_VERSION="v1.29.1"
TEMPORAL_UI_MODULE="github.com/temporalio/ui-server/v2"
TEMPORAL_UI_VERSION="v2.42.1" # the UI the Temporal CLI v1.5.1 embeds

# _go_install_as PKG@VERSION NAME: go install PKG into a scratch GOBIN and
# move the binary to bin/NAME (upstream names them all "server"/"sql").
_go_install_as() {
	local pkg=$1 name=$2 tmp built
	command -v go >/dev/null 2>&1 || die "go is not on PATH; cannot build bin/$name"
	mkdir -p "$MOTCUA_ROOT/bin"
	tmp=$(mktemp -d "${TMPDIR:-/tmp}/motcua-gobin.XXXXXX")
	# Outside the repository: these modules are not (and must not be) in
	# our go.mod, whose versions of shared dependencies differ.
	if ! (cd "$tmp" && GOFLAGS= GOBIN="$tmp" go install "$pkg"); then
		rm -rf "$tmp"
		die "go install $pkg failed"
	fi
	built=$(find "$tmp" -maxdepth 1 -type f -perm -u+x | head -n 1)
	[[ -n "$built" ]] || die "go install $pkg produced no binary"
	mv "$built" "$MOTCUA_ROOT/bin/$name"
	rm -rf "$tmp"
}

# ensure_temporal_server: build bin/temporal-server and bin/temporal-sql-tool
# from go.temporal.io/server when missing (first time on 2 cores: ~6 minutes).
ensure_temporal_server() {
	if [[ ! -x "$MOTCUA_ROOT/bin/temporal-server" ]]; then
		log "building temporal-server $TEMPORAL_SERVER_VERSION into bin/ (first time: several minutes)"
		_go_install_as "$TEMPORAL_SERVER_MODULE/cmd/server@$TEMPORAL_SERVER_VERSION" temporal-server
	fi
	if [[ ! -x "$MOTCUA_ROOT/bin/temporal-sql-tool" ]]; then
		log "building temporal-sql-tool $TEMPORAL_SERVER_VERSION into bin/"
		_go_install_as "$TEMPORAL_SERVER_MODULE/cmd/tools/sql@$TEMPORAL_SERVER_VERSION" temporal-sql-tool
	fi
}

# ensure_temporal_ui: build bin/temporal-ui-server (the Temporal Web UI as a
# server of its own, assets embedded) when missing.
ensure_temporal_ui() {
	[[ -x "$MOTCUA_ROOT/bin/temporal-ui-server" ]] && return 0
	log "building the Temporal UI server $TEMPORAL_UI_VERSION into bin/temporal-ui-server"
	_go_install_as "$TEMPORAL_UI_MODULE/cmd/server@$TEMPORAL_UI_VERSION" temporal-ui-server
}

# ---------------------------------------------------------------- S3-compatible storage (tests)

# The Versity S3 Gateway (Apache-2.0): an S3-compatible server over a local
# directory, built from its Go module like the Temporal CLI. The tests store
# documents in it to exercise the S3 backend (package document) for real.
# (MinIO's server is AGPL and is not used; SeaweedFS's module is much larger.)
VERSITYGW_MODULE="github.com/versity/versitygw"
VERSITYGW_VERSION="v1.8.0"

# ensure_versitygw: build bin/versitygw when missing (first time on 2
# cores: about 4 minutes).
ensure_versitygw() {
	[[ -x "$MOTCUA_ROOT/bin/versitygw" ]] && return 0
	log "building versitygw $VERSITYGW_VERSION into bin/versitygw (S3-compatible server for the tests; first time: about 4 minutes)"
	_go_install_as "$VERSITYGW_MODULE/cmd/versitygw@$VERSITYGW_VERSION" versitygw
}

GOLANGCI_LINT_MODULE="github.com/golangci/golangci-lint/v2"
GOLANGCI_LINT_VERSION="v2.15.0"

# ensure_golangci_lint: build bin/golangci-lint from its Go module (make
# lint: staticcheck and the linters .golangci.yml enables) when missing or
# of another version. Built, not downloaded: the machines reach only the
# package registries, and a binary built by our Go understands our go.mod.
ensure_golangci_lint() {
	local have
	if [[ -x "$MOTCUA_ROOT/bin/golangci-lint" ]]; then
		have=$("$MOTCUA_ROOT/bin/golangci-lint" version --short 2>/dev/null || true)
		[[ "v${have#v}" == "$GOLANGCI_LINT_VERSION" ]] && return 0
	fi
	log "building golangci-lint $GOLANGCI_LINT_VERSION into bin/golangci-lint (first time on 2 cores: about 5 minutes)"
	_go_install_as "$GOLANGCI_LINT_MODULE/cmd/golangci-lint@$GOLANGCI_LINT_VERSION" golangci-lint
}

KUBECONFORM_MODULE="github.com/yannh/kubeconform"
KUBECONFORM_VERSION="v0.7.0"

# ensure_kubeconform: build bin/kubeconform from its Go module (make lint
# validates the rendered Kubernetes manifests with it) when missing or of
# another version.
ensure_kubeconform() {
	local stamp="$MOTCUA_ROOT/bin/.kubeconform.version"
	# `go install` leaves its version unstamped ("development"): a stamp
	# file says which one bin/kubeconform is.
	if [[ -x "$MOTCUA_ROOT/bin/kubeconform" && "$(cat "$stamp" 2>/dev/null)" == "$KUBECONFORM_VERSION" ]]; then
		return 0
	fi
	log "building kubeconform $KUBECONFORM_VERSION into bin/kubeconform"
	_go_install_as "$KUBECONFORM_MODULE/cmd/kubeconform@$KUBECONFORM_VERSION" kubeconform
	echo "$KUBECONFORM_VERSION" >"$stamp"
}

# s3_start DIR PORT LOGFILE ACCESS SECRET BUCKET: start versitygw on
# 127.0.0.1:PORT with root credentials ACCESS/SECRET, serving DIR/data
# (one directory per bucket; BUCKET is created) with object metadata in
# DIR/meta (no extended attributes needed from the file system). Sets
# S3_PID. Follow it with wait_for_s3.
s3_start() {
	local dir=$1 port=$2 logfile=$3 access=$4 secret=$5 bucket=$6
	ensure_versitygw
	mkdir -p "$dir/data/$bucket" "$dir/meta"
	spawn "$logfile" "$MOTCUA_ROOT/bin/versitygw" --access "$access" --secret "$secret" \
		--port "127.0.0.1:$port" --quiet posix --sidecar "$dir/meta" "$dir/data"
	S3_PID=$SPAWNED_PID
	log "started versitygw (pid $S3_PID, 127.0.0.1:$port, log $logfile)"
}

# wait_for_s3 PORT [SECONDS]: wait until the server started by s3_start
# listens (default 30 s); fails early when it died.
wait_for_s3() {
	local port=$1 timeout=${2:-30} deadline
	deadline=$((SECONDS + timeout))
	while ((SECONDS < deadline)); do
		port_in_use "$port" && return 0
		if [[ -n "$S3_PID" ]] && ! kill -0 "$S3_PID" 2>/dev/null; then
			die "versitygw exited before it listened on port $port"
		fi
		sleep 0.2
	done
	die "versitygw does not listen on port $port after ${timeout}s"
}

# s3_stop: stop the server started by s3_start.
s3_stop() {
	[[ -n "$S3_PID" ]] || return 0
	stop_pid "$S3_PID" versitygw 10
	S3_PID=""
}

# temporal_schema_dir: print <module dir>/schema/postgresql/v12 of the
# Temporal server module (downloaded into the module cache when missing).
temporal_schema_dir() {
	local dir
	dir=$(cd "${TMPDIR:-/tmp}" && GOFLAGS= go list -m -json "$TEMPORAL_SERVER_MODULE@$TEMPORAL_SERVER_VERSION" |
		sed -n 's/^[[:space:]]*"Dir": "\(.*\)",\{0,1\}$/\1/p') || true
	[[ -n "$dir" && -d "$dir/schema/postgresql/v12" ]] ||
		die "schema/postgresql/v12 of $TEMPORAL_SERVER_MODULE@$TEMPORAL_SERVER_VERSION not found (go list -m -json gave '$dir')"
	printf '%s\n' "$dir/schema/postgresql/v12"
}

# render_template SRC DST NAME=VALUE...: copy SRC to DST replacing each
# @NAME@ with VALUE; dies when a placeholder is left without a value.
render_template() {
	local src=$1 dst=$2 text kv left
	shift 2
	text=$(<"$src")
	for kv in "$@"; do
		text=${text//@${kv%%=*}@/${kv#*=}}
	done
	left=$(grep -o '@[A-Z_][A-Z0-9_]*@' <<<"$text" | sort -u | tr '\n' ' ') || true
	[[ -z "$left" ]] || die "$src: no value for $left"
	mkdir -p "$(dirname "$dst")"
	printf '%s\n' "$text" >"$dst"
}

# ---------------------------------------------------------------- throwaway TLS

# tls_throwaway_certs DIR: make, in DIR (created, mode 0700), a CA that lives
# only as long as DIR (ca.pem; its key is deleted once it has signed), a
# server certificate for localhost and 127.0.0.1 (server.pem, server.key),
# the client certificates of our processes (client.pem, client.key), of the
# Temporal UI server (ui.pem, ui.key) and of the Temporal server's own system
# worker (worker.pem, worker.key). For `make
# prod-local`'s mutual TLS: nothing is committed, every run has new keys.
# Elliptic-curve keys, valid 30 days.
tls_throwaway_certs() {
	local dir=$1 name
	command -v openssl >/dev/null 2>&1 ||
		die "openssl not found: it makes prod-local's throwaway certificates (apt-get install openssl)"
	mkdir -p "$dir"
	chmod 700 "$dir"
	(
		cd "$dir" || exit 1
		umask 077
		openssl req -x509 -new -nodes -newkey ec -pkeyopt ec_paramgen_curve:P-256 -keyout ca.key -out ca.pem \
			-days 30 -subj "/CN=motcua prod-local throwaway CA" \
			-addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
		for name in server client ui worker; do
			openssl req -new -nodes -newkey ec -pkeyopt ec_paramgen_curve:P-256 -keyout "$name.key" -out "$name.csr" \
				-subj "/CN=motcua-prod-local-$name" 2>/dev/null
			if [[ $name == server ]]; then
				printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth,clientAuth\n' >"$name.ext"
			else
				printf 'extendedKeyUsage=clientAuth\n' >"$name.ext"
			fi
			openssl x509 -req -in "$name.csr" -CA ca.pem -CAkey ca.key -CAcreateserial -days 30 \
				-extfile "$name.ext" -out "$name.pem" 2>/dev/null
			rm -f "$name.csr" "$name.ext"
		done
		rm -f ca.key ca.srl
		chmod 644 ./*.pem
	) || die "openssl could not make the throwaway certificates in $dir"
}

# low_port [EXCLUDE...]: a free TCP port below 32000 not in EXCLUDE.
# Temporal stores its services' ports in a smallint column (cluster
# membership): they must be below 32768, under the kernel's ephemeral range
# that free_port draws from.
low_port() {
	local p x i clash
	for ((i = 0; i < 200; i++)); do
		p=$((20000 + (RANDOM % 12000)))
		clash=0
		for x in "$@"; do [[ "$x" == "$p" ]] && clash=1; done
		((clash)) && continue
		port_in_use "$p" && continue
		printf '%s' "$p"
		return 0
	done
	die "no free TCP port below 32000"
}

# temporal_server_start STATE PG_PORT LOGFILE [EXCLUDE_PORT...]: temporal-server
# (bin/temporal-server, ensure_temporal_server) on the PostgreSQL at
# 127.0.0.1:PG_PORT (user postgres, no password), its four services in one
# process, configured from deploy/temporal/server.yaml.tmpl with mutual TLS
# (throwaway certificates in STATE/tls, exported in the TEMPORAL_TLS_*
# variables every client here reads: internal/temporalconn, the CLI); its
# databases temporal and temporal_visibility made or brought to the newest
# schema; the namespace TEMPORAL_NAMESPACE (default: default) registered and
# our search attributes added. Sets TEMPORAL_PID, TEMPORAL_LOG,
# TEMPORAL_FRONTEND (host:port), TS_PORT[name] (its ports) and TLS_DIR.
# Used by `make prod-local` and `make bench` (the temporal-server layout).
temporal_server_start() {
	local state=$1 pg_port=$2 logfile k pair dir db namespace=${TEMPORAL_NAMESPACE:-default} schema_dir
	local -a exclude=("${@:4}")
	logfile=$(abspath "$3")
	ensure_temporal
	ensure_temporal_server
	schema_dir=$(temporal_schema_dir)
	mkdir -p "$state/temporal/config"
	declare -gA TS_PORT=()
	for k in FRONTEND FRONTEND_HTTP FRONTEND_MEMBERSHIP HISTORY HISTORY_MEMBERSHIP MATCHING \
		MATCHING_MEMBERSHIP WORKER WORKER_MEMBERSHIP METRICS; do
		TS_PORT[$k]=$(low_port "${exclude[@]+"${exclude[@]}"}" "${TS_PORT[@]+"${TS_PORT[@]}"}")
	done
	# Temporal's two databases: created, then brought to the newest schema
	# version by temporal-sql-tool (setup-schema -v 0.0 once, update-schema
	# on every run: it applies only what is missing, which is also how an
	# upgrade of the server is done).
	_sqltool() {
		"$MOTCUA_ROOT/bin/temporal-sql-tool" --plugin postgres12 --endpoint 127.0.0.1 --port "$pg_port" \
			--user postgres --password "" "$@" >>"${logfile%.log}-sql-tool.log" 2>&1 ||
			{ show_log_tail "${logfile%.log}-sql-tool.log"; die "temporal-sql-tool $* failed"; }
	}
	for pair in temporal:temporal visibility:temporal_visibility; do
		dir=${pair%%:*}
		db=${pair#*:}
		if [[ "$("$(pg_bin psql)" -X -q -h 127.0.0.1 -p "$pg_port" -U postgres -d postgres -tAc \
			"SELECT 1 FROM pg_database WHERE datname = '$db'")" != 1 ]]; then
			log "creating Temporal database $db and its base schema"
			_sqltool --db "$db" create-database
			_sqltool --db "$db" setup-schema -v 0.0
		fi
		_sqltool --db "$db" update-schema -d "$schema_dir/$dir/versioned"
	done
	log "Temporal schemas are current ($schema_dir)"

	# New certificates at every start: nothing to commit, nothing to expire.
	TLS_DIR=$state/tls
	rm -rf "$TLS_DIR"
	tls_throwaway_certs "$TLS_DIR"
	export TEMPORAL_TLS_CLIENT_CERT_PATH=$TLS_DIR/client.pem TEMPORAL_TLS_CLIENT_KEY_PATH=$TLS_DIR/client.key
	export TEMPORAL_TLS_SERVER_CA_CERT_PATH=$TLS_DIR/ca.pem TEMPORAL_TLS_SERVER_NAME=localhost
	log "mutual TLS to the Temporal frontend (throwaway CA and certificates in $TLS_DIR)"

	cp "$MOTCUA_ROOT/deploy/temporal/dynamicconfig.yaml" "$state/temporal-dynamicconfig.yaml"
	render_template "$MOTCUA_ROOT/deploy/temporal/server.yaml.tmpl" "$state/temporal/config/prod-local.yaml" \
		TLS_DIR="$TLS_DIR" LOG_LEVEL=warn PG_PORT="$pg_port" PG_USER=postgres PG_PASSWORD= \
		DYNAMIC_CONFIG="$state/temporal-dynamicconfig.yaml" \
		FRONTEND_PORT="${TS_PORT[FRONTEND]}" FRONTEND_HTTP_PORT="${TS_PORT[FRONTEND_HTTP]}" \
		FRONTEND_MEMBERSHIP_PORT="${TS_PORT[FRONTEND_MEMBERSHIP]}" HISTORY_PORT="${TS_PORT[HISTORY]}" \
		HISTORY_MEMBERSHIP_PORT="${TS_PORT[HISTORY_MEMBERSHIP]}" MATCHING_PORT="${TS_PORT[MATCHING]}" \
		MATCHING_MEMBERSHIP_PORT="${TS_PORT[MATCHING_MEMBERSHIP]}" WORKER_PORT="${TS_PORT[WORKER]}" \
		WORKER_MEMBERSHIP_PORT="${TS_PORT[WORKER_MEMBERSHIP]}" METRICS_PORT="${TS_PORT[METRICS]}"
	TEMPORAL_LOG=$logfile
	spawn "$logfile" "$MOTCUA_ROOT/bin/temporal-server" --root "$state/temporal" --config config \
		--env prod-local --allow-no-auth start
	TEMPORAL_PID=$SPAWNED_PID
	log "started temporal-server (pid $TEMPORAL_PID, log $logfile)"
	TEMPORAL_FRONTEND=127.0.0.1:${TS_PORT[FRONTEND]}
	wait_for_temporal "$TEMPORAL_FRONTEND" 120

	if ! "$TEMPORAL_BIN" operator namespace describe --address "$TEMPORAL_FRONTEND" --namespace "$namespace" \
		--command-timeout 10s >/dev/null 2>&1; then
		log "registering namespace $namespace (retention 30 days)"
		"$TEMPORAL_BIN" operator namespace create --address "$TEMPORAL_FRONTEND" --namespace "$namespace" \
			--retention 720h --command-timeout 30s >/dev/null || die "could not create namespace $namespace"
	fi
	# A namespace just created takes a moment to reach every service.
	for _ in $(seq 1 60); do
		"$TEMPORAL_BIN" operator search-attribute list --address "$TEMPORAL_FRONTEND" --namespace "$namespace" \
			--command-timeout 5s >/dev/null 2>&1 && break
		sleep 0.5
	done
	ensure_search_attributes "$TEMPORAL_FRONTEND" "$namespace"
}

# ---------------------------------------------------------------- ports & http

# port_in_use PORT [HOST]: true when a TCP connection to HOST:PORT succeeds.
port_in_use() {
	local port=$1 host=${2:-127.0.0.1}
	(exec 3<>"/dev/tcp/$host/$port") 2>/dev/null
}

# test_clock_offset: the MOTCUA_CLOCK_OFFSET (e.g. 172800s) that makes the
# processes a test run starts read MOTCUA_TEST_CLOCK as business time now,
# or the suite's default instant, the same as internal/testenv's
# DefaultBusinessStart (Wednesday 09/12/2026 09:00 in Hanoi). Stacks that
# tests drive (make test-prod-local, make chaos) run on it, so they behave
# the same at any hour and in any year the holiday table does not cover.
test_clock_offset() {
	local start_s
	start_s=$(date -d "${MOTCUA_TEST_CLOCK:-2026-12-09T09:00:00+07:00}" +%s) ||
		die "MOTCUA_TEST_CLOCK=${MOTCUA_TEST_CLOCK:-} is not an instant date(1) reads"
	echo "$((start_s - $(date +%s)))s"
}

# free_port [EXCLUDE...]: print a TCP port that is free on 127.0.0.1, never one
# of EXCLUDE. Asks the kernel through python3 when it exists, else probes
# random ports below the ephemeral range.
free_port() {
	local p x i taken
	for ((i = 0; i < 100; i++)); do
		p=""
		if command -v python3 >/dev/null 2>&1; then
			p=$(python3 -c 'import socket
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()' 2>/dev/null) || p=""
		fi
		if [[ ! "$p" =~ ^[0-9]+$ ]]; then
			p=$((20000 + (RANDOM * 32768 + RANDOM) % 12000))
		fi
		taken=0
		for x in "$@"; do
			[[ "$x" == "$p" ]] && taken=1
		done
		((taken)) && continue
		port_in_use "$p" && continue
		printf '%s\n' "$p"
		return 0
	done
	die "could not find a free TCP port on 127.0.0.1"
}

# http_ok URL: true when URL answers with status 200 (curl; bash /dev/tcp
# fallback for plain http://host:port/path URLs when curl is missing).
http_ok() {
	local url=$1
	if command -v curl >/dev/null 2>&1; then
		[[ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 3 "$url" 2>/dev/null)" == "200" ]]
		return
	fi
	local rest hostport host port path status
	rest=${url#http://}
	hostport=${rest%%/*}
	path=/${rest#*/}
	[[ "$rest" == */* ]] || path=/
	host=${hostport%:*}
	port=${hostport##*:}
	[[ "$host" == "$hostport" ]] && port=80
	status=$(
		exec 3<>"/dev/tcp/$host/$port" || exit 1
		printf 'GET %s HTTP/1.0\r\nHost: %s\r\nConnection: close\r\n\r\n' "$path" "$hostport" >&3
		IFS= read -r -t 3 line <&3 || exit 1
		printf '%s' "$line"
	) 2>/dev/null || return 1
	[[ "$status" =~ ^HTTP/[0-9.]+\ 200 ]]
}

# ---------------------------------------------------------------- processes

# spawn LOGFILE CMD...: start CMD in the background, stdout+stderr to LOGFILE
# (truncated), stdin from /dev/null, in its own session when setsid exists so
# that a Ctrl-C in the terminal reaches only the calling script, which then
# stops its children in order. Sets SPAWNED_PID. Do not call it inside $(...).
spawn() {
	local logfile=$1
	shift
	mkdir -p "$(dirname "$logfile")"
	if command -v setsid >/dev/null 2>&1; then
		setsid "$@" >"$logfile" 2>&1 </dev/null &
	else
		"$@" >"$logfile" 2>&1 </dev/null &
	fi
	SPAWNED_PID=$!
}

# stop_pid PID NAME [SECONDS]: SIGTERM, wait up to SECONDS (default 10), then SIGKILL.
stop_pid() {
	local pid=$1 name=$2 timeout=${3:-10} deadline
	[[ -n "$pid" ]] || return 0
	kill -0 "$pid" 2>/dev/null || {
		wait "$pid" 2>/dev/null || true
		return 0
	}
	kill -TERM "$pid" 2>/dev/null || true
	deadline=$((SECONDS + timeout))
	while ((SECONDS < deadline)) && kill -0 "$pid" 2>/dev/null; do
		sleep 0.1
	done
	if kill -0 "$pid" 2>/dev/null; then
		log "$name (pid $pid) did not stop within ${timeout}s; killing it"
		kill -KILL "$pid" 2>/dev/null || true
	fi
	wait "$pid" 2>/dev/null || true
}

# ---------------------------------------------------------------- PostgreSQL

# _pg_bindir_ok DIR: DIR has the server binaries we need.
_pg_bindir_ok() {
	[[ -n "$1" && -x "$1/initdb" && -x "$1/pg_ctl" && -x "$1/postgres" ]]
}

# _pg_find_bindir: print the directory holding initdb/pg_ctl: MOTCUA_PG_BINDIR,
# else the one behind initdb/pg_ctl on PATH, else the newest
# /usr/lib/postgresql/<version>/bin.
_pg_find_bindir() {
	local d
	if [[ -n "${MOTCUA_PG_BINDIR:-}" ]]; then
		_pg_bindir_ok "$MOTCUA_PG_BINDIR" || return 1
		printf '%s\n' "$MOTCUA_PG_BINDIR"
		return 0
	fi
	if command -v pg_ctl >/dev/null 2>&1 && command -v initdb >/dev/null 2>&1; then
		d=$(dirname "$(readlink -f "$(command -v pg_ctl)")")
		if _pg_bindir_ok "$d"; then
			printf '%s\n' "$d"
			return 0
		fi
	fi
	while IFS= read -r d; do
		if _pg_bindir_ok "$d"; then
			printf '%s\n' "$d"
			return 0
		fi
	done < <(printf '%s\n' /usr/lib/postgresql/*/bin | sort -V -r)
	return 1
}

# ensure_pg_binaries: set PG_BINDIR; install Debian's postgresql package when
# no server binaries are found.
ensure_pg_binaries() {
	[[ -n "$PG_BINDIR" ]] && return 0
	if [[ -n "${MOTCUA_PG_BINDIR:-}" ]] && ! _pg_bindir_ok "$MOTCUA_PG_BINDIR"; then
		die "MOTCUA_PG_BINDIR=$MOTCUA_PG_BINDIR has no initdb/pg_ctl/postgres"
	fi
	if ! PG_BINDIR=$(_pg_find_bindir); then
		command -v apt-get >/dev/null 2>&1 ||
			die "PostgreSQL server binaries (initdb, pg_ctl) not found and apt-get is missing: install PostgreSQL >= 13"
		log "PostgreSQL server binaries not found: installing the postgresql package with apt-get"
		run_privileged apt-get update
		run_privileged env DEBIAN_FRONTEND=noninteractive apt-get install -y postgresql
		PG_BINDIR=$(_pg_find_bindir) || die "postgresql installed but initdb/pg_ctl still not found"
	fi
}

# ensure_chromium: make sure a headless-capable Chromium is installed (the
# console's browser tests drive it) and export MOTCUA_CHROMIUM with its path.
# Debian's chromium package, installed with apt-get when missing, as for
# PostgreSQL: CI runs on a fresh machine.
ensure_chromium() {
	local bin=""
	for c in "${MOTCUA_CHROMIUM:-}" chromium chromium-browser google-chrome; do
		[[ -n "$c" ]] || continue
		if bin=$(command -v "$c" 2>/dev/null); then
			break
		fi
		bin=""
	done
	if [[ -z "$bin" ]]; then
		command -v apt-get >/dev/null 2>&1 ||
			die "Chromium not found and apt-get is missing: install chromium (the console's browser tests need it)"
		log "Chromium not found: installing the chromium package with apt-get"
		run_privileged apt-get update
		run_privileged env DEBIAN_FRONTEND=noninteractive apt-get install -y chromium
		bin=$(command -v chromium) || die "chromium installed but not found on PATH"
	fi
	export MOTCUA_CHROMIUM="$bin"
}

# ensure_poppler: make sure poppler's pdftotext and pdftoppm are installed:
# the forms' tests read the text of every PDF they print and render its first
# page, as a reader would. Debian's poppler-utils, installed with apt-get when
# missing, as for Chromium: CI runs on a fresh machine.
ensure_poppler() {
	if command -v pdftotext >/dev/null 2>&1 && command -v pdftoppm >/dev/null 2>&1; then
		return 0
	fi
	command -v apt-get >/dev/null 2>&1 ||
		die "pdftotext/pdftoppm not found and apt-get is missing: install poppler-utils (the forms' tests need it)"
	log "pdftotext not found: installing the poppler-utils package with apt-get"
	run_privileged apt-get update
	run_privileged env DEBIAN_FRONTEND=noninteractive apt-get install -y poppler-utils
	command -v pdftotext >/dev/null 2>&1 || die "poppler-utils installed but pdftotext not found on PATH"
}

# pg_bin NAME: path of a PostgreSQL client/server program, preferring PG_BINDIR.
pg_bin() {
	if [[ -n "$PG_BINDIR" && -x "$PG_BINDIR/$1" ]]; then
		printf '%s\n' "$PG_BINDIR/$1"
	elif command -v "$1" >/dev/null 2>&1; then
		command -v "$1"
	else
		die "PostgreSQL program $1 not found"
	fi
}

# _pg_major BINDIR: major version of the server in BINDIR (e.g. 15).
_pg_major() {
	"$1/postgres" --version 2>/dev/null |
		awk '{ for (i = 2; i <= NF; i++) if ($i ~ /^[0-9]+/) { split($i, v, "."); print v[1]; exit } }'
}

# _pg_bindir_for_data DATA: make PG_BINDIR match the version of an existing
# cluster (a cluster made by PostgreSQL 15 must be run by PostgreSQL 15).
_pg_bindir_for_data() {
	local data=$1 want have d
	[[ -s "$data/PG_VERSION" ]] || return 0
	want=$(tr -d '[:space:]' <"$data/PG_VERSION")
	have=$(_pg_major "$PG_BINDIR")
	[[ "$want" == "$have" ]] && return 0
	d="/usr/lib/postgresql/$want/bin"
	if _pg_bindir_ok "$d"; then
		log "cluster $data is PostgreSQL $want: using $d"
		PG_BINDIR=$d
		return 0
	fi
	die "cluster $data was made by PostgreSQL $want but only PostgreSQL $have was found; delete it (make clean-data) or install PostgreSQL $want"
}

# _pg_os_user_setup: when root, make sure the postgres OS user exists (the
# server refuses to run as root).
_pg_os_user_setup() {
	[[ $EUID -eq 0 ]] || return 0
	id -u postgres >/dev/null 2>&1 && return 0
	log "creating the postgres OS user"
	if getent group postgres >/dev/null 2>&1; then
		useradd --system --gid postgres --no-create-home --home-dir /var/lib/postgresql --shell /bin/bash postgres
	else
		useradd --system --user-group --no-create-home --home-dir /var/lib/postgresql --shell /bin/bash postgres
	fi
}

# as_pg CMD...: run CMD as the postgres OS user when we are root, else as
# ourselves. Runs from / so that an unreadable current directory is no issue.
as_pg() {
	if [[ $EUID -ne 0 ]]; then
		(cd / && LC_ALL=C "$@")
	elif command -v runuser >/dev/null 2>&1; then
		(cd / && LC_ALL=C runuser -u postgres -- "$@")
	else
		(cd / && LC_ALL=C su -s /bin/bash postgres -c "$(printf '%q ' "$@")")
	fi
}

# _pg_conf_quote VALUE: VALUE as a single-quoted postgresql.conf string.
_pg_conf_quote() {
	printf "'%s'" "${1//\'/\'\'}"
}

# _pg_running DATA: true when a postmaster runs on DATA.
_pg_running() {
	[[ -s "$1/PG_VERSION" ]] || return 1
	as_pg "$(pg_bin pg_ctl)" -D "$1" status >/dev/null 2>&1
}

# _pg_relocation_dir PATH: where a cluster whose directory the postgres OS
# user cannot reach is kept instead: a directory of this checkout's own
# under /var/tmp (kept across reboots, unlike /tmp; MOTCUA_PG_RELOCATE_ROOT
# overrides it), named after the path it stands in for, so two clones get
# two clusters.
_pg_relocation_dir() {
	local sum
	sum=$(printf '%s' "$1" | sha256sum | cut -c1-12)
	printf '%s/motcua-postgres-%s\n' "${MOTCUA_PG_RELOCATE_ROOT:-/var/tmp}" "$sum"
}

# _pg_relocate DATA SOCKDIR LOGFILE: as root, when the postgres OS user
# cannot reach DATA's directory (a clone in /root, mode 0700): make the
# cluster, its socket and its log in _pg_relocation_dir instead, and leave
# symbolic links at DATA and LOGFILE pointing there, so scripts, `make
# clean-data` and people find them where they always were. Sets
# PG_REAL_DATA, PG_REAL_SOCKDIR and PG_REAL_LOGFILE. Dies with what to do
# when that cannot be done (a cluster already at DATA, an unusable
# relocation root).
_pg_relocate() {
	local data=$1 sockdir=$2 logfile=$3 alt
	alt=$(_pg_relocation_dir "$data")
	if [[ -e "$data" && ! -L "$data" ]] && [[ -n "$(ls -A "$data" 2>/dev/null)" ]]; then
		die "the postgres OS user cannot reach the cluster in $data (a parent directory is not searchable by others) and it is not empty, so it cannot be moved for you: make the parents searchable (chmod o+x), or move the cluster to $alt/data and link it (ln -s $alt/data $data), or delete it (make clean-data)"
	fi
	mkdir -p "$alt/data" "$alt/run" || die "cannot create $alt for the PostgreSQL cluster (set MOTCUA_PG_RELOCATE_ROOT to a directory the postgres OS user can reach)"
	chmod 711 "$alt"
	chown postgres: "$alt/data" "$alt/run"
	touch "$alt/postgres.log"
	chown postgres: "$alt/postgres.log"
	if ! as_pg test -w "$alt/data" -a -w "$alt/run" -a -w "$alt/postgres.log"; then
		die "the postgres OS user can reach neither $data nor $alt: make the parents of $data searchable by others (chmod o+x), or set MOTCUA_PG_RELOCATE_ROOT to a directory it can reach"
	fi
	[[ -d "$data" && ! -L "$data" ]] && rmdir "$data"
	ln -sfn "$alt/data" "$data"
	if [[ ! -L "$logfile" ]]; then
		# The empty log pg_start touched, or an old one: keep what it says.
		[[ -s "$logfile" ]] && cat "$logfile" >>"$alt/postgres.log"
		rm -f "$logfile"
		ln -s "$alt/postgres.log" "$logfile"
	fi
	log "the postgres OS user cannot reach $(dirname "$data") (as root, in a directory others cannot search): the cluster lives in $alt, linked from $data"
	PG_REAL_DATA=$alt/data PG_REAL_SOCKDIR=$alt/run PG_REAL_LOGFILE=$alt/postgres.log
}

# pg_data_remove DATA: delete the cluster directory DATA, and the
# directory it was relocated to when DATA is a link made by _pg_relocate.
# Stop the cluster first (pg_stop).
pg_data_remove() {
	local data=$1 real
	if [[ -L "$data" ]]; then
		real=$(readlink -f "$data")
		rm -f "$data"
		case "$real" in
		*/motcua-postgres-*/data) rm -rf "$(dirname "$real")" ;;
		esac
	else
		rm -rf "$data"
	fi
}

# pg_start DATA_DIR PORT SOCKET_DIR LOGFILE [name=value...]
# Start a PostgreSQL cluster in DATA_DIR (initdb first when it is empty),
# listening only on 127.0.0.1:PORT, unix socket in SOCKET_DIR, server log in
# LOGFILE; extra name=value pairs become server settings. As root, the
# cluster runs as the postgres OS user (created when missing) and the dirs
# are given to it; when that user cannot reach DATA_DIR (a clone under
# /root), the cluster is made elsewhere and linked (_pg_relocate). When a
# postmaster already runs on DATA_DIR it is reused.
# Sets PG_PORT (the port it really listens on) and PG_STARTED_BY_US (1 when
# this call started it, 0 when it was reused). Waits until pg_isready.
pg_start() {
	[[ $# -ge 4 ]] || die "usage: pg_start DATA_DIR PORT SOCKET_DIR LOGFILE [name=value...]"
	local data port sockdir logfile conf kv deadline locale_args=()
	data=$(abspath "$1")
	port=$2
	sockdir=$(abspath "$3")
	logfile=$(abspath "$4")
	shift 4
	ensure_pg_binaries
	_pg_os_user_setup
	# A cluster relocated by an earlier start: use where the links point.
	[[ -L "$data" ]] && data=$(readlink -f "$data")
	[[ -L "$logfile" ]] && logfile=$(readlink -f "$logfile")
	[[ "$data" == */motcua-postgres-*/data ]] && sockdir=$(dirname "$data")/run
	mkdir -p "$data" "$sockdir" "$(dirname "$logfile")"
	touch "$logfile"
	if [[ $EUID -eq 0 ]]; then
		if [[ "$(stat -c %U "$data")" != postgres ]]; then
			chown -R postgres: "$data"
		fi
		chown postgres: "$sockdir" "$logfile"
		if ! as_pg test -w "$data" -a -w "$sockdir" -a -w "$logfile"; then
			_pg_relocate "$data" "$sockdir" "$logfile"
			data=$PG_REAL_DATA sockdir=$PG_REAL_SOCKDIR logfile=$PG_REAL_LOGFILE
		fi
	fi
	chmod 700 "$data"
	_pg_bindir_for_data "$data"

	PG_STARTED_BY_US=0
	PG_PORT=$port
	if _pg_running "$data"; then
		# Line 4 of postmaster.pid is the port it listens on.
		PG_PORT=$(sed -n 4p "$data/postmaster.pid" 2>/dev/null | tr -d '[:space:]')
		[[ "$PG_PORT" =~ ^[0-9]+$ ]] || PG_PORT=$port
		if [[ "$PG_PORT" != "$port" ]]; then
			log "PostgreSQL on $data is already running on port $PG_PORT (not $port); reusing it"
		else
			log "PostgreSQL on $data is already running on port $PG_PORT; reusing it"
		fi
	else
		if [[ ! -s "$data/PG_VERSION" ]]; then
			if [[ -n "$(ls -A "$data")" ]]; then
				die "$data is neither empty nor a PostgreSQL cluster"
			fi
			if command -v locale >/dev/null 2>&1 && locale -a 2>/dev/null | grep -qiE '^c\.utf-?8$'; then
				locale_args=(--locale=C.UTF-8)
			else
				locale_args=(--no-locale)
			fi
			log "initdb $data (PostgreSQL $(_pg_major "$PG_BINDIR"), ${locale_args[0]})"
			as_pg "$(pg_bin initdb)" -D "$data" --auth=trust --username=postgres -E UTF8 "${locale_args[@]}" \
				--no-sync --no-instructions >>"$logfile" 2>&1 || {
				show_log_tail "$logfile"
				die "initdb failed"
			}
		fi
		# Our settings live in motcua.conf, rewritten on every start and
		# included from postgresql.conf.
		conf="$data/motcua.conf"
		if ! grep -q "^include_if_exists = 'motcua.conf'" "$data/postgresql.conf"; then
			printf "\n# Added by scripts/lib.sh (pg_start)\ninclude_if_exists = 'motcua.conf'\n" >>"$data/postgresql.conf"
		fi
		{
			echo "# Written by scripts/lib.sh (pg_start) at every start: edits here are lost."
			echo "listen_addresses = '127.0.0.1'"
			echo "port = $port"
			# A unix socket path is limited to ~107 bytes; without one, TCP still works.
			if ((${#sockdir} + 20 < 100)); then
				echo "unix_socket_directories = $(_pg_conf_quote "$sockdir")"
			else
				echo "unix_socket_directories = ''"
			fi
			for kv in "$@"; do
				echo "${kv%%=*} = $(_pg_conf_quote "${kv#*=}")"
			done
		} >"$conf"
		[[ $EUID -eq 0 ]] && chown postgres: "$conf"
		if port_in_use "$port"; then
			die "port $port on 127.0.0.1 is already in use: cannot start PostgreSQL there"
		fi
		log "starting PostgreSQL on 127.0.0.1:$port (data $data, log $logfile)"
		if ! as_pg "$(pg_bin pg_ctl)" -D "$data" -l "$logfile" -w -t 60 start >/dev/null; then
			show_log_tail "$logfile"
			die "PostgreSQL did not start"
		fi
		# shellcheck disable=SC2034 # read by the calling script
		PG_STARTED_BY_US=1
	fi
	deadline=$((SECONDS + 60))
	while ((SECONDS < deadline)); do
		if "$(pg_bin pg_isready)" -q -t 5 -h 127.0.0.1 -p "$PG_PORT" -U postgres -d postgres; then
			return 0
		fi
		sleep 0.5
	done
	show_log_tail "$logfile"
	die "PostgreSQL on 127.0.0.1:$PG_PORT is not ready after 60s"
}

# pg_stop DATA_DIR: stop the cluster on DATA_DIR if one runs (fast shutdown).
pg_stop() {
	local data
	data=$(abspath "$1")
	[[ -L "$data" ]] && data=$(readlink -f "$data")
	[[ -s "$data/PG_VERSION" ]] || return 0
	ensure_pg_binaries
	_pg_bindir_for_data "$data"
	if [[ $EUID -eq 0 ]] && ! id -u postgres >/dev/null 2>&1; then
		return 0
	fi
	_pg_running "$data" || return 0
	log "stopping PostgreSQL on $data"
	if ! as_pg "$(pg_bin pg_ctl)" -D "$data" -m fast -w -t 60 stop >/dev/null; then
		log "fast shutdown failed; trying immediate shutdown"
		as_pg "$(pg_bin pg_ctl)" -D "$data" -m immediate -w -t 30 stop >/dev/null || return 1
	fi
}

# pg_create_db PORT NAME: create database NAME on 127.0.0.1:PORT unless it exists.
pg_create_db() {
	local port=$1 name=$2 exists
	exists=$("$(pg_bin psql)" -X -q -h 127.0.0.1 -p "$port" -U postgres -d postgres -tAc \
		"SELECT 1 FROM pg_database WHERE datname = '${name//\'/\'\'}'") || die "cannot query PostgreSQL on port $port"
	if [[ "$exists" != 1 ]]; then
		log "creating database $name"
		"$(pg_bin createdb)" -h 127.0.0.1 -p "$port" -U postgres "$name" || die "createdb $name failed"
	fi
}

# pg_app_login PORT: let the application role motcua_app (made by the
# migrations, store/migrations/00026) log in. The API and the worker
# connect as it, not as the schema's owner, so they cannot disable the
# control sheet's trigger (docs/OPERATIONS.md, Database roles). The local
# clusters trust loopback: no password.
pg_app_login() {
	"$(pg_bin psql)" -X -q -h 127.0.0.1 -p "$1" -U postgres -d postgres -c "ALTER ROLE motcua_app LOGIN" >/dev/null ||
		die "could not let the role motcua_app log in on port $1"
}

# ---------------------------------------------------------------- Temporal server

# read_search_attributes: print the Name=Type lines of
# deploy/temporal/search-attributes (comments and blanks dropped, validated).
read_search_attributes() {
	local line n=0
	[[ -f "$SEARCH_ATTRIBUTES_FILE" ]] || die "missing $SEARCH_ATTRIBUTES_FILE"
	while IFS= read -r line || [[ -n "$line" ]]; do
		n=$((n + 1))
		line=${line%%#*}
		line=${line//[[:space:]]/}
		[[ -z "$line" ]] && continue
		if [[ ! "$line" =~ ^[A-Za-z][A-Za-z0-9_]*=(Keyword|Text|Int|Double|Bool|Datetime|KeywordList)$ ]]; then
			die "$SEARCH_ATTRIBUTES_FILE:$n: expected Name=Type (Keyword, Text, Int, Double, Bool, Datetime, KeywordList), got '$line'"
		fi
		printf '%s\n' "$line"
	done <"$SEARCH_ATTRIBUTES_FILE"
}

# temporal_start LOGFILE [start-dev flags...]
# Start `bin/temporal server start-dev --ip 127.0.0.1` with every search
# attribute of deploy/temporal/search-attributes and the given flags (port,
# UI, persistence...) in the background, output to LOGFILE. Sets
# TEMPORAL_PID and TEMPORAL_LOG. Follow it with wait_for_temporal.
temporal_start() {
	local logfile sa
	local -a args=()
	logfile=$(abspath "$1")
	shift
	ensure_temporal
	read_search_attributes >/dev/null # dies here (not in a subshell) on a malformed file
	while IFS= read -r sa; do
		args+=(--search-attribute "$sa")
	done < <(read_search_attributes)
	TEMPORAL_LOG=$logfile
	spawn "$logfile" "$TEMPORAL_BIN" server start-dev --ip 127.0.0.1 "${args[@]}" "$@"
	TEMPORAL_PID=$SPAWNED_PID
	log "started Temporal dev server (pid $TEMPORAL_PID, log $logfile)"
}

# wait_for_temporal ADDRESS [SECONDS]: poll the cluster health up to SECONDS
# (default 60). Fails early when the server started by temporal_start died.
wait_for_temporal() {
	local addr=$1 timeout=${2:-60} deadline
	ensure_temporal
	deadline=$((SECONDS + timeout))
	while ((SECONDS < deadline)); do
		if "$TEMPORAL_BIN" operator cluster health --address "$addr" --command-timeout 5s >/dev/null 2>&1; then
			return 0
		fi
		if [[ -n "$TEMPORAL_PID" ]] && ! kill -0 "$TEMPORAL_PID" 2>/dev/null; then
			[[ -n "$TEMPORAL_LOG" ]] && show_log_tail "$TEMPORAL_LOG"
			die "the Temporal server exited before it became healthy"
		fi
		sleep 0.5
	done
	[[ -n "$TEMPORAL_LOG" ]] && show_log_tail "$TEMPORAL_LOG"
	die "Temporal at $addr is not healthy after ${timeout}s"
}

# ensure_search_attributes ADDRESS [NAMESPACE]: register the search attributes
# of deploy/temporal/search-attributes that NAMESPACE (default "default")
# lacks. start-dev registers its --search-attribute flags only when it
# creates a new database file, so this covers attributes added later.
ensure_search_attributes() {
	local addr=$1 ns=${2:-default} existing sa name type have
	local -a create=()
	read_search_attributes >/dev/null
	existing=$("$TEMPORAL_BIN" operator search-attribute list --address "$addr" --namespace "$ns" \
		--command-timeout 10s 2>&1) || die "cannot list search attributes of namespace $ns at $addr: $existing"
	while IFS= read -r sa; do
		name=${sa%%=*}
		type=${sa#*=}
		have=$(awk -v n="$name" '$1 == n { print $2 }' <<<"$existing")
		if [[ -z "$have" ]]; then
			create+=(--name "$name" --type "$type")
		elif [[ "$have" != "$type" ]]; then
			log "WARNING: search attribute $name is registered as $have in namespace $ns, but deploy/temporal/search-attributes says $type"
		fi
	done < <(read_search_attributes)
	if ((${#create[@]})); then
		log "registering search attributes in namespace $ns: ${create[*]}"
		"$TEMPORAL_BIN" operator search-attribute create --address "$addr" --namespace "$ns" \
			--command-timeout 30s "${create[@]}" >/dev/null || die "could not register search attributes"
	fi
}

# temporal_stop [SECONDS]: stop the server started by temporal_start: SIGTERM
# and wait (it flushes its sqlite file), SIGKILL after SECONDS (default 30).
temporal_stop() {
	local timeout=${1:-30}
	[[ -n "$TEMPORAL_PID" ]] || return 0
	log "stopping Temporal (pid $TEMPORAL_PID)"
	stop_pid "$TEMPORAL_PID" temporal "$timeout"
	TEMPORAL_PID=""
}
