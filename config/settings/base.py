"""Settings read from the environment; every variable is listed in .env.example and the README."""

from datetime import timedelta
from pathlib import Path

import environ
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()
# A local .env is a convenience for development; production passes real environment variables.
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=False)
SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    raise ImproperlyConfigured(
        "SECRET_KEY is not set. Set it to a long random string (see .env.example); "
        "./scripts/demo.sh and ./scripts/test.sh generate one for you."
    )
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
DEMO_MODE = env.bool("DEMO_MODE", default=False)

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.contrib.postgres",
    "django_htmx",
    "csp",
    "axes",
    "django_q",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "common",
    "imis_client",
    "reviews",
    "renewals",
    "dues",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "common.middleware.LoginRequiredMiddleware",
    "common.middleware.AuditActorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Last, as django-axes asks: it turns a locked-out sign-in into its lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "common.context_processors.shell",
            ],
        },
    },
]

# Postgres is the only database the product supports (JSONB, COPY, row locks, triggers).
DATABASES = {
    "default": env.db_url("DATABASE_URL", default="postgres://postgres@127.0.0.1:5432/duesdesk"),
}
if DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
    raise ImproperlyConfigured("DATABASE_URL must point at PostgreSQL (postgres://...).")
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DATABASES["default"].setdefault("OPTIONS", {})["connect_timeout"] = env.int(
    "DATABASE_CONNECT_TIMEOUT", default=5
)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"

# The audit chain's head is anchored daily outside the database, under a key it never sees.
AUDIT_ANCHOR_KEY = env.str("AUDIT_ANCHOR_KEY", default="")
AUDIT_ANCHOR_DIR = env.str("AUDIT_ANCHOR_DIR", default=str(BASE_DIR / "var" / "audit-anchors"))

# Sign-in throttling (django-axes): after AXES_FAILURE_LIMIT failures for one username from one
# address, that pair is locked out for AXES_COOLOFF_MINUTES; a success resets the count. Locked
# attempts are refused before the password is checked, so they cost no hashing and no audit row.
AUTHENTICATION_BACKENDS = [
    "common.auth.LockoutBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_ENABLED = env.bool("AXES_ENABLED", default=True)
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_IPWARE_PROXY_COUNT = env.int("AXES_PROXY_COUNT", default=0)
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-us"
# The association's local time zone: iMIS sends dates without an offset in site-local time.
TIME_ZONE = env.str("TIME_ZONE", default="America/New_York")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": env.str(
            "STATICFILES_BACKEND",
            default="whitenoise.storage.CompressedManifestStaticFilesStorage",
        )
    },
}

# Security: safe by default; the HTTPS switches are on for production, off for a local demo.
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=True)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=True)
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=8 * 3600)
CSRF_COOKIE_HTTPONLY = False  # htmx reads the token from the cookie-free meta tag, not this.
# On by default: production serves HTTPS only. Behind a proxy that terminates TLS and already
# redirects http, SECURE_SSL_REDIRECT may be turned off (with USE_X_FORWARDED_PROTO on); the demo
# and the tests, on plain http at 127.0.0.1, turn both off.
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=True)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if env.bool("USE_X_FORWARDED_PROTO", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# A strict policy (django-csp): scripts and styles only from our own static files, so markup
# that reaches a page (a payment memo, an iMIS free-text field) cannot run or restyle anything.
# Behaviour lives in static/js (data-autosubmit, data-confirm), styles in static/css; Chart.js
# and htmx set styles through the CSSOM, which style-src does not govern.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "object-src": [NONE],
        "base-uri": [SELF],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
    }
}

EMAIL_CONFIG = env.email_url("EMAIL_URL", default="smtp://127.0.0.1:1025")
vars().update(EMAIL_CONFIG)
# Seconds an SMTP hand-off may take; reviews.communications.SEND_LEASE assumes it ends well
# within ten minutes (Django's default is no timeout at all).
EMAIL_TIMEOUT = 60
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Membership <membership@example.org>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# SMS to members: a class with send(to, body, key); the default appends to a local file (demo).
SMS_BACKEND = env.str("SMS_BACKEND", default="reviews.communications.FileSmsBackend")
SMS_FILE_PATH = env.str("SMS_FILE_PATH", default=str(BASE_DIR / "var" / "sms.jsonl"))

