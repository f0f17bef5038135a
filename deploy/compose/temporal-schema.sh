#!/bin/sh
# temporal-schema one-shot (temporalio/admin-tools): create Temporal's two
# databases when missing and bring both schemas to the newest version the
# image ships. update-schema applies only what is missing, so running it at
# every `up` is how a server upgrade migrates them.
set -eu
SCHEMA=/etc/temporal/schema/postgresql/v12
tool() { temporal-sql-tool --plugin "$SQL_PLUGIN" --endpoint "$SQL_HOST" --port "$SQL_PORT" \
	--user "$SQL_USER" --password "$SQL_PASSWORD" "$@"; }
for pair in temporal:temporal visibility:temporal_visibility; do
	dir=${pair%%:*}
	db=${pair#*:}
	if tool --db "$db" create-database 2>/dev/null; then
		tool --db "$db" setup-schema -v 0.0
	fi
	tool --db "$db" update-schema -d "$SCHEMA/$dir/versioned"
done
echo "Temporal schemas are current"
