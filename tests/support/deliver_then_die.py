"""Carry out one review item in a process that dies the moment the mail server has accepted its
message, before the message is marked sent: the crash the delivery recovery exists for.

    python -m tests.support.deliver_then_die <review item id>

The database and the mail server come from the environment (DATABASE_URL, TEST_EMAIL_URL).
"""

import os
import signal
import sys

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
django.setup()

from reviews import communications, services  # noqa: E402  (needs the apps loaded)

hand_over = communications._hand_over


def hand_over_then_die(comm):
    hand_over(comm)  # returns once the server has accepted the message
    os.kill(os.getpid(), signal.SIGKILL)


communications._hand_over = hand_over_then_die
services.review_item_execute(item_id=int(sys.argv[1]))
sys.exit("the process was meant to die while delivering; it did not")