# Background work: django-q2 on the ORM broker, so an enqueue commits or rolls back with the
# business rows. retry must exceed timeout or a slow task runs twice at once.
Q_TIMEOUT = env.int("Q_TIMEOUT", default=1800)
# A task whose worker died (killed, out of memory) is handed out again this long after timeout.
Q_RETRY_MARGIN = max(1, env.int("Q_RETRY_MARGIN", default=300))
Q_CLUSTER = {
    "name": "duesdesk",
    "orm": "default",
    "workers": env.int("Q_WORKERS", default=2),
    "timeout": Q_TIMEOUT,
    "retry": Q_TIMEOUT + Q_RETRY_MARGIN,
    "max_attempts": 3,
    "ack_failures": True,
    "save_limit": 2000,
    "catch_up": False,
    "poll": 0.5,
    "label": "Background tasks",
}
WORKER_HEARTBEAT_STALE_SECONDS = env.int("WORKER_HEARTBEAT_STALE_SECONDS", default=180)

REST_FRAMEWORK = {
    # Token first: its WWW-Authenticate header makes an anonymous call a 401, not a 403.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["common.api.permissions.RolePermission"],
    "DEFAULT_PAGINATION_CLASS": "common.api.pagination.IdCursorPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "COERCE_DECIMAL_TO_STRING": True,
    # Per signed-in user and per anonymous address; answers 429 with Retry-After when exceeded.
    "DEFAULT_THROTTLE_CLASSES": [
        "rest_framework.throttling.UserRateThrottle",
        "rest_framework.throttling.AnonRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "user": env.str("API_THROTTLE_USER", default="600/min"),
        "anon": env.str("API_THROTTLE_ANON", default="30/min"),
    },
}
if DEBUG:
    REST_FRAMEWORK["DEFAULT_RENDERER_CLASSES"].append(
        "rest_framework.renderers.BrowsableAPIRenderer"
    )
SPECTACULAR_SETTINGS = {
    "TITLE": "Dues desk API",
    "DESCRIPTION": "Read members, jobs and review items; decide review items.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    "ENUM_NAME_OVERRIDES": {
        "JobStatusEnum": "common.models.JobRun.Status",
        "ContactStatusEnum": "imis_client.models.mirror.ImisParty.Status",
        "SyncRunStatusEnum": "imis_client.models.sync.SyncRun.Status",
        "RejectReasonEnum": "reviews.models.ReviewItem.RejectReason",
        "ReviewStatusEnum": "reviews.models.ReviewItem.Status",
        "ReviewQueueEnum": "reviews.models.Queue",
        "InquiryStatusEnum": "dues.models.inquiries.Inquiry.Status",
        "InquiryChannelEnum": "dues.models.inquiries.Inquiry.Channel",
        "InquiryEntryChannelEnum": "dues.inquiries.api.ENTRY_CHANNELS",
    },
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django_q": {"level": env.str("Q_LOG_LEVEL", default="WARNING")},
        "httpx": {"level": "WARNING"},
    },
}

