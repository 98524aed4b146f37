#!/usr/bin/env bash
# Prints the URL of a new, empty catalog on the test server that
# tests/pg/with_server.sh started: a fresh schema, its password included,
# selected by the connection's search_path. Every language's suite gets
# its PostgreSQL catalogs here.
set -euo pipefail
: "${SCIDB_TEST_PG_URL:?run the tests through tests/pg/with_server.sh}"
: "${SCIDB_TEST_PG_PASSWORD:?run the tests through tests/pg/with_server.sh}"
schema="t_$$_$(date +%s%N)_${RANDOM}"
PGPASSWORD="$SCIDB_TEST_PG_PASSWORD" psql -qAtX -v ON_ERROR_STOP=1 "$SCIDB_TEST_PG_URL" \
  -c "CREATE SCHEMA $schema" >/dev/null
scheme=${SCIDB_TEST_PG_URL%%://*}
rest=${SCIDB_TEST_PG_URL#*://}
user=${rest%%@*}
host=${rest#*@}
echo "$scheme://$user:$SCIDB_TEST_PG_PASSWORD@$host?options=-csearch_path%3D$schema"
