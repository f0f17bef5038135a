#!/usr/bin/env bash
# scripts/k8s-schemas.sh: regenerate deploy/kubeconform/schemas from the
# OpenAPI document of Kubernetes K8S_VERSION (the Go module
# k8s.io/kubernetes, through the Go module proxy; its
# api/openapi-spec/swagger.json). Run it when the cluster's Kubernetes
# version moves or a manifest uses a new kind (add it to
# deploy/kubeconform/gen), then commit the schemas.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/lib.sh
source scripts/lib.sh
MOTCUA_LOG_PREFIX=k8s-schemas
K8S_VERSION=${K8S_VERSION:-v1.34.1}

dir=$(cd "${TMPDIR:-/tmp}" && GOFLAGS=-mod=mod go mod download -json "k8s.io/kubernetes@$K8S_VERSION" |
	sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
[[ -f "$dir/api/openapi-spec/swagger.json" ]] || die "no api/openapi-spec/swagger.json in k8s.io/kubernetes@$K8S_VERSION"
rm -f deploy/kubeconform/schemas/*.json
go run ./deploy/kubeconform/gen "$dir/api/openapi-spec/swagger.json" deploy/kubeconform/schemas
log "wrote deploy/kubeconform/schemas from Kubernetes $K8S_VERSION"
