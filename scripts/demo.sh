#!/usr/bin/env bash
# Install everything, prepare PostgreSQL, load the demo association, start the web server and
# the workers on http://127.0.0.1:8000. Ctrl-C stops everything this script started.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

PIDS=()
cleanup() {
  trap - INT TERM EXIT
  # Stop first, print after: the terminal (or a pipe) may already be gone on Ctrl-C.
  trap '' PIPE
  stop_processes "${PIDS[@]}"
  stop_started_postgres
  say "Stopped everything this script started" 2>/dev/null || true
}
trap cleanup INT TERM EXIT

ensure_uv
uv_sync --no-dev --inexact
ensure_postgres "duesdesk"
ensure_secret_key
# The demo settings: the base settings plus the sandbox app (the synthetic iMIS site, its
# payments and their commands); the web server and the workers started below use them too.
export DJANGO_SETTINGS_MODULE=config.settings.demo
export DEBUG="${DEBUG:-false}" DEMO_MODE=true
# The demo is served over plain http on this machine; production keeps secure cookies on.
export SESSION_COOKIE_SECURE=false CSRF_COOKIE_SECURE=false SECURE_SSL_REDIRECT=false SECURE_HSTS_SECONDS=0
export ALLOWED_HOSTS="${ALLOWED_HOSTS:-127.0.0.1,localhost}"
PORT="${PORT:-8000}"
mkdir -p "$LOCAL/logs"

say "Migrating the database"
"$PY" manage.py migrate --noinput >"$LOCAL/logs/migrate.log" || die "migrate failed; see $LOCAL/logs/migrate.log"
"$PY" manage.py collectstatic --noinput >/dev/null
"$PY" manage.py install_schedules >/dev/null
LOGINS="$("$PY" manage.py create_demo_users --format text)"
use_app_role

# The demo association: an iMIS-compatible sandbox with a synthetic association, synced before
# the dashboard opens so the first sign-in shows real members.
SANDBOX_PORT="${SANDBOX_PORT:-8765}"
DEMO_MEMBERS="${DEMO_MEMBERS:-5000}"
export IMIS_BASE_URL="${IMIS_BASE_URL:-http://127.0.0.1:$SANDBOX_PORT/imis}"
export IMIS_USERNAME="${IMIS_USERNAME:-sandbox}" IMIS_PASSWORD="${IMIS_PASSWORD:-sandbox}"
if port_answers 127.0.0.1 "$SANDBOX_PORT"; then
  die "port $SANDBOX_PORT is taken; stop what uses it or set SANDBOX_PORT"
fi
say "Starting the iMIS sandbox with $DEMO_MEMBERS members (log: .local/logs/sandbox.log)"
# Billing (#15): item prices as ItemPrice rows, chapter and subscription lines, and a few invoices
# mis-billed in each way the billing checks look for (DEMO_BILLING_RATE of recent ones, at least two).
"$PY" manage.py imis_sandbox --members "$DEMO_MEMBERS" --seed 1 --port "$SANDBOX_PORT" \
  --username "$IMIS_USERNAME" --password "$IMIS_PASSWORD" --item-shape itemprice \
  --billing "${DEMO_BILLING_RATE:-0.002}" >"$LOCAL/logs/sandbox.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 1 120); do port_answers 127.0.0.1 "$SANDBOX_PORT" && break; sleep 0.5; done
port_answers 127.0.0.1 "$SANDBOX_PORT" || die "the sandbox did not start; see $LOCAL/logs/sandbox.log"
say "Syncing the demo association from the sandbox"
"$PY" manage.py imis_sync >"$LOCAL/logs/sync.json" 2>"$LOCAL/logs/sync.log" \
  || die "the sync failed; see $LOCAL/logs/sync.log"
"$PY" -c 'import json, sys; r = json.load(open(sys.argv[1])); print("    synced in %ss: " % r["seconds"] + ", ".join("%s %s" % (v["fetched"], k) for k, v in r.items() if isinstance(v, dict)))' "$LOCAL/logs/sync.json"

