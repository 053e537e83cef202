# Shared steps of scripts/demo.sh and scripts/test.sh (sourced, not run).
# shellcheck shell=bash

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
LOCAL="$ROOT/.local"
mkdir -p "$LOCAL"
export UV_PYTHON_DOWNLOADS=never
export UV_PROJECT_ENVIRONMENT="$ROOT/.venv"
STARTED_PG=""

say() { printf '\033[1m==> %s\033[0m\n' "$*"; }
die() { printf '\033[31mERROR: %s\033[0m\n' "$*" >&2; exit 1; }

# uv, installed into a project-local bootstrap environment when it is not on PATH.
ensure_uv() {
  if command -v uv >/dev/null 2>&1; then UV="$(command -v uv)"; return; fi
  UV="$LOCAL/bootstrap/bin/uv"
  if [ ! -x "$UV" ]; then
    local py
    py="$(command -v python3.11 || command -v python3 || true)"
    [ -n "$py" ] || die "Python 3.11 is required: install python3.11 (with venv) and run again."
    "$py" -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 11) else 1)' \
      || die "Python 3.11 is required; $py is $("$py" --version 2>&1). Install python3.11."
    say "Installing uv into .local/bootstrap"
    "$py" -m venv "$LOCAL/bootstrap" || die "python3 -m venv failed: install the python3-venv package."
    "$LOCAL/bootstrap/bin/pip" install --quiet --disable-pip-version-check uv \
      || die "could not install uv from PyPI"
  fi
}

uv_sync() {
  say "Installing Python dependencies (uv sync --frozen $*)"
  # Compiled once here: machines that set PYTHONDONTWRITEBYTECODE would otherwise compile every
  # module again in every process (seconds for each command, worker and test server).
  "$UV" sync --frozen --python 3.11 --compile-bytecode "$@" || die "uv sync failed"
  PY="$ROOT/.venv/bin/python"
}