# iMIS connection (CONTRACT.md). The password comes only from the environment.
IMIS_BASE_URL = env.str("IMIS_BASE_URL", default="http://127.0.0.1:8765/imis")
IMIS_USERNAME = env.str("IMIS_USERNAME", default="sandbox")
IMIS_PASSWORD = env.str("IMIS_PASSWORD", default="")
IMIS_PAGE_SIZE = env.int("IMIS_PAGE_SIZE", default=500)
IMIS_TIMEOUT_S = env.float("IMIS_TIMEOUT_S", default=30.0)
IMIS_MAX_RPS = env.float("IMIS_MAX_RPS", default=0) or None
IMIS_CONCURRENCY = env.int("IMIS_CONCURRENCY", default=3)
IMIS_SYNC_PROCESSES = env.int("IMIS_SYNC_PROCESSES", default=2)
IMIS_TIME_ZONE = env.str("IMIS_TIME_ZONE", default=TIME_ZONE)
IMIS_RELATIONSHIP_ENTITY = env.str("IMIS_RELATIONSHIP_ENTITY", default="Name_RelationshipManager")
# The party AdditionalAttributes property holding former surnames (a maiden name): iMIS has no
# standard field for it, sites keep it in a custom one. Empty: none is read.
IMIS_FORMER_NAME_ATTRIBUTE = env.str("IMIS_FORMER_NAME_ATTRIBUTE", default="FormerLastName")
IMIS_SYNC_EVERY_MINUTES = env.int("IMIS_SYNC_EVERY_MINUTES", default=15)
IMIS_SYNC_OVERLAP_MINUTES = env.int("IMIS_SYNC_OVERLAP_MINUTES", default=10)
IMIS_FULL_REREAD_HOURS = env.int("IMIS_FULL_REREAD_HOURS", default=24)
IMIS_OPEN_INVOICE_SWEEP_MINUTES = env.int("IMIS_OPEN_INVOICE_SWEEP_MINUTES", default=60)
IMIS_ATTENDANCE_DAYS = env.int("IMIS_ATTENDANCE_DAYS", default=30)
IMIS_ACTIVITY_TYPE_EMAIL = env.str("IMIS_ACTIVITY_TYPE_EMAIL", default="AI_EMAIL")
IMIS_ACTIVITY_TYPE_SMS = env.str("IMIS_ACTIVITY_TYPE_SMS", default="AI_SMS")
IMIS_OUTBOX_MAX_ATTEMPTS = env.int("IMIS_OUTBOX_MAX_ATTEMPTS", default=8)

# Minutes a person takes to handle one proposal by hand: the basis of "staff time saved".
REVIEW_BASELINE_MINUTES = env.int("REVIEW_BASELINE_MINUTES", default=6)

