#!/usr/bin/env bash
# scripts/k8s-validate.sh (part of `make lint`): render every Kubernetes
# overlay (`kustomize build` through kustomize's library:
# deploy/kubeconform/render) and validate the result with kubeconform
# against the schemas vendored in deploy/kubeconform/schemas (strict:
# unknown fields fail). Offline: the schemas come from Kubernetes' OpenAPI
# document (scripts/k8s-schemas.sh regenerates them).
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/lib.sh
source scripts/lib.sh
MOTCUA_LOG_PREFIX=k8s-validate

ensure_kubeconform
go build -o bin/k8s-render ./deploy/kubeconform/render
for dir in deploy/kubernetes/overlays/*/; do
	log "kustomize build ${dir%/} | kubeconform"
	bin/k8s-render "$dir" | "$MOTCUA_ROOT/bin/kubeconform" -strict -summary \
		-schema-location "deploy/kubeconform/schemas/{{ .ResourceKind }}{{ .KindSuffix }}.json" - ||
		die "${dir%/}: the rendered manifests are not valid Kubernetes objects"
	echo
done
