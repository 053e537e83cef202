"""The soak's load, over HTTP only, as providers, banks and staff would send it: signed webhooks
at a steady rate (redeliveries, bad signatures, events out of order, provider retries of what got
no answer), bank files uploaded through the import page (some twice), and staff decisions through
the API with two finance users' tokens (accept, edit, reject, undo, double clicks).

Every request is timed and every unexpected answer counted by kind in a ``Recorder``.
"""

from __future__ import annotations

import copy
import heapq
import itertools
import json
import random
import re
import threading
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from decimal import Decimal

import httpx

STRIPE_PATH, ANET_PATH = "/webhooks/stripe/", "/webhooks/authorizenet/"


class Recorder:
    """Latencies (ms) by kind, errors by kind, and counts; shared by every thread."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.latencies: dict[str, list[float]] = {}
        self.slow: list[tuple[float, str, float]] = []  # (seconds into the run, kind, ms)
        self.errors: Counter = Counter()
        self.error_times: list[tuple[float, str]] = []
        self.counts: Counter = Counter()
        self.started = time.monotonic()

    def timed(self, kind: str, started: float) -> None:
        ms = (time.perf_counter() - started) * 1000
        with self.lock:
            self.latencies.setdefault(kind, []).append(ms)
            if ms > 1000:
                self.slow.append((round(time.monotonic() - self.started, 1), kind, round(ms)))

    def error(self, kind: str) -> None:
        with self.lock:
            self.errors[kind] += 1
            self.error_times.append((time.monotonic() - self.started, kind))

    def by_window(self, faults: list[dict], *, after: float = 15.0) -> dict[str, Counter]:
        """Errors within ``after`` seconds of a fault (or during an outage), and the rest."""
        windows = []
        for fault in faults:
            start = fault["at_s"]
            windows.append((start - 1, start + max(after, fault.get("seconds", 0) + after)))
        split: dict[str, Counter] = {"near_a_fault": Counter(), "elsewhere": Counter()}
        for at, kind in self.error_times:
            near = any(lo <= at <= hi for lo, hi in windows)
            split["near_a_fault" if near else "elsewhere"][kind] += 1
        return split

    def count(self, kind: str, n: int = 1) -> None:
        with self.lock:
            self.counts[kind] += n

    @staticmethod
    def percentile(values: list[float], q: float) -> float | None:
        if not values:
            return None
        ordered = sorted(values)
        return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))], 1)


def error_kind(exc: Exception) -> str:
    return type(exc).__name__


def body_of(response: httpx.Response) -> dict:
    """The JSON body, or {} for an HTML error page (a 500, a proxy's 502)."""
    try:
        data = response.json()
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


# --- webhooks ---------------------------------------------------------------------------------


@dataclass
class Delivery:
    source: str  # stripe | authorizenet
    event_id: str
    doc: dict
    dedupe_key: str  # the payment's key at the provider (what the product dedupes on)
    kind: str  # new | redelivery | bad_signature | intent | refund | retry
    tries: int = 0


@dataclass
class WebhookLedger:
    """What the providers sent and what the desk accepted (answered 200)."""

    accepted: dict[tuple[str, str], Delivery] = field(default_factory=dict)
    unanswered: dict[tuple[str, str], Delivery] = field(default_factory=dict)
    payments: dict[tuple[str, str], str] = field(default_factory=dict)  # key -> first event
    refunds: set[tuple[str, str]] = field(default_factory=set)


def _anet_bytes(doc: dict) -> bytes:
    # Authorize.Net writes authAmount as a JSON number with two decimals.
    amount = doc["payload"]["authAmount"]
    text = json.dumps({**doc, "payload": {**doc["payload"], "authAmount": "__AMOUNT__"}})
    return text.replace('"__AMOUNT__"', f"{Decimal(str(amount)):.2f}").encode()


class Webhooks:
    """Deliveries at ``rate`` a second: 2 % with a bad signature, 10 % redeliveries of accepted
    events, Stripe's payment_intent events before or after their charge's, a few refunds (some
    before their payment), and a provider retry a few seconds after any delivery that got no
    answer (a 5xx, a reset), as providers retry."""

    def __init__(self, base_url, templates, *, stripe_secret, anet_key, recorder, rate, seed):
        from sandbox.payments.files import authorizenet_events, stripe_events

        self.stripe_events, self.anet_events = stripe_events, authorizenet_events
        self.base_url, self.templates = base_url, templates
        self.stripe_secret, self.anet_key = stripe_secret, anet_key
        self.recorder, self.rate = recorder, rate
        self.random = random.Random(seed)
        self.numbers = itertools.count(1)
        self.ledger = WebhookLedger()
        self.later: list[tuple[float, int, Delivery]] = []
        self.later_lock = threading.Lock()
        self.sequence = itertools.count()
        self.http = httpx.Client(
            base_url=base_url, timeout=30, limits=httpx.Limits(max_connections=64)
        )

    # building events from the sandbox's own payments
    def _fresh(self, source: str) -> Delivery:
        n = next(self.numbers)
        template = self.random.choice(self.templates)
        payment = replace(template, payment_id=f"soak-{n}-{template.payment_id}", channel=source)
        if source == "stripe":
            (signed,) = self.stripe_events([payment], self.stripe_secret)
            doc = json.loads(signed.body, parse_float=Decimal)
            obj = doc["data"]["object"]
            return Delivery("stripe", doc["id"], doc, obj["payment_intent"], "new")
        (signed,) = self.anet_events([payment], self.anet_key)
        doc = json.loads(signed.body, parse_float=Decimal)
        doc["notificationId"] = str(uuid.uuid4())
        doc["payload"]["id"] = str(70_000_000_000 + n)
        return Delivery("authorizenet", doc["notificationId"], doc, doc["payload"]["id"], "new")

    def _intent_of(self, charge: Delivery) -> Delivery:
        obj = charge.doc["data"]["object"]
        intent = {
            "id": obj["payment_intent"],
            "object": "payment_intent",
            "amount": obj["amount"],
            "amount_received": obj["amount"],
            "currency": obj.get("currency", "usd"),
            "created": obj.get("created"),
            "description": obj.get("description"),
            "metadata": obj.get("metadata") or {},
            "latest_charge": obj,
        }
        return self._related(charge, "_pi", "payment_intent.succeeded", intent, "intent")

    def _refund_of(self, charge: Delivery) -> Delivery:
        obj = copy.deepcopy(charge.doc["data"]["object"])
        obj.update(amount_refunded=obj["amount"], refunded=True)
        return self._related(charge, "_rf", "charge.refunded", obj, "refund")

    @staticmethod
    def _related(charge: Delivery, suffix: str, event_type: str, obj: dict, kind: str):
        """Another Stripe event about the same payment as ``charge``."""
        doc = {"id": charge.event_id + suffix, "object": "event", "type": event_type}
        doc["data"] = {"object": obj}
        return Delivery("stripe", doc["id"], doc, charge.dedupe_key, kind)

    def _signed(self, delivery: Delivery, *, bad: bool = False) -> tuple[str, bytes, dict]:
        from dues.intake import webhooks

        now = time.time()
        if delivery.source == "stripe":
            body = json.dumps(delivery.doc, default=str).encode()
            header = webhooks.stripe_sign(body, secret=self.stripe_secret, timestamp=int(now))
            name, path = "Stripe-Signature", STRIPE_PATH
        else:
            # a provider's retry carries a fresh eventDate (as sandbox deliver_webhooks --resign)
            delivery.doc["eventDate"] = datetime.fromtimestamp(now, tz=UTC).strftime(
                "%Y-%m-%dT%H:%M:%S.%f0Z"
            )
            body = _anet_bytes(delivery.doc)
            header = webhooks.anet_sign(body, key=self.anet_key)
            name, path = "X-ANET-Signature", ANET_PATH
        if bad:
            flip = "0" if header[-1] != "0" else "1"
            header = header[:-1] + flip
        return path, body, {"Content-Type": "application/json", name: header}

    def _after(self, seconds: float, delivery: Delivery) -> None:
        with self.later_lock:
            heapq.heappush(self.later, (time.monotonic() + seconds, next(self.sequence), delivery))

    def _due(self) -> list[Delivery]:
        now, due = time.monotonic(), []
        with self.later_lock:
            while self.later and self.later[0][0] <= now:
                due.append(heapq.heappop(self.later)[2])
        return due

    def _send(self, delivery: Delivery, *, bad: bool = False) -> None:
        key = (delivery.source, delivery.event_id)
        path, body, headers = self._signed(delivery, bad=bad)
        started = time.perf_counter()
        try:
            response = self.http.post(path, content=body, headers=headers)
        except httpx.HTTPError as exc:
            self.recorder.error(f"webhook: {error_kind(exc)}")
            if not bad:
                self._retry(delivery)
            return
        self.recorder.timed("intake", started)
        status = response.status_code
        if bad:
            if status == 400:
                self.recorder.count("webhooks_bad_signature_refused")
            else:
                self.recorder.error(f"webhook: bad signature answered {status}")
            return
        if status == 200:
            with self.later_lock:
                self.ledger.accepted[key] = delivery
                self.ledger.unanswered.pop(key, None)
                if delivery.kind == "refund":
                    self.ledger.refunds.add((delivery.source, delivery.dedupe_key))
                self.ledger.payments.setdefault((delivery.source, delivery.dedupe_key), key[1])
            self.recorder.count(
                "webhooks_duplicate" if body_of(response).get("duplicate") else "webhooks_accepted"
            )
            return
        self.recorder.error(f"webhook: {status}")
        if status >= 500 or status == 429:
            self._retry(delivery)
        elif status == 400:
            self.recorder.error(f"webhook 400: {body_of(response).get('error', '')[:60]}")

    def _retry(self, delivery: Delivery) -> None:
        with self.later_lock:
            self.ledger.unanswered[(delivery.source, delivery.event_id)] = delivery
        delivery.tries += 1
        self._after(min(30, 2 * delivery.tries) + self.random.random(), delivery)

    def tick(self, pool: ThreadPoolExecutor) -> None:
        for delivery in self._due():
            pool.submit(self._send, delivery)
        roll = self.random.random()
        if roll < 0.02:
            pool.submit(
                self._send, self._fresh(self.random.choice(["stripe", "authorizenet"])), bad=True
            )
            self.recorder.count("webhooks_bad_signature_sent")
            return
        if roll < 0.12 and self.ledger.accepted:
            with self.later_lock:
                original = self.random.choice(list(self.ledger.accepted.values()))
            pool.submit(self._send, replace(original, kind="redelivery"))
            self.recorder.count("webhooks_redelivered")
            return
        delivery = self._fresh("stripe" if self.random.random() < 0.5 else "authorizenet")
        if delivery.source == "stripe":
            extra = self.random.random()
            if extra < 0.05:  # the intent's event first, the charge's a moment later
                pool.submit(self._send, self._intent_of(delivery))
                self._after(1 + 2 * self.random.random(), delivery)
                return
            if extra < 0.10:  # the intent's event after the charge's
                self._after(1 + 2 * self.random.random(), self._intent_of(delivery))
            elif extra < 0.11:  # refunded a few seconds after it was paid
                self._after(3 + 3 * self.random.random(), self._refund_of(delivery))
            elif extra < 0.115:  # the refund's event arrives before the payment's
                pool.submit(self._send, self._refund_of(delivery))
                self._after(3, delivery)
                return
        pool.submit(self._send, delivery)

    def run(self, until: float, stop: threading.Event) -> None:
        interval = 1.0 / self.rate
        with ThreadPoolExecutor(max_workers=32) as pool:
            next_at = time.monotonic()
            while not stop.is_set() and time.monotonic() < until:
                self.tick(pool)
                next_at += interval
                time.sleep(max(0.0, next_at - time.monotonic()))

    def retry_unanswered(self, until: float) -> None:
        """After the load: keep retrying what got no answer, as the providers would."""
        with ThreadPoolExecutor(max_workers=8) as pool:
            while time.monotonic() < until:
                with self.later_lock:
                    waiting = bool(self.later) or bool(self.ledger.unanswered)
                if not waiting:
                    return
                for delivery in self._due():
                    pool.submit(self._send, delivery)
                time.sleep(0.2)


# --- bank files through the import page -------------------------------------------------------


class Imports:
    """Every ``every`` seconds a bank file of fresh lines (CSV or BAI2) uploaded by one finance
    user through the page, as a person would; about a third are a file sent before, again."""

    def __init__(self, base_url, templates, *, username, password, recorder, every, seed):
        self.base_url, self.templates = base_url, templates
        self.username, self.password = username, password
        self.recorder, self.every = recorder, every
        self.random = random.Random(seed)
        self.numbers = itertools.count(1)
        self.sent: list[tuple[str, bytes]] = []
        self.uploads: list[dict] = []  # {"name", "import", "repeat"}
        self.http: httpx.Client | None = None

    def _login(self) -> httpx.Client:
        http = httpx.Client(base_url=self.base_url, timeout=60)
        http.get("/accounts/login/")
        http.post(
            "/accounts/login/",
            data={
                "username": self.username,
                "password": self.password,
                "csrfmiddlewaretoken": http.cookies.get("csrftoken", ""),
            },
        )
        if "sessionid" not in http.cookies:
            raise RuntimeError(f"{self.username} could not sign in")
        return http

    def _file(self) -> tuple[str, bytes]:
        from sandbox.payments.files import to_bai2, to_csv

        n = next(self.numbers)
        lines = [
            replace(
                self.random.choice(self.templates),
                payment_id=f"soak-file-{n}-{i}",
                reference=f"SOAK{n:04d}{i:02d}",
                received_on=date.today(),
            )
            for i in range(self.random.randint(5, 15))
        ]
        if n % 2:
            return f"soak-{n}.csv", to_csv(lines).encode()
        return f"soak-{n}.bai2", to_bai2(lines, as_of=date.today(), file_id=str(n)).encode()

    def upload_one(self) -> None:
        repeat = bool(self.sent) and self.random.random() < 0.33
        name, content = self.random.choice(self.sent) if repeat else self._file()
        started = time.perf_counter()
        try:
            self.http = self.http or self._login()
            self.http.get("/payments/import/")
            response = self.http.post(
                "/payments/import/",
                data={"csrfmiddlewaretoken": self.http.cookies.get("csrftoken", "")},
                files={"file": (name, content)},
            )
        except (httpx.HTTPError, RuntimeError) as exc:
            self.recorder.error(f"import: {error_kind(exc)}")
            self.http = None
            return
        self.recorder.timed("import", started)
        found = re.search(r"/payments/import/(\d+)/", response.headers.get("location", ""))
        if response.status_code != 302 or not found:
            self.recorder.error(f"import: {response.status_code}")
            if response.status_code in (302, 403):
                self.http = None  # signed out (the web server restarted): sign in again
            return
        if not repeat:
            self.sent.append((name, content))
        self.uploads.append({"name": name, "import": int(found.group(1)), "repeat": repeat})
        self.recorder.count("imports_repeated" if repeat else "imports_new")

    def run(self, until: float, stop: threading.Event) -> None:
        while not stop.is_set() and time.monotonic() < until:
            self.upload_one()
            stop.wait(self.every * (0.5 + self.random.random()))


# --- staff decisions through the API ------------------------------------------------------------


class Decisions:
    """Finance staff deciding payment applications through the API with their own tokens: the
    decider is never the proposer (four eyes), about 65 % accept, 10 % edit, 10 % reject, 10 %
    double clicks (the same accept twice at once), and some accepted payments undone in their
    hold. Membership staff accept outreach e-mails, which go out through the SMTP sink."""

    def __init__(self, base_url, tokens, *, recorder, rate, seed, kinds):
        self.base_url, self.tokens, self.recorder, self.rate = base_url, tokens, recorder, rate
        self.random = random.Random(seed)
        self.kinds = kinds  # {"payment": kind name, "outreach": [kind names]}
        self.http = httpx.Client(
            base_url=base_url, timeout=60, limits=httpx.Limits(max_connections=16)
        )
        self.lock = threading.Lock()
        self.accepted: dict[int, int] = {}  # item id -> payment id, applications decided
        self.undone: Counter = Counter()  # payment id -> undos answered 200
        self.outcomes: Counter = Counter()

    def _headers(self, user: str) -> dict:
        return {"Authorization": f"Token {self.tokens[user]}"}

    def _pending(self, user: str, kind: str) -> list[dict]:
        try:
            response = self.http.get(
                "/api/v1/review-items/",
                params={"kind": kind, "page_size": 100},
                headers=self._headers(user),
            )
        except httpx.HTTPError as exc:
            self.recorder.error(f"decision list: {error_kind(exc)}")
            return []
        if response.status_code != 200:
            self.recorder.error(f"decision list: {response.status_code}")
            return []
        return body_of(response).get("results", [])

    def _post(self, user: str, path: str, body: dict | None = None) -> httpx.Response | None:
        started = time.perf_counter()
        try:
            response = self.http.post(path, json=body or {}, headers=self._headers(user))
        except httpx.HTTPError as exc:
            self.recorder.error(f"decision: {error_kind(exc)}")
            return None
        self.recorder.timed("decision", started)
        if response.status_code >= 500:
            self.recorder.error(f"decision: {response.status_code}")
        return response

    def _decider(self, item: dict, staff: list[str]) -> str:
        others = [u for u in staff if u != item.get("proposed_by")]
        if item.get("needs_manager"):
            return "mia"
        return self.random.choice(others)

    def _decide(self, user: str, item: dict, body: dict) -> httpx.Response | None:
        response = self._post(user, f"/api/v1/review-items/{item['id']}/decide/", body)
        if response is None:
            return None
        code = body_of(response).get("code", "") if response.status_code != 200 else ""
        self.outcomes[f"{body['decision']} {response.status_code} {code}".strip()] += 1
        if response.status_code == 200 and body["decision"] in ("accept", "edit"):
            status = body_of(response).get("status")
            if status in ("approved", "edited") and item["kind"] == self.kinds["payment"]:
                with self.lock:
                    self.accepted[item["id"]] = int(item["payload"]["payment"])
        return response

    @staticmethod
    def _edited(payload: dict) -> dict | None:
        """Move 1.00 of the first invoice's amount to credit on account."""
        invoices = payload.get("invoices") or []
        if not invoices or Decimal(str(invoices[0]["amount"])) <= 1:
            return None
        first = {**invoices[0], "amount": str(Decimal(str(invoices[0]["amount"])) - 1)}
        credit = Decimal(str(payload.get("credit") or "0")) + 1
        return {**payload, "invoices": [first, *invoices[1:]], "credit": str(credit)}

    def _double_click(self, user: str, item: dict) -> None:
        barrier = threading.Barrier(2)
        answers: list = []

        def click():
            barrier.wait()
            answers.append(self._decide(user, item, {"decision": "accept"}))

        threads = [threading.Thread(target=click) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        statuses = sorted(a.status_code for a in answers if a is not None)
        if statuses.count(200) > 1:
            self.recorder.error("decision: double click decided twice")
        self.recorder.count("double_clicks")

    def _undo_some(self) -> None:
        with self.lock:
            if not self.accepted:
                return
            item_id = self.random.choice(list(self.accepted))
            payment_id = self.accepted.pop(item_id)
        response = self._post(
            self.random.choice(["fay", "finn"]), f"/api/v1/payments/{payment_id}/undo/"
        )
        if response is None:
            return
        self.outcomes[f"undo {response.status_code}"] += 1
        if response.status_code == 200:
            with self.lock:
                self.undone[payment_id] += 1

    def step(self) -> None:
        roll = self.random.random()
        if roll < 0.08:
            self._undo_some()
            return
        if roll < 0.18 and self.kinds["outreach"]:
            items = self._pending("maya", self.random.choice(self.kinds["outreach"]))
            if items:
                item = self.random.choice(items)
                self._decide(self._decider(item, ["maya", "mo"]), item, {"decision": "accept"})
            return
        items = self._pending(self.random.choice(["fay", "finn"]), self.kinds["payment"])
        if not items:
            return
        item = self.random.choice(items)
        user = self._decider(item, ["fay", "finn"])
        action = self.random.random()
        if action < 0.70:
            response = self._decide(user, item, {"decision": "accept"})
        elif action < 0.80:
            edited = self._edited(item["payload"])
            if edited is None:
                response = self._decide(user, item, {"decision": "accept"})
            else:
                response = self._decide(user, item, {"decision": "edit", "payload": edited})
                if response is not None and response.status_code == 403:
                    # the editor may not approve their own edit: the other one accepts it
                    other = "finn" if user == "fay" else "fay"
                    response = self._decide(other, item, {"decision": "accept"})
        elif action < 0.90:
            response = self._decide(user, item, {"decision": "reject", "reason": "duplicate"})
        else:
            self._double_click(user, item)

    def run(self, until: float, stop: threading.Event) -> None:
        interval = 1.0 / self.rate
        while not stop.is_set() and time.monotonic() < until:
            started = time.monotonic()
            self.step()
            stop.wait(max(0.0, interval - (time.monotonic() - started)))
