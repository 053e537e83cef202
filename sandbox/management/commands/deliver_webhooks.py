"""Deliver recorded provider webhooks (JSON lines of path, headers, body) to a running desk.

Demo and test tooling: the sandbox records signed Stripe and Authorize.Net events
(``sandbox.payments.files``) and this POSTs them as the provider would. A recording is signed
at its own moment, so the site refuses it once older than DUES_WEBHOOK_TOLERANCE_SECONDS;
--resign signs each again now with this site's secrets (Stripe: a new t=; Authorize.Net: a new
eventDate), as a provider's retry would be. Prints one JSON line of counts by HTTP status.
"""

import json
import re
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import httpx
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from dues.intake import webhooks

_EVENT_DATE = re.compile(rb'("eventDate"\s*:\s*")[^"]*(")')


def signed_now(path: str, headers: dict, body: bytes, *, now: float) -> tuple[dict, bytes]:
    headers = {
        k: v
        for k, v in headers.items()
        if k.lower() not in ("stripe-signature", "x-anet-signature")
    }
    if path.rstrip("/").endswith("stripe"):
        secret = settings.STRIPE_WEBHOOK_SECRET
        headers["Stripe-Signature"] = webhooks.stripe_sign(body, secret=secret, timestamp=int(now))
    elif path.rstrip("/").endswith("authorizenet"):
        stamp = datetime.fromtimestamp(now, tz=UTC).strftime("%Y-%m-%dT%H:%M:%S.%f0Z")
        body = _EVENT_DATE.sub(rb"\g<1>" + stamp.encode() + rb"\g<2>", body, count=1)
        headers["X-ANET-Signature"] = webhooks.anet_sign(
            body, key=settings.AUTHORIZENET_SIGNATURE_KEY
        )
    return headers, body


class Command(BaseCommand):
    help = "POST each recorded webhook in FILE (JSON lines: path, headers, body) to --base-url."

    def add_arguments(self, parser):
        parser.add_argument("file", help="webhooks.jsonl")
        parser.add_argument("--base-url", required=True, help="e.g. http://127.0.0.1:8000")
        parser.add_argument(
            "--resign",
            action="store_true",
            help="sign each delivery again now with STRIPE_WEBHOOK_SECRET / "
            "AUTHORIZENET_SIGNATURE_KEY",
        )

    def handle(self, *args, file: str, base_url: str, resign: bool, **options):
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"{file}: no such file.")
        statuses: Counter = Counter()
        with httpx.Client(base_url=base_url.rstrip("/"), timeout=30) as http:
            for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                if not line.strip():
                    continue
                try:
                    request = json.loads(line)
                    headers, body = request["headers"], request["body"].encode("utf-8")
                    if resign:
                        headers, body = signed_now(request["path"], headers, body, now=time.time())
                    response = http.post(request["path"], content=body, headers=headers)
                except (ValueError, KeyError) as exc:
                    raise CommandError(
                        f"{file} line {number}: not a recorded webhook ({exc})"
                    ) from exc
                except httpx.HTTPError as exc:
                    raise CommandError(f"{base_url} did not answer: {exc}") from exc
                statuses[str(response.status_code)] += 1
        self.stdout.write(json.dumps({"delivered": sum(statuses.values()), "status": statuses}))
