#!/bin/sh
# First start of the PostgreSQL container: Kinerja's database and login role (a member of
# kinerja_app, the role the application acts as; the migrations give it its grants), and
# Temporal's role and two databases.
set -eu
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" \
     -v kinerja_password="$KINERJA_DB_PASSWORD" -v temporal_password="$TEMPORAL_DB_PASSWORD" <<'SQL'
CREATE ROLE kinerja_app NOLOGIN;
CREATE ROLE kinerja LOGIN PASSWORD :'kinerja_password' IN ROLE kinerja_app;
CREATE DATABASE kinerja;
CREATE ROLE temporal LOGIN PASSWORD :'temporal_password';
CREATE DATABASE temporal OWNER temporal;
CREATE DATABASE temporal_visibility OWNER temporal;
SQL
