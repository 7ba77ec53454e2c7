#!/usr/bin/env bash
# Starts a local PostgreSQL server for the tests (as root, without systemd) and makes the test role.
# Skipped when GRIDCARE_TEST_POSTGRES_URL points at a server of your own.
set -euo pipefail
if [ -n "${GRIDCARE_TEST_POSTGRES_URL:-}" ]; then exit 0; fi
if [ "$(id -u)" -ne 0 ]; then
  echo "Not root: start PostgreSQL yourself and set GRIDCARE_TEST_POSTGRES_URL (see README.md)." >&2
  exit 1
fi
version=$(ls /usr/lib/postgresql | sort -n | tail -1)
pg_lsclusters -h | awk '{print $2}' | grep -x main >/dev/null || pg_createcluster "$version" main >/dev/null
pg_lsclusters -h | grep "^$version main .* online" >/dev/null || pg_ctlcluster "$version" main start
for _ in $(seq 1 30); do pg_isready -q && break; sleep 0.5; done
pg_isready -q || { echo "PostgreSQL did not start" >&2; exit 1; }
runuser -u postgres -- psql -qtAc "SELECT 1 FROM pg_roles WHERE rolname = 'gridcare'" | grep 1 >/dev/null \
  || runuser -u postgres -- psql -qc "CREATE ROLE gridcare LOGIN CREATEDB PASSWORD 'gridcare'"
