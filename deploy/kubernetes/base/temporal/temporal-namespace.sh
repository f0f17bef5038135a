#!/bin/sh
# temporal-namespace one-shot (temporalio/admin-tools): the namespace with
# its retention, then every search attribute of
# deploy/temporal/search-attributes (Name=Type lines) it lacks.
set -eu
until temporal operator cluster health >/dev/null 2>&1; do sleep 2; done
temporal operator namespace describe --namespace "$NAMESPACE" >/dev/null 2>&1 ||
	temporal operator namespace create --namespace "$NAMESPACE" --retention "$RETENTION"
existing=$(temporal operator search-attribute list --namespace "$NAMESPACE")
sed -e 's/#.*//' -e 's/[[:space:]]//g' /etc/motcua/search-attributes | while IFS='=' read -r name type; do
	[ -n "$name" ] || continue
	if ! printf '%s\n' "$existing" | grep -q "^[[:space:]]*$name[[:space:]]"; then
		temporal operator search-attribute create --namespace "$NAMESPACE" --name "$name" --type "$type"
	fi
done
echo "namespace $NAMESPACE is ready"
