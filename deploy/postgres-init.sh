#!/bin/sh
# Runs once, when the postgres container starts on an empty volume (docker-entrypoint-initdb.d).
# One server, separate owners and databases:
#   ERP_DB_NAME (default erp)         owned by ERP_DB_USER       the ERP ledger, stock, documents
#   temporal, temporal_visibility     owned by TEMPORAL_DB_USER  Temporal persistence and visibility
# The ERP owner gets CREATEROLE (not SUPERUSER): its migrations create the restricted `erp_app` role.
# No `set -e` here: the image's entrypoint may source this file; psql stops on the first error instead.

psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres \
  -v erp_db="${ERP_DB_NAME:-erp}" \
  -v erp_user="${ERP_DB_USER:-erp}" \
  -v erp_password="${ERP_DB_PASSWORD:?ERP_DB_PASSWORD is required}" \
  -v temporal_user="${TEMPORAL_DB_USER:-temporal}" \
  -v temporal_password="${TEMPORAL_DB_PASSWORD:?TEMPORAL_DB_PASSWORD is required}" <<'SQL'
CREATE ROLE :"erp_user" LOGIN CREATEROLE PASSWORD :'erp_password';
CREATE DATABASE :"erp_db" OWNER :"erp_user";
REVOKE ALL ON DATABASE :"erp_db" FROM PUBLIC;

CREATE ROLE :"temporal_user" LOGIN PASSWORD :'temporal_password';
CREATE DATABASE temporal OWNER :"temporal_user";
CREATE DATABASE temporal_visibility OWNER :"temporal_user";
REVOKE ALL ON DATABASE temporal FROM PUBLIC;
REVOKE ALL ON DATABASE temporal_visibility FROM PUBLIC;

-- Temporal's visibility schema indexes need btree_gin; create it here so its user needs no extra rights.
\connect temporal_visibility
CREATE EXTENSION IF NOT EXISTS btree_gin;
SQL