# Payments and cash application (dues app). Webhook secrets come only from the environment.
STRIPE_WEBHOOK_SECRET = env.str("STRIPE_WEBHOOK_SECRET", default="")
# Twilio's auth token: inbound SMS (STOP) are refused with 403 without it or a valid signature.
TWILIO_AUTH_TOKEN = env.str("TWILIO_AUTH_TOKEN", default="")
# The public URL Twilio posts to, as Twilio signs it (empty: the request's own URL).
TWILIO_WEBHOOK_URL = env.str("TWILIO_WEBHOOK_URL", default="")
AUTHORIZENET_SIGNATURE_KEY = env.str("AUTHORIZENET_SIGNATURE_KEY", default="")
# Authorize.Net's API (getTransactionDetails: the payer its webhooks leave out); empty login or
# key: not asked. Credentials only from the environment.
AUTHORIZENET_API_LOGIN_ID = env.str("AUTHORIZENET_API_LOGIN_ID", default="")
AUTHORIZENET_TRANSACTION_KEY = env.str("AUTHORIZENET_TRANSACTION_KEY", default="")
AUTHORIZENET_API_URL = env.str(
    "AUTHORIZENET_API_URL", default="https://api.authorize.net/xml/v1/request.api"
)
AUTHORIZENET_API_TIMEOUT_S = env.float("AUTHORIZENET_API_TIMEOUT_S", default=10)
# Seconds a webhook's signature timestamp (Stripe) or eventDate (Authorize.Net) stays acceptable.
DUES_WEBHOOK_TOLERANCE_SECONDS = env.int("DUES_WEBHOOK_TOLERANCE_SECONDS", default=300)
# Hours an applied payment waits, undoable, before it is posted to iMIS.
DUES_HOLD_HOURS = env.float("DUES_HOLD_HOURS", default=24)
# Who receives the daily hold summary (empty: nobody).
DUES_FINANCE_LEAD_EMAIL = env.str("DUES_FINANCE_LEAD_EMAIL", default="")
# Our payment methods → the site's iMIS PaymentMethodId.
DUES_IMIS_PAYMENT_METHODS = env.dict(
    "DUES_IMIS_PAYMENT_METHODS",
    default={
        "card": "CC",
        "ach": "ACH",
        "check": "CHECK",
        "wire": "WIRE",
        "cash": "CASH",
        "other": "CASH",
    },
)
# Confidence from which an unapplied payment flags its invoice as probably paid.
DUES_PENDING_FLAG_CONFIDENCE = env.float("DUES_PENDING_FLAG_CONFIDENCE", default=0.5)
# Collections (issue #17): an invoice counts as paid late when it is paid more than
# COLLECTIONS_LATE_DAYS after its due date, or is still unpaid COLLECTIONS_UNPAID_DAYS after it.
COLLECTIONS_LATE_DAYS = env.int("COLLECTIONS_LATE_DAYS", default=30)
COLLECTIONS_UNPAID_DAYS = env.int("COLLECTIONS_UNPAID_DAYS", default=60)
# Late-payment probability from which an invoice is high / medium risk (below: low).
COLLECTIONS_HIGH_RISK = env.float("COLLECTIONS_HIGH_RISK", default=0.50)
COLLECTIONS_MEDIUM_RISK = env.float("COLLECTIONS_MEDIUM_RISK", default=0.20)
# Days after the due date that an auto-pay invoice's dunning waits for the card charge and its
# settlement (a failed charge arrives as a card failure and is chased as one).
COLLECTIONS_AUTOPAY_GRACE_DAYS = env.int("COLLECTIONS_AUTOPAY_GRACE_DAYS", default=5)
# django-q2 logs under "django-q" (hyphen), not "django_q": without this every webhook's
# enqueue is logged at INFO.
LOGGING["loggers"]["django-q"] = LOGGING["loggers"]["django_q"]

# Drafting (reviews app, issue #5). With LLM_MODEL empty, drafts come from the approved
# templates alone. LLM_MODEL is "provider:model" for langchain's init_chat_model (e.g.
# "openai:gpt-4o-mini"); LLM_BASE_URL and LLM_API_KEY point it at any OpenAI-compatible server
# (Ollama, vLLM). LLM_STRUCTURED_OUTPUT: json_schema, function_calling or json_mode.
LLM_MODEL = env.str("LLM_MODEL", default="")
LLM_BASE_URL = env.str("LLM_BASE_URL", default="")
LLM_API_KEY = env.str("LLM_API_KEY", default="")
LLM_TIMEOUT_S = env.float("LLM_TIMEOUT_S", default=20.0)
LLM_MAX_RETRIES = env.int("LLM_MAX_RETRIES", default=1)
LLM_STRUCTURED_OUTPUT = env.str("LLM_STRUCTURED_OUTPUT", default="json_schema")
DRAFTING_ASSOCIATION_NAME = env.str(
    "DRAFTING_ASSOCIATION_NAME", default="Example Professional Association"
)
DRAFTING_PORTAL_URL = env.str("DRAFTING_PORTAL_URL", default="https://members.example.org/renew")
DRAFTING_CONTACT_EMAIL = env.str("DRAFTING_CONTACT_EMAIL", default="membership@example.org")

# --- member-facing links (common.links): pages a member opens from an e-mail without signing in ---
# Where members reach this server; the links in e-mails are built on it.
PUBLIC_BASE_URL = env.str("PUBLIC_BASE_URL", default="http://localhost:8000")
# Requests a minute one client address may make to member pages (per web process).
MEMBER_LINK_RATE_PER_MINUTE = env.int("MEMBER_LINK_RATE_PER_MINUTE", default=30)

