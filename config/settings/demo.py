"""Settings for the demo (scripts/demo.sh): the base settings, demo mode on, and the sandbox app.

The sandbox (a synthetic iMIS site and its payments, with their management commands) is demo and
test tooling; production runs on the base settings, which do not install it.
"""

from .base import *  # noqa: F403
from .base import env

# DEMO_MODE allows create_demo_users (never in production); here it is on unless the environment
# (or .env) turns it off.
DEMO_MODE = env.bool("DEMO_MODE", default=True)

INSTALLED_APPS = [*INSTALLED_APPS, "sandbox"]  # noqa: F405
