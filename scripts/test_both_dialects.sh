#!/usr/bin/env bash
# Run the test command on SQLite and on PostgreSQL at the same time (see the Makefile's `test`).
# Each run writes its own log, shown when it ends; the exit code is non-zero if either failed.
set -uo pipefail
logs="$(mktemp -d)"
redis="${SIYU_TEST_REDIS_URL:-}"
# The PostgreSQL run's Redis databases start at 8 (the SQLite run's at the URL's own, e.g. 0).
pg_redis="$(echo "$redis" | sed -E 's#/[0-9]+$##')/8"

started=$(date +%s)
"$@" >"$logs/sqlite.log" 2>&1 &
sqlite_pid=$!
SIYU_TEST_DB=postgres SIYU_TEST_REDIS_URL="${redis:+$pg_redis}" "$@" >"$logs/postgres.log" 2>&1 &
postgres_pid=$!

wait "$sqlite_pid"; sqlite_rc=$?
echo "== SQLite (exit $sqlite_rc, $(( $(date +%s) - started )) s) =="
cat "$logs/sqlite.log"
wait "$postgres_pid"; postgres_rc=$?
echo "== PostgreSQL: $SIYU_TEST_DATABASE_URL (exit $postgres_rc, $(( $(date +%s) - started )) s) =="
cat "$logs/postgres.log"
rm -rf "$logs"
[ "$sqlite_rc" -eq 0 ] && [ "$postgres_rc" -eq 0 ]
