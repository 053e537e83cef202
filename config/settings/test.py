"""Settings for the test suite: base, fast hashing, a local email outbox and the sandbox app."""

import os

os.environ.setdefault("SECRET_KEY", "test-only-secret-key-not-for-production-0123456789abcdef")
os.environ.setdefault("DEBUG", "false")
os.environ.setdefault("SESSION_COOKIE_SECURE", "false")
os.environ.setdefault("CSRF_COOKIE_SECURE", "false")
os.environ.setdefault("SECURE_SSL_REDIRECT", "false")
os.environ.setdefault("SECURE_HSTS_SECONDS", "0")
os.environ.setdefault(
    "STATICFILES_BACKEND", "django.contrib.staticfiles.storage.StaticFilesStorage"
)
# Playwright's sync API runs an event loop in the test thread; Django's ORM refuses that
# unless told the access is deliberate.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

from .base import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# Email stays in memory, except in a worker that a test points at its SMTP sink.
if os.environ.get("TEST_EMAIL_URL"):
    vars().update(env.email_url("TEST_EMAIL_URL"))  # noqa: F405
else:
    EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
ALLOWED_HOSTS = ["*"]

# The sandbox (a synthetic iMIS site and its payments) is test and demo tooling, not product.
INSTALLED_APPS = [*INSTALLED_APPS, "sandbox", "tests.support"]  # noqa: F405
# Workers spawned by the tests poll fast so that job tests finish quickly.
Q_CLUSTER = {**Q_CLUSTER, "workers": 1, "poll": 0.1}  # noqa: F405
# Static files come from the finders in tests; no collectstatic run is needed.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
