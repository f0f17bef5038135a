#!/bin/sh
# First start of the compose PostgreSQL (docker-entrypoint-initdb.d): a role
# for the application and one for Temporal. The application owns only its
# database; Temporal's databases are created by the temporal-schema one-shot
# with the temporal role (CREATEDB), so neither can touch the other's data.
set -eu
psql -v ON_ERROR_STOP=1 --username postgres --dbname postgres <<SQL
CREATE ROLE motcua LOGIN PASSWORD '${APP_DB_PASSWORD}';
CREATE DATABASE motcua OWNER motcua;
CREATE ROLE temporal LOGIN CREATEDB PASSWORD '${TEMPORAL_DB_PASSWORD}';
SQL
