#!/usr/bin/env bash
# Install everything, provide PostgreSQL and Chromium, then run lint, checks and the whole suite.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
trap stop_started_postgres EXIT

# --fast: the day-to-day lane. No browser and no worker-cluster tests, run in parallel
# (pytest-xdist, one test database per process). The full run, without it, is what CI runs.
FAST=""
if [ "${1:-}" = "--fast" ]; then FAST=1; shift; fi

started=$(date +%s)
ensure_uv
uv_sync
ensure_postgres "duesdesk"
[ -n "$FAST" ] || ensure_chromium
ensure_pdf_libraries
export DJANGO_SETTINGS_MODULE=config.settings.test

say "ruff check"
"$ROOT/.venv/bin/ruff" check .
say "ruff format --check"
"$ROOT/.venv/bin/ruff" format --check .
say "mypy"
"$ROOT/.venv/bin/mypy"
say "manage.py check"
"$PY" manage.py check --fail-level WARNING
say "makemigrations --check"
"$PY" manage.py makemigrations --check --dry-run
say "pytest"
if [ -n "$FAST" ]; then
  "$PY" -m pytest -m "not browser and not worker and not slow" -n "${TEST_PROCESSES:-auto}" "$@"
else
  "$PY" -m pytest "$@"
fi
say "All checks passed in $(( $(date +%s) - started )) s"
