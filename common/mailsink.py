"""A local SMTP sink: accepts every message and keeps it in an mbox file and in memory.

The demo runs it (``manage.py mail_sink``) so that sent email can be opened without a real mail
server; the tests run it in-process so that email is tested over real SMTP.

Like a mailbox that suppresses duplicates, it keeps one copy per Message-ID: a message handed
over again after the sender crashed (reviews.communications) shows once. ``deliveries`` still
lists every hand-off, so tests see a second one.
"""

import mailbox
import socket
import threading
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class _Handler:
    def __init__(self, sink: "MailSink"):
        self.sink = sink

    async def handle_DATA(self, server, session, envelope):  # aiosmtpd calls it by this name
        message = message_from_bytes(envelope.content, policy=policy.default)
        self.sink.keep(message, envelope.rcpt_tos)
        return "250 Message accepted for delivery"


class MailSink:
    """Start with ``start()``; ``messages`` holds what arrived (one per Message-ID), ``mbox`` (if
    given) too; ``deliveries`` holds every message handed over, duplicates included."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0, mbox: Path | None = None):
        self.host, self.port = host, port or free_port()
        self.mbox_path = Path(mbox) if mbox else None
        self.messages: list[EmailMessage] = []
        self.deliveries: list[EmailMessage] = []
        self._lock = threading.Lock()
        self._controller: Any = None  # aiosmtpd Controller, imported when started

    def keep(self, message: EmailMessage, recipients: list[str]) -> None:
        with self._lock:
            self.deliveries.append(message)
            message_id = message.get("Message-ID")
            if message_id and any(m.get("Message-ID") == message_id for m in self.messages):
                return
            self.messages.append(message)
            if self.mbox_path is not None:
                self.mbox_path.parent.mkdir(parents=True, exist_ok=True)
                box = mailbox.mbox(self.mbox_path)
                try:
                    box.lock()
                    box.add(message)
                    box.flush()
                finally:
                    box.unlock()
                    box.close()

    def start(self) -> "MailSink":
        try:
            from aiosmtpd.controller import Controller
        except ImportError as exc:  # the sink is a demo and test tool (dev dependencies)
            raise RuntimeError(
                "The mail sink needs aiosmtpd: run `uv sync` with dev deps."
            ) from exc
        self._controller = Controller(_Handler(self), hostname=self.host, port=self.port)
        self._controller.start()
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.messages if address in (m.get("To") or "")]