port_answers() { (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; }

pg_bindir() {
  local d
  if command -v pg_config >/dev/null 2>&1; then
    d="$(pg_config --bindir 2>/dev/null)"
    [ -x "$d/initdb" ] && { echo "$d"; return; }
  fi
  if command -v initdb >/dev/null 2>&1 && command -v pg_ctl >/dev/null 2>&1; then
    dirname "$(readlink -f "$(command -v initdb)")"; return
  fi
  for d in $(ls -d /usr/lib/postgresql/*/bin /usr/local/pgsql/bin /opt/homebrew/opt/postgresql*/bin 2>/dev/null | sort -V -r); do
    [ -x "$d/initdb" ] && { echo "$d"; return; }
  done
}

# Run a PostgreSQL server binary: as the postgres user when this script runs as root,
# because initdb and postgres refuse to run as root.
as_pg() {
  if [ "$(id -u)" = "0" ]; then
    id postgres >/dev/null 2>&1 || die "running as root needs a 'postgres' OS user for the local database (useradd -r -m postgres)"
    local runuser
    runuser="$(command -v runuser || ls /usr/sbin/runuser /sbin/runuser 2>/dev/null | head -n1 || true)"
    # From /, which the postgres user can always enter (the checkout may be private).
    if [ -n "$runuser" ]; then
      (cd / && "$runuser" -u postgres -- "$@")
    else
      (cd / && su postgres -s /bin/sh -c "$(printf '%q ' "$@")")
    fi
  else
    "$@"
  fi
}

# DATABASE_URL when set; else a server on 127.0.0.1:5432; else a project-local cluster.
ensure_postgres() {
  local dbname="$1"
  if [ -n "${DATABASE_URL:-}" ]; then
    say "Using DATABASE_URL"
  elif port_answers 127.0.0.1 5432; then
    export DATABASE_URL="postgres://${PGUSER:-postgres}@127.0.0.1:5432/$dbname"
    say "Using the PostgreSQL server on 127.0.0.1:5432"
  else
    local bindir port="${LOCAL_PG_PORT:-54329}" data
    bindir="$(pg_bindir)"
    [ -n "$bindir" ] || die "No PostgreSQL server answers on 127.0.0.1:5432 and no PostgreSQL binaries were found.
Install the server (Debian/Ubuntu: sudo apt-get install postgresql; Fedora: sudo dnf install postgresql-server;
macOS: brew install postgresql@16), or set DATABASE_URL to an existing server, then run this again."
    data="$LOCAL/postgres"
    if [ "$(id -u)" = "0" ] && ! as_pg test -x "$LOCAL" 2>/dev/null; then
      # The checkout is not reachable by the postgres user (e.g. a private temp dir).
      data="/var/tmp/duesdesk-pg-$(printf '%s' "$ROOT" | cksum | cut -d' ' -f1)"
    fi
    if [ ! -s "$data/PG_VERSION" ]; then
      say "Creating a project-local PostgreSQL cluster in $data"
      mkdir -p "$data"
      [ "$(id -u)" = "0" ] && chown postgres "$data"
      chmod 700 "$data"
      as_pg "$bindir/initdb" -D "$data" -U postgres --auth=trust -E UTF8 --locale=C >"$LOCAL/initdb.log" 2>&1 \
        || die "initdb failed; see $LOCAL/initdb.log"
    fi
    if ! port_answers 127.0.0.1 "$port"; then
      say "Starting the project-local PostgreSQL on 127.0.0.1:$port"
      as_pg "$bindir/pg_ctl" -D "$data" -l "$data/server.log" -w -t 60 \
        -o "-p $port -c listen_addresses=127.0.0.1 -k $data" start >/dev/null \
        || die "PostgreSQL did not start; see $data/server.log"
      STARTED_PG="$bindir/pg_ctl -D $data"
    fi
    export DATABASE_URL="postgres://postgres@127.0.0.1:$port/$dbname"
  fi
  "$PY" "$ROOT/scripts/dbtool.py" "$DATABASE_URL" || exit 1
}

# TERM, then KILL after a deadline: django-q2's cluster can hang in its own shutdown handler.
stop_processes() {
  local pid deadline
  [ "$#" -gt 0 ] || return 0
  for pid in "$@"; do kill -TERM "$pid" 2>/dev/null || true; done
  deadline=$(( $(date +%s) + 15 ))
  for pid in "$@"; do
    while kill -0 "$pid" 2>/dev/null && [ "$(date +%s)" -lt "$deadline" ]; do sleep 0.2; done
    if kill -0 "$pid" 2>/dev/null; then
      pkill -KILL -P "$pid" 2>/dev/null || true
      kill -KILL "$pid" 2>/dev/null || true
    fi
  done
  wait "$@" 2>/dev/null || true
}

stop_started_postgres() {
  if [ -n "$STARTED_PG" ]; then
    say "Stopping the project-local PostgreSQL" 2>/dev/null || true
    # shellcheck disable=SC2086
    as_pg $STARTED_PG -m fast stop >/dev/null 2>&1 || true
    STARTED_PG=""
  fi
}

# A stable secret for this checkout, so demo sessions survive restarts.
ensure_secret_key() {
  if [ -z "${SECRET_KEY:-}" ]; then
    [ -s "$LOCAL/secret_key" ] || "$PY" -c 'import secrets; print(secrets.token_urlsafe(50))' >"$LOCAL/secret_key"
    SECRET_KEY="$(cat "$LOCAL/secret_key")"
    export SECRET_KEY
  fi
}

# The web server and the workers run as their own database role (manage.py db_app_role): the
# owner in DATABASE_URL migrates; the app role may only read and append to the audit trail.
# Sets DATABASE_URL to the app role's URL; keeps the owner's where no role can be created.
use_app_role() {
  local role="${DATABASE_APP_ROLE:-duesdesk_app}"
  if [ -z "${DATABASE_APP_PASSWORD:-}" ]; then
    [ -s "$LOCAL/app_role_password" ] || "$PY" -c 'import secrets; print(secrets.token_urlsafe(24))' >"$LOCAL/app_role_password"
    DATABASE_APP_PASSWORD="$(cat "$LOCAL/app_role_password")"
  fi
  export DATABASE_APP_ROLE="$role" DATABASE_APP_PASSWORD
  if "$PY" manage.py db_app_role >"$LOCAL/logs/app_role.json" 2>"$LOCAL/logs/app_role.log"; then
    DATABASE_OWNER_URL="$DATABASE_URL"
    DATABASE_URL="$("$PY" -c 'import sys, urllib.parse as u; p = u.urlparse(sys.argv[1]); host = p.hostname + (":%d" % p.port if p.port else ""); print(p._replace(netloc="%s:%s@%s" % (u.quote(sys.argv[2]), u.quote(sys.argv[3]), host)).geturl())' "$DATABASE_URL" "$role" "$DATABASE_APP_PASSWORD")"
    export DATABASE_OWNER_URL DATABASE_URL
    say "The web server and workers run as the database role $role (audit trail insert-only)"
  else
    say "Could not set up the database role $role (see .local/logs/app_role.log); running as the owner"
  fi
}

# WeasyPrint (the board pack's PDF) needs Pango, HarfBuzz, libffi and fonts from the distribution;
# poppler-utils' pdftoppm turns the PDF's pages into images for the tests to look at.
WEASYPRINT_PACKAGES="libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz0b libffi8 fonts-dejavu-core poppler-utils"

ensure_pdf_libraries() {
  local missing="" pkg
  for pkg in $WEASYPRINT_PACKAGES; do
    dpkg -s "$pkg" >/dev/null 2>&1 || missing="$missing $pkg"
  done
  [ -n "$missing" ] || return 0
  say "Installing the PDF libraries from the distribution's packages:$missing"
  local sudo=""
  [ "$(id -u)" = "0" ] || sudo="sudo"
  if command -v apt-get >/dev/null 2>&1; then
    # shellcheck disable=SC2086  (a list of package names)
    $sudo apt-get update -qq && $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing >/dev/null \
      || die "could not install$missing with apt-get; the board pack's PDF needs them"
  else
    die "the board pack's PDF needs$missing (Pango, HarfBuzz, libffi, fonts, poppler-utils); install them"
  fi
}

ensure_chromium() {
  if [ -x /usr/bin/chromium ]; then return; fi
  say "Installing Chromium from the distribution's packages (for the browser tests)"
  local sudo=""
  [ "$(id -u)" = "0" ] || sudo="sudo"
  if command -v apt-get >/dev/null 2>&1; then
    $sudo apt-get update -qq && $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core >/dev/null \
      || die "could not install chromium with apt-get; install it so that /usr/bin/chromium exists"
  else
    die "the browser tests need Chromium at /usr/bin/chromium; install your distribution's chromium package"
  fi
}
