"""The golden set and the injection corpus (golden/*.json): cases put into the mirror for an
evaluation run (inside a transaction that is rolled back) and for the tests."""

import json
import re
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path

from django.utils import timezone

from imis_client import models as m

GOLDEN_DIR = Path(__file__).resolve().parent / "golden"
RELATIVE = re.compile(r"^today([+-]\d+)$")


def load(name: str) -> list[dict]:
    return json.loads((GOLDEN_DIR / name).read_text(encoding="utf-8"), parse_float=Decimal)


def golden_cases() -> list[dict]:
    return load("cases.json")


def injection_cases() -> list[dict]:
    return load("injections.json")


def day(value, today: date | None = None) -> date | None:
    """A date written as ISO or relative to today ("today-30")."""
    if value in (None, ""):
        return None
    today = today or timezone.localdate()
    match = RELATIVE.match(str(value))
    return today + timedelta(days=int(match.group(1))) if match else date.fromisoformat(value)


def _moment(value, today=None) -> datetime | None:
    when = day(value, today)
    return timezone.make_aware(datetime.combine(when, time(10))) if when else None


def _base(imis_id: str) -> dict:
    return {"imis_id": imis_id, "raw": {}, "raw_hash": 0, "synced_at": timezone.now()}


def install_member(member: dict, today: date | None = None) -> m.ImisParty:
    """A person in the mirror from a case's "member" block."""
    fields = dict(member)
    for key in ("join_date", "paid_thru"):
        fields[key] = day(fields.get(key), today)
    first, last = fields.get("first_name", ""), fields.get("last_name", "")
    fields.setdefault("name", f"{first} {last}".strip())
    fields.setdefault("is_member", True)
    fields.setdefault("status", "A")
    imis_id = fields.pop("imis_id")
    return m.ImisParty.objects.create(**_base(imis_id), **fields)


def _value(spec: dict, today):
    kind, raw = spec.get("type", "str"), spec["value"]
    if kind == "decimal":
        return Decimal(str(raw))
    if kind == "date":
        return day(raw, today)
    if kind == "int":
        return int(raw)
    return str(raw)


def extra_facts_of(case: dict, today: date | None = None) -> dict:
    return {
        name: (_value(spec, today), spec["source"])
        for name, spec in (case.get("extra_facts") or {}).items()
    }


def install_case(case: dict, today: date | None = None) -> tuple[str, str, dict]:
    """Put one case's member, subscription, invoice, events, groups and payments in the mirror;
    returns (member_id, invoice_id, extra_facts)."""
    party = install_member(case["member"], today)
    pid = party.imis_id
    if sub := case.get("subscription"):
        m.ImisSubscription.objects.create(
            **_base(f"{pid}-SUB"),
            party_id=pid,
            item_code=sub.get("item_code", "DUES"),
            item_name=sub.get("item_name", ""),
            is_member_component=True,
            billed_amount=Decimal(str(sub["billed_amount"])) if "billed_amount" in sub else None,
            bill_through=day(sub.get("bill_through"), today),
            paid_thru=party.paid_thru,
        )
    invoice_id = ""
    if inv := case.get("invoice"):
        invoice_id = f"{pid}-INV"
        m.ImisInvoice.objects.create(
            **_base(invoice_id),
            number=inv["number"],
            invoice_date=day(inv.get("invoice_date"), today),
            due_date=day(inv.get("due_date"), today),
            purpose="DUES",
            bill_to_id=pid,
            sold_to_id=pid,
            amount=Decimal(str(inv["amount"])),
            balance=Decimal(str(inv["balance"])),
            is_open=Decimal(str(inv["balance"])) > 0,
            description=inv.get("description", ""),
        )
    for i, event in enumerate(case.get("events_attended") or []):
        event_id = f"{pid}-EV{i}"
        m.ImisEvent.objects.create(
            **_base(event_id), name=event["name"], starts_at=_moment(event["date"], today)
        )
        m.ImisEventRegistration.objects.create(
            **_base(f"{pid}-REG{i}"),
            event_id=event_id,
            party_id=pid,
            attended=True,
            registered_on=_moment(event["date"], today),
        )
    for i in range(int(case.get("active_groups") or 0)):
        m.ImisGroupMember.objects.create(
            **_base(f"{pid}-GRP{i}"), group_id=f"COMM{i}", party_id=pid, is_active=True
        )
    for i, payment in enumerate(case.get("payments") or []):
        m.ImisActivity.objects.create(
            **_base(f"{pid}-PAY{i}"),
            party_id=pid,
            activity_type="DUES",
            transaction_date=_moment(payment["date"], today),
            amount=Decimal(str(payment["amount"])),
            description=payment.get("memo", ""),
        )
    return pid, invoice_id, extra_facts_of(case, today)
