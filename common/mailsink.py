"""A local SMTP sink: accepts every message and keeps it in an mbox file and in memory.

The demo runs it (``manage.py mail_sink``) so that sent email can be opened without a real mail
server; the tests run it in-process so that email is tested over real SMTP.
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
    """Start with ``start()``; ``messages`` holds what arrived, ``mbox`` (if given) too."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0, mbox: Path | None = None):
        self.host, self.port = host, port or free_port()
        self.mbox_path = Path(mbox) if mbox else None
        self.messages: list[EmailMessage] = []
        self._lock = threading.Lock()
        self._controller: Any = None  # aiosmtpd Controller, imported when started

    def keep(self, message: EmailMessage, recipients: list[str]) -> None:
        with self._lock:
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