# --- Billing (issue #15): check the recent dues invoices against the billing policy and file a
# credit memo or debit adjustment for each mis-billed one, so the finance queue shows them.
say "Checking dues invoices against the billing policy (log: .local/logs/billing.log)"
"$PY" manage.py validate_invoices --propose >"$LOCAL/logs/billing.json" 2>"$LOCAL/logs/billing.log" \
  || die "the invoice checks failed; see $LOCAL/logs/billing.log"
"$PY" -c 'import json, sys; r = json.load(open(sys.argv[1])); print("    %s invoices checked, %s clean, %s flagged; %s memos waiting in the finance queue" % (r["checked"], r["clean"], r["flagged_total"], r["memos_filed"]))' "$LOCAL/logs/billing.json"

# --- Renewals (issue #6): train the churn model on the synced history and score the coming
# renewals, so that the first sign-in shows risk scores, outreach proposals and the dashboard.
say "Training the churn model and scoring renewals (log: .local/logs/renewals.log)"
"$PY" manage.py train_churn_model >"$LOCAL/logs/train.json" 2>"$LOCAL/logs/renewals.log" \
  || die "training the churn model failed; see $LOCAL/logs/renewals.log"
"$PY" -c 'import json, sys; r = json.load(open(sys.argv[1])); print("    model v%s: AUC %s on the latest closed cycle, baseline %s" % (r["model_version"], r["metrics"]["auc"], r["baseline"]["auc"]))' "$LOCAL/logs/train.json"
"$PY" manage.py score_renewals >"$LOCAL/logs/score.json" 2>>"$LOCAL/logs/renewals.log" \
  || die "scoring renewals failed; see $LOCAL/logs/renewals.log"
"$PY" -c 'import json, sys; r = json.load(open(sys.argv[1])); print("    scored %s members: %s high, %s medium risk" % (r["scored"], r["bands"]["high"], r["bands"]["medium"]))' "$LOCAL/logs/score.json"

# Email to members goes to a local SMTP sink that keeps every message in an mbox file, and SMS
# to a JSON-lines file: nothing leaves the machine, and both can be opened.
MAIL_PORT="${MAIL_PORT:-1025}"
if [ -z "${EMAIL_URL:-}" ]; then
  port_answers 127.0.0.1 "$MAIL_PORT" && die "port $MAIL_PORT is taken; stop what uses it or set MAIL_PORT"
  export EMAIL_URL="smtp://127.0.0.1:$MAIL_PORT"
  mkdir -p "$LOCAL/mail"
  export SMS_FILE_PATH="${SMS_FILE_PATH:-$LOCAL/mail/sms.jsonl}"
  say "Starting the local mail sink on port $MAIL_PORT (messages: .local/mail/demo.mbox)"
  "$PY" manage.py mail_sink --port "$MAIL_PORT" --mbox "$LOCAL/mail/demo.mbox" >"$LOCAL/logs/mail.log" 2>&1 &
  PIDS+=($!)
fi

# Drafting (#5): with no LLM_MODEL the demo drafts from the shipped templates; this checks the
# golden set and the injection corpus against the guardrails (nothing is kept).
say "Checking message drafting on the golden set (log: .local/logs/eval_drafts.json)"
"$PY" manage.py eval_drafts >"$LOCAL/logs/eval_drafts.json" 2>"$LOCAL/logs/eval_drafts.log" \
  || die "drafting let an injected instruction through; see $LOCAL/logs/eval_drafts.json"
"$PY" -c 'import json, sys; r = json.load(open(sys.argv[1])); print("    %s: %d cases, %d of %d seeded violations caught, %d injected violations unflagged" % (r["model"], r["golden_cases"], r["guardrails"]["violations_caught"], r["guardrails"]["violations_seeded"], r["injection"]["unflagged"]))' "$LOCAL/logs/eval_drafts.json"

