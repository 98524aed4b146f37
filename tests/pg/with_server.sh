#!/usr/bin/env bash
# Runs a command beside a throw-away PostgreSQL server.
#
#   tests/pg/with_server.sh CMD [ARGS...]   start a server, run CMD, stop the server
#   tests/pg/with_server.sh --install       install PostgreSQL when missing, then exit
#
# The server lives in a fresh temporary directory: initdb'ed there, listening
# on a free TCP port of 127.0.0.1 and on a Unix socket in that directory.
# Local (socket) connections are trusted; TCP connections need a password
# (scram-sha-256). A role scidb_test (LOGIN CREATEDB) with a random password
# owns a database scidb_test. CMD runs with
#
#   SCIDB_TEST_PG_URL=postgresql://scidb_test@127.0.0.1:PORT/scidb_test
#   SCIDB_TEST_PG_PASSWORD=the role's password (not in the URL)
#   SCIDB_TEST_PG_SOCKET_DIR=the socket directory (trusted, no password)
#   SCIDB_TEST_PG_PORT=PORT      (the socket's port too)
#   SCIDB_REQUIRE_PG=1           (PostgreSQL tests fail instead of skipping)
#
# and PGPASSWORD unset. Whatever happens (CMD fails, Ctrl-C, SIGTERM), the
# server is stopped and the directory removed; the exit status is CMD's.
# Run as root, the server runs as the `postgres` user (it refuses root);
# run as another user, it runs as that user. When no initdb is found,
# PostgreSQL is installed with apt-get (as root).
set -uo pipefail

me=with_server.sh
die() { echo "$me: $*" >&2; exit 1; }

find_bindir() {
  local initdb
  initdb=$(ls -d /usr/lib/postgresql/*/bin/initdb 2>/dev/null | sort -V | tail -n 1)
  [ -n "$initdb" ] && dirname "$initdb"
}

install_postgres() {
  [ -n "$(find_bindir)" ] && return 0
  [ "$(id -u)" = 0 ] || die "PostgreSQL is not installed (no /usr/lib/postgresql/*/bin/initdb); as root: apt-get install postgresql"
  echo "$me: installing PostgreSQL with apt-get" >&2
  apt-get update -q >&2 &&
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q postgresql >&2 ||
    die "apt-get install postgresql failed"
  [ -n "$(find_bindir)" ] || die "apt-get installed postgresql but no /usr/lib/postgresql/*/bin/initdb"
}

if [ "${1:-}" = --install ]; then
  install_postgres
  exit 0
fi
[ $# -gt 0 ] || die "usage: $me CMD [ARGS...] | $me --install"

install_postgres || exit 1
bindir=$(find_bindir)

if [ "$(id -u)" = 0 ]; then
  id postgres >/dev/null 2>&1 || die "running as root needs a 'postgres' user to run the server"
  # From the temp directory: runuser keeps the cwd, which postgres may not read.
  as_server() { (cd "$tmp" && runuser -u postgres -- "$@"); }
else
  as_server() { (cd "$tmp" && "$@"); }
fi

tmp=
child=
cleanup() {
  local status=$?
  trap - EXIT INT TERM HUP
  if [ -n "$tmp" ] && [ -d "$tmp" ]; then
    if [ -f "$tmp/data/postmaster.pid" ]; then
      as_server "$bindir/pg_ctl" -D "$tmp/data" -m fast -w -t 30 stop >/dev/null 2>&1 ||
        as_server "$bindir/pg_ctl" -D "$tmp/data" -m immediate -w -t 30 stop >/dev/null 2>&1
      # Last resort: the postmaster's pid is the first line of postmaster.pid.
      if [ -f "$tmp/data/postmaster.pid" ]; then
        pid=$(head -n 1 "$tmp/data/postmaster.pid" 2>/dev/null)
        [ -n "$pid" ] && kill -KILL "$pid" 2>/dev/null
      fi
    fi
    rm -rf "$tmp"
  fi
  exit "$status"
}
on_signal() { # NAME NUMBER
  if [ -n "$child" ]; then
    kill -"$1" "$child" 2>/dev/null
    wait "$child" 2>/dev/null
  fi
  exit $((128 + $2))
}
trap cleanup EXIT
trap 'on_signal INT 2' INT
trap 'on_signal TERM 15' TERM
trap 'on_signal HUP 1' HUP

tmp=$(mktemp -d "${TMPDIR:-/tmp}/scidb-pg.XXXXXX") || die "mktemp failed"
chmod 700 "$tmp"
[ "$(id -u)" = 0 ] && chown postgres: "$tmp"

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
password=$(python3 -c 'import secrets; print(secrets.token_hex(16))') || die "python3 is needed"

as_server "$bindir/initdb" -D "$tmp/data" -U postgres -E UTF8 --no-locale --no-sync \
  --auth-local=trust --auth-host=scram-sha-256 >"$tmp/initdb.log" 2>&1 ||
  { cat "$tmp/initdb.log" >&2; die "initdb failed"; }

cat >>"$tmp/data/postgresql.conf" <<CONF

# with_server.sh
listen_addresses = '127.0.0.1'
unix_socket_directories = '$tmp'
max_connections = 200
CONF

# Start on a free port; another process may take it between the check and
# the start, so try a few.
started=
for attempt in 1 2 3 4 5; do
  port=$(free_port) || die "could not find a free port"
  if as_server "$bindir/pg_ctl" -D "$tmp/data" -l "$tmp/server.log" -w -t 60 \
      -o "-p $port" \
      start >/dev/null 2>&1; then
    started=1
    break
  fi
done
[ -n "$started" ] || { cat "$tmp/server.log" >&2; die "the server did not start"; }

# The role's password goes through stdin, not the command line.
as_server "$bindir/psql" -X -q -v ON_ERROR_STOP=1 -h "$tmp" -p "$port" -U postgres -d postgres \
  >/dev/null 2>"$tmp/psql.log" <<SQL || { cat "$tmp/psql.log" >&2; die "creating role scidb_test failed"; }
CREATE ROLE scidb_test LOGIN CREATEDB PASSWORD '$password';
CREATE DATABASE scidb_test OWNER scidb_test;
SQL

export SCIDB_TEST_PG_URL="postgresql://scidb_test@127.0.0.1:$port/scidb_test"
export SCIDB_TEST_PG_PASSWORD="$password"
export SCIDB_TEST_PG_SOCKET_DIR="$tmp"
export SCIDB_TEST_PG_PORT="$port"
export SCIDB_REQUIRE_PG=1
unset PGPASSWORD
echo "$me: PostgreSQL $("$bindir/postgres" -V | sed -n 's/^postgres (PostgreSQL) \([^ ]*\).*/\1/p') at $SCIDB_TEST_PG_URL (data in $tmp)" >&2

# CMD runs in the background so a signal reaches the trap at once; it keeps
# this shell's stdin.
"$@" <&0 &
child=$!
wait "$child"
status=$?
child=
exit "$status"
