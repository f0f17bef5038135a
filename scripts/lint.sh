#!/usr/bin/env bash
# scripts/lint.sh (`make lint`): formatting (gofmt), go vet, then golangci-lint
# (staticcheck and the linters of .golangci.yml), built from its Go module
# into bin/ the first time (scripts/lib.sh ensure_golangci_lint), and the
# Kubernetes overlays rendered and validated (scripts/k8s-validate.sh), and
# the Temporal Helm values checked against the pinned chart's keys.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/lib.sh
source scripts/lib.sh
MOTCUA_LOG_PREFIX=lint

files="$(gofmt -l .)"
if [[ -n "$files" ]]; then
	printf 'gofmt -w needed on:\n%s\n' "$files" >&2
	exit 1
fi
go vet ./...
ensure_golangci_lint
log "golangci-lint $GOLANGCI_LINT_VERSION"
"$MOTCUA_ROOT/bin/golangci-lint" run ./...
bash scripts/k8s-validate.sh
# The Temporal Helm values against the pinned chart version's keys
# (deploy/helm/chart/, vendored; offline).
log "helm values against the pinned Temporal chart"
go test -count=1 -run 'TestHelmValues' ./deploy/