# --- renewals: churn model, daily scoring, outreach and win-back (issue #6) ---
# Days after the paid-through date before an unpaid term counts as lapsed.
RENEWALS_GRACE_DAYS = env.int("RENEWALS_GRACE_DAYS", default=90)
# Members whose renewal falls within this many days are scored.
RENEWALS_HORIZON_DAYS = env.int("RENEWALS_HORIZON_DAYS", default=120)
# Lapse probability at or above which a member is High / Medium risk.
RENEWALS_HIGH_RISK = env.float("RENEWALS_HIGH_RISK", default=0.30)
RENEWALS_MEDIUM_RISK = env.float("RENEWALS_MEDIUM_RISK", default=0.12)
# Share of at-risk members kept as a hold-out group (standard notice only), fixed per term.
RENEWALS_HOLDOUT_SHARE = env.float("RENEWALS_HOLDOUT_SHARE", default=0.10)
# Discount offered to High-risk members (percent of dues); above the amount a manager approves.
RENEWALS_INCENTIVE_PERCENT = env.int("RENEWALS_INCENTIVE_PERCENT", default=10)
RENEWALS_INCENTIVE_THRESHOLD = env.str("RENEWALS_INCENTIVE_THRESHOLD", default="50.00")
# Members lapsed within this many days get a win-back proposal.
RENEWALS_WINBACK_DAYS = env.int("RENEWALS_WINBACK_DAYS", default=180)
# iMIS activity types read as engagement, and those that record dues payments.
_ENGAGEMENT = "WEBLOGIN,EMAIL_OPEN,EMAIL_CLICK,COMMUNITY,DOWNLOAD,MEETING,VOLUNTEER"
RENEWALS_ENGAGEMENT_TYPES = env.list("RENEWALS_ENGAGEMENT_TYPES", default=_ENGAGEMENT.split(","))
RENEWALS_PAYMENT_TYPES = env.list("RENEWALS_PAYMENT_TYPES", default=["DUES"])

# --- dues billing: the association's billing policy (issue #15, ../shared/billing-policy.md) ---
# Defaults of the policy; a manager overrides any of them on the Billing policy page (audited),
# and dues.billing.policy.current_policy() merges the two. Nothing in the code repeats them.
# Term model: anniversary (12 months from the begin date) or calendar (from the first of
# BILLING_TERM_START_MONTH; joiners prorated).
BILLING_TERM_MODEL = env.str("BILLING_TERM_MODEL", default="anniversary")
BILLING_TERM_START_MONTH = env.int("BILLING_TERM_START_MONTH", default=1)
# Multi-year terms: years:percent off the dues line, comma-separated.
BILLING_MULTI_YEAR_DISCOUNTS = env.str("BILLING_MULTI_YEAR_DISCOUNTS", default="2:5,3:10")
# Member types billed 0.00 (honorary, life, staff).
BILLING_COMPLIMENTARY_TYPES = env.list(
    "BILLING_COMPLIMENTARY_TYPES", default=["HON", "LIFE", "STAFF"]
)
# Organisational member types: they pay the organisational price, never an individual's.
BILLING_ORGANISATION_TYPES = env.list("BILLING_ORGANISATION_TYPES", default=["ORG"])
# The dues item of a member type when the item names none ({type}), and a chapter's item.
BILLING_DUES_ITEM = env.str("BILLING_DUES_ITEM", default="DUES/{type}")
BILLING_CHAPTER_ITEM = env.str("BILLING_CHAPTER_ITEM", default="CHAPT/{chapter}")
# Proration of part of a term: monthly, daily or none; in monthly mode a change within the
# first BILLING_PRORATION_FIRST_DAYS days of a monthly period counts that period.
BILLING_PRORATION = env.str("BILLING_PRORATION", default="monthly")
BILLING_PRORATION_FIRST_DAYS = env.int("BILLING_PRORATION_FIRST_DAYS", default=15)
# Cancellations: refundable within this many days of the term's begin date, less the fee.
BILLING_REFUND_WINDOW_DAYS = env.int("BILLING_REFUND_WINDOW_DAYS", default=90)
BILLING_CANCELLATION_FEE = env.str("BILLING_CANCELLATION_FEE", default="0.00")
# How each computed figure is rounded to the cent: half_up (the policy) or bankers.
BILLING_ROUNDING = env.str("BILLING_ROUNDING", default="half_up")
# Credit memos and debit adjustments above this amount need a manager's approval.
BILLING_MEMO_THRESHOLD = env.str("BILLING_MEMO_THRESHOLD", default="100.00")
# Month-end close: adjusting entries above this total need a manager; Stripe pays out charges
# this many days after they are made (its payout schedule).
CLOSE_ENTRY_THRESHOLD = env.str("CLOSE_ENTRY_THRESHOLD", default="500.00")
CLOSE_STRIPE_PAYOUT_DELAY_DAYS = env.int("CLOSE_STRIPE_PAYOUT_DELAY_DAYS", default=2)
# Invoices dated within this many days are checked (older billing is not re-opened).
BILLING_VALIDATION_DAYS = env.int("BILLING_VALIDATION_DAYS", default=120)
# iMIS InvoicePurpose values of dues invoices (an invoice with no dues line is one of these).
BILLING_DUES_PURPOSES = env.list(
    "BILLING_DUES_PURPOSES", default=["MembershipJoin", "MembershipRenewal", "MembershipChange"]
)
# Revenue recognition of deferred dues (month-end close): `accrual` defers an invoice's revenue
# when it is billed, `cash` when it is paid; recognised monthly by `months` (whole monthly
# periods of the term) or `days`.
REVENUE_ACCOUNTING = env.str("REVENUE_ACCOUNTING", default="accrual")
REVENUE_RECOGNITION = env.str("REVENUE_RECOGNITION", default="months")
# Recognition entries above this amount need a manager's approval.
REVENUE_ENTRY_THRESHOLD = env.str("REVENUE_ENTRY_THRESHOLD", default="10000.00")

