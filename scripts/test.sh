#!/usr/bin/env bash
# Install everything, provide PostgreSQL and Chromium, then run lint, checks and the whole suite.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
trap stop_started_postgres EXIT

# --fast: the day-to-day lane. No browser, worker-cluster or soak tests. The full run, without
# it, is what CI runs. Both run in parallel (pytest-xdist, one test database per process; the
# slow soak starts first and the other process steals the rest of its queue). TEST_PROCESSES
# sets how many (default: one per core; 1 runs everything in this process, in order).
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
PARALLEL=(-n "${TEST_PROCESSES:-auto}" --dist worksteal)
[ "${TEST_PROCESSES:-}" != "1" ] || PARALLEL=()
if [ -n "$FAST" ]; then
  "$PY" -m pytest -m "not browser and not worker and not slow" "${PARALLEL[@]}" "$@"
else
  "$PY" -m pytest "${PARALLEL[@]}" "$@"
fi
say "All checks passed in $(( $(date +%s) - started )) s"