# Payments (dues): demo webhook secrets, known to the web server, the workers and the feed below.
export STRIPE_WEBHOOK_SECRET="${STRIPE_WEBHOOK_SECRET:-whsec_demo_dues_desk}"
export AUTHORIZENET_SIGNATURE_KEY="${AUTHORIZENET_SIGNATURE_KEY:-DEMOSIGNATUREKEYDUESDESK}"

say "Starting the background workers (log: .local/logs/worker.log)"
"$PY" manage.py qcluster >"$LOCAL/logs/worker.log" 2>&1 &
PIDS+=($!)
say "Starting the web server (log: .local/logs/web.log)"
"$ROOT/.venv/bin/gunicorn" config.wsgi -b "127.0.0.1:$PORT" -w 2 --timeout 120 \
  --access-logfile "$LOCAL/logs/web.log" --error-logfile "$LOCAL/logs/web.log" &
PIDS+=($!)

for _ in $(seq 1 60); do port_answers 127.0.0.1 "$PORT" && break; sleep 0.5; done
port_answers 127.0.0.1 "$PORT" || die "the web server did not start; see $LOCAL/logs/web.log"

# --- Payments (dues): sandbox payments into the cash-application queue ----------------------
# The sandbox generator draws card, ACH, check and wire payments for the synced open invoices
# (with vague memos, initials, employers paying, partial and over payments, strangers); the bank
# files go through the import and the signed webhooks are POSTed to the site, as they would
# arrive. Then matching runs, so the queue is ready at first sign-in.
DEMO_PAYMENTS="${DEMO_PAYMENTS:-300}"
say "Feeding $DEMO_PAYMENTS sandbox payments into the cash-application queue"
"$PY" manage.py sandbox_payments --count "$DEMO_PAYMENTS" --seed 1 --dir "$LOCAL/payments" \
  --feed --match --base-url "http://127.0.0.1:$PORT" >"$LOCAL/logs/payments.json" \
  2>"$LOCAL/logs/payments.log" || die "feeding payments failed; see $LOCAL/logs/payments.log"
"$PY" -c 'import json, sys; r = json.load(open(sys.argv[1])); print("    " + ", ".join("%s %s" % (n, s.replace("_", " ")) for s, n in sorted(r["match"]["queue"].items())))' "$LOCAL/logs/payments.json"
# --- end of payments ---------------------------------------------------------------------------

# --- Dunning (issue #17): the day's run of the cadence over the open invoices: each due step is a
# review item with its drafted message (finance queue); invoices with a payment on its way, a
# billing finding or a plan are paused, with the reason on the invoice. Page: /dunning/.
say "Planning a day of dunning (log: .local/logs/dunning.log)"
# the sandbox's association lives on its own date: plan the day as of its latest invoice
"$PY" manage.py dunning_run --as-of-mirror >"$LOCAL/logs/dunning.json" 2>"$LOCAL/logs/dunning.log" \
  || die "the dunning run failed; see $LOCAL/logs/dunning.log"
"$PY" -c 'import json, sys; r = json.load(open(sys.argv[1])); print("    %s open invoices considered: %s steps filed (%s), %s paused" % (r["considered"], r["filed"], ", ".join("%s %s" % (n, k) for k, n in sorted(r["by_step"].items())) or "none", r["paused"]))' "$LOCAL/logs/dunning.json"

cat <<TXT

  Dues desk is running at http://127.0.0.1:$PORT/

  Sign in as any of these demo users (one per role):
$LOGINS

  Health: http://127.0.0.1:$PORT/healthz     API docs: http://127.0.0.1:$PORT/api/docs/
  Email sent to members: the Communications page, and .local/mail/demo.mbox (any mail reader).
  Press Ctrl-C to stop the web server, the workers$( [ -n "$STARTED_PG" ] && echo " and the local database").

TXT
wait -n "${PIDS[@]}"
die "a demo process stopped unexpectedly; see $LOCAL/logs/"
