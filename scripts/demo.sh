#!/usr/bin/env bash
# Install everything, prepare PostgreSQL, load the demo association, start the web server and
# the workers on http://127.0.0.1:8000. Ctrl-C stops everything this script started.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

PIDS=()
cleanup() {
  trap - INT TERM EXIT
  say "Stopping"
  stop_processes "${PIDS[@]}"
  stop_started_postgres
}
trap cleanup INT TERM EXIT

ensure_uv
uv_sync --no-dev --inexact
ensure_postgres "duesdesk"
ensure_secret_key
export DEBUG="${DEBUG:-false}" DEMO_MODE=true
# The demo is served over plain http on this machine; production keeps secure cookies on.
export SESSION_COOKIE_SECURE=false CSRF_COOKIE_SECURE=false
export ALLOWED_HOSTS="${ALLOWED_HOSTS:-127.0.0.1,localhost}"
PORT="${PORT:-8000}"
mkdir -p "$LOCAL/logs"

say "Migrating the database"
"$PY" manage.py migrate --noinput >"$LOCAL/logs/migrate.log" || die "migrate failed; see $LOCAL/logs/migrate.log"
"$PY" manage.py collectstatic --noinput >/dev/null
"$PY" manage.py install_schedules >/dev/null
LOGINS="$("$PY" manage.py create_demo_users --format text)"

say "Starting the background workers (log: .local/logs/worker.log)"
"$PY" manage.py qcluster >"$LOCAL/logs/worker.log" 2>&1 &
PIDS+=($!)
say "Starting the web server (log: .local/logs/web.log)"
"$ROOT/.venv/bin/gunicorn" config.wsgi -b "127.0.0.1:$PORT" -w 2 --timeout 120 \
  --access-logfile "$LOCAL/logs/web.log" --error-logfile "$LOCAL/logs/web.log" &
PIDS+=($!)

for _ in $(seq 1 60); do port_answers 127.0.0.1 "$PORT" && break; sleep 0.5; done
port_answers 127.0.0.1 "$PORT" || die "the web server did not start; see $LOCAL/logs/web.log"

cat <<TXT

  Dues desk is running at http://127.0.0.1:$PORT/

  Sign in as any of these demo users (one per role):
$LOGINS

  Health: http://127.0.0.1:$PORT/healthz     API docs: http://127.0.0.1:$PORT/api/docs/
  Press Ctrl-C to stop the web server, the workers$( [ -n "$STARTED_PG" ] && echo " and the local database").

TXT
wait -n "${PIDS[@]}"
die "a demo process stopped unexpectedly; see $LOCAL/logs/"
