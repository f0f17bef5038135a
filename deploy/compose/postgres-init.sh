#!/bin/sh
# First start of the compose PostgreSQL (docker-entrypoint-initdb.d): the
# owner of the application's schema, the application's role (motcua_app:
# store/migrations/00026) and Temporal's. The application owns only its
# database; Temporal's databases are created by the temporal-schema one-shot
# with the temporal role (CREATEDB), so neither can touch the other's data.
set -eu
psql -v ON_ERROR_STOP=1 --username postgres --dbname postgres <<SQL
CREATE ROLE motcua LOGIN PASSWORD '${APP_DB_PASSWORD}';
CREATE DATABASE motcua OWNER motcua;
-- The application's role: granted what it needs by the migrations (run by
-- motcua, which may not create roles), never the owner of a table.
CREATE ROLE motcua_app LOGIN PASSWORD '${APP_ROLE_DB_PASSWORD}';
CREATE ROLE temporal LOGIN CREATEDB PASSWORD '${TEMPORAL_DB_PASSWORD}';
SQL