# Member inquiries (dues.inquiries). The inbound-email webhook's HMAC-SHA256 key (empty: the
# webhook refuses everything), the classification confidence below which an inquiry goes to
# staff, the biggest policy document accepted, the working days in which staff reply, how long
# a member's account link lasts, and the Activity type of a logged question.
INQUIRY_WEBHOOK_SECRET = env.str("INQUIRY_WEBHOOK_SECRET", default="")
INQUIRY_CONFIDENCE_FLOOR = env.float("INQUIRY_CONFIDENCE_FLOOR", default=0.6)
INQUIRY_POLICY_MAX_BYTES = env.int("INQUIRY_POLICY_MAX_BYTES", default=2 * 1024 * 1024)
INQUIRY_REPLY_WORKING_DAYS = env.int("INQUIRY_REPLY_WORKING_DAYS", default=2)
INQUIRY_ACCOUNT_LINK_DAYS = env.int("INQUIRY_ACCOUNT_LINK_DAYS", default=30)
INQUIRY_ACTIVITY_TYPE = env.str("INQUIRY_ACTIVITY_TYPE", default="AI_INQUIRY")
INQUIRY_ASK_RATE = env.str("INQUIRY_ASK_RATE", default="10/h")
# Activity types that record a failed payment (a declined card, a returned debit); none: unread.
RENEWALS_PAYMENT_FAILURE_TYPES = env.list("RENEWALS_PAYMENT_FAILURE_TYPES", default=["PAYFAIL"])
# Activity types the late-payment model reads as payments, card failures and engagement
# (default: the renewal model's).
COLLECTIONS_PAYMENT_TYPES = env.list("COLLECTIONS_PAYMENT_TYPES", default=RENEWALS_PAYMENT_TYPES)
COLLECTIONS_FAILURE_TYPES = env.list(
    "COLLECTIONS_FAILURE_TYPES", default=RENEWALS_PAYMENT_FAILURE_TYPES
)
COLLECTIONS_ENGAGEMENT_TYPES = env.list(
    "COLLECTIONS_ENGAGEMENT_TYPES", default=RENEWALS_ENGAGEMENT_TYPES
)
