#!/usr/bin/env bash
# Install everything, provide PostgreSQL and Chromium, then run lint, checks and the whole suite.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
trap stop_started_postgres EXIT

started=$(date +%s)
ensure_uv
uv_sync
ensure_postgres "duesdesk"
ensure_chromium
export DJANGO_SETTINGS_MODULE=config.settings.test

say "ruff check"
"$ROOT/.venv/bin/ruff" check .
say "ruff format --check"
"$ROOT/.venv/bin/ruff" format --check .
say "manage.py check"
"$PY" manage.py check --fail-level WARNING
say "makemigrations --check"
"$PY" manage.py makemigrations --check --dry-run
say "pytest"
"$PY" -m pytest "$@"
say "All checks passed in $(( $(date +%s) - started )) s"
