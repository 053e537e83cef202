"""Run the local SMTP sink of the demo: every message sent lands in an mbox file."""

import signal
import threading
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand

from common.mailsink import MailSink


class Command(BaseCommand):
    help = "Accept all SMTP mail on a local port and keep it in an mbox file (demo only)."

    def add_arguments(self, parser):
        parser.add_argument("--port", type=int, default=1025)
        parser.add_argument("--mbox", default=str(settings.BASE_DIR / "var" / "mail.mbox"))

    def handle(self, *args, port: int, mbox: str, **options):
        sink = MailSink(port=port, mbox=Path(mbox)).start()
        self.stdout.write(f"Mail sink on 127.0.0.1:{port}, keeping messages in {mbox}")
        stop = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        try:
            stop.wait()
        except KeyboardInterrupt:
            pass
        finally:
            sink.stop()
