#!/usr/bin/env bash
# A throwaway PostgreSQL server for the tests: initdb into a temp dir (as the postgres user when
# run as root), 127.0.0.1 on a free port, scram-sha-256, a read-only role for kpicli.
#
#   source .ci/postgres.sh start   # exports KPI_TEST_PG, KPI_TEST_PG_ADMIN, PGPASSWORD ...
#   source .ci/postgres.sh stop    # (or let the caller's trap do it)
#
# KPI_TEST_PG is the URL the tests read with (no password in it: the password is in
# PGPASSWORD, as kpicli requires); KPI_TEST_PG_ADMIN may create tables.
set -euo pipefail

pg_bin() {
  if command -v pg_config >/dev/null 2>&1 && [ -x "$(pg_config --bindir)/initdb" ]; then
    pg_config --bindir
    return
  fi
  ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1
}

kpi_pg_start() {
  local bin dir port run_as
  bin="$(pg_bin)"
  if [ -z "$bin" ] || [ ! -x "$bin/initdb" ]; then
    echo "PostgreSQL server binaries not found" >&2
    return 1
  fi
  dir="$(mktemp -d /tmp/kpicli-pg.XXXXXX)"
  port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
  run_as=()
  if [ "$(id -u)" = 0 ]; then
    chown postgres "$dir"
    run_as=(runuser -u postgres --)
  fi
  local pw="kpicli-test-$RANDOM$RANDOM"
  printf '%s\n' "$pw" > "$dir/pw"
  chmod 600 "$dir/pw"
  [ "$(id -u)" = 0 ] && chown postgres "$dir/pw"
  "${run_as[@]}" "$bin/initdb" -D "$dir/data" -U admin --pwfile="$dir/pw" -A scram-sha-256 \
    --auth-local=scram-sha-256 -E UTF8 --locale=C.UTF-8 >/dev/null
  "${run_as[@]}" "$bin/pg_ctl" -D "$dir/data" -l "$dir/log" -w -t 30 \
    -o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c fsync=off" start >/dev/null
  export KPI_PG_DIR="$dir" KPI_PG_BIN="$bin"
  export PGPASSWORD="$pw"
  export KPI_TEST_PG_ADMIN="postgresql://admin@127.0.0.1:$port/postgres"
  # The reading role: same password (PGPASSWORD), SELECT only.
  PGPASSWORD="$pw" "$bin/psql" -q -v ON_ERROR_STOP=1 "$KPI_TEST_PG_ADMIN" <<SQL >/dev/null
CREATE ROLE kpi_reader LOGIN PASSWORD '$pw';
CREATE DATABASE kpitest OWNER admin;
SQL
  PGPASSWORD="$pw" "$bin/psql" -q -v ON_ERROR_STOP=1 "postgresql://admin@127.0.0.1:$port/kpitest" <<SQL >/dev/null
GRANT USAGE ON SCHEMA public TO kpi_reader;
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT ON TABLES TO kpi_reader;
SQL
  export KPI_TEST_PG_ADMIN="postgresql://admin@127.0.0.1:$port/kpitest"
  export KPI_TEST_PG="postgresql://kpi_reader@127.0.0.1:$port/kpitest"
  echo "PostgreSQL $("$bin/postgres" --version | awk '{print $3}') on 127.0.0.1:$port ($dir)"
}

kpi_pg_stop() {
  if [ -n "${KPI_PG_DIR:-}" ] && [ -d "$KPI_PG_DIR/data" ]; then
    local run_as=()
    [ "$(id -u)" = 0 ] && run_as=(runuser -u postgres --)
    "${run_as[@]}" "$KPI_PG_BIN/pg_ctl" -D "$KPI_PG_DIR/data" -m immediate stop >/dev/null 2>&1 || true
    rm -rf "$KPI_PG_DIR"
  fi
  unset KPI_PG_DIR KPI_TEST_PG KPI_TEST_PG_ADMIN
}

case "${1:-}" in
  start) kpi_pg_start ;;
  stop) kpi_pg_stop ;;
  *) echo "usage: source .ci/postgres.sh start|stop" >&2; return 2 2>/dev/null || exit 2 ;;
esac
