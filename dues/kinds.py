"""The payment-application review item: its payload type, how it is checked, and its effect.

A payment application is one ``PaymentApplication``. The item keeps ``to_payload()`` (JSON: the
payment id, the action, iMIS ids as text, amounts as strings) and whatever reads an item takes it
back with ``from_payload``, which also reads the flat text that items filed before it kept
(``invoices`` as "INVOICE=AMOUNT, ...", the payment id as text): those load as they are, and the
next write of the item stores the typed form.
"""

import re
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction

from common.errors import DomainError
from common.money import ZERO, format_money, to_money, typed_money
from dues.forms import PaymentApplicationForm
from imis_client.models import ImisInvoice, ImisParty
from reviews.kinds import ReviewKind

KIND = "dues.payment_application"
ACTIONS = ("apply", "credit", "not_ours")
ACTION_LABELS = {
    "apply": "Apply to invoices",
    "credit": "Keep as credit on account",
    "not_ours": "Not ours (refund it)",
}
_PAIR = re.compile(r"^\s*([^=\s:]+)\s*[=:]\s*\$?\s*([\d,]+(?:\.\d{1,2})?)\s*$")


def allocations_text(allocations) -> str:
    """ "10234=120.00, 10240=60.00": how summaries, memos and the audit trail name allocations."""
    return ", ".join(f"{invoice}={to_money(amount)}" for invoice, amount in allocations)


def parse_allocations(text: str) -> list[tuple[str, Decimal]]:
    """Allocations typed as text ("10234=120.00, 10240=60"), as the payment page takes them."""
    pairs = []
    for part in filter(None, (p.strip() for p in re.split(r"[,;\n]+", str(text or "")))):
        match = _PAIR.match(part)
        if not match:
            raise DomainError(
                f"“{part}” is not INVOICE=AMOUNT (for example 10234=120.00).", code="invalid"
            )
        pairs.append((match.group(1), to_money(match.group(2).replace(",", ""))))
    return pairs


def _amount(value, what: str) -> Decimal:
    try:
        return typed_money(value) or ZERO
    except ValueError:
        raise DomainError(f"The {what} “{value}” is not an amount.") from None


@dataclass(frozen=True)
class Allocation:
    """Part of a payment put on one invoice (an iMIS invoice id; a number until checked)."""

    invoice_id: str
    amount: Decimal


@dataclass(frozen=True)
class PaymentApplication:
    """What one payment pays: invoices of a member (``apply``), credit on account (``credit``),
    or nothing, because it is not the association's (``not_ours``).

    ``member_id`` is the member whose invoices are paid, ``payer_id`` the party billed and
    credited (the member when blank).
    """

    payment_id: int
    action: str = "apply"
    member_id: str = ""
    payer_id: str = ""
    allocations: tuple[Allocation, ...] = ()
    credit: Decimal = ZERO

    @property
    def applied(self) -> Decimal:
        """What goes on invoices, all together."""
        return sum((a.amount for a in self.allocations), ZERO)

    @property
    def pairs(self) -> list[tuple[str, Decimal]]:
        """The allocations as (invoice id, amount), as the services and the journal take them."""
        return [(a.invoice_id, a.amount) for a in self.allocations]

    @classmethod
    def not_ours(cls, payment_id: int) -> "PaymentApplication":
        return cls(payment_id=payment_id, action="not_ours")

    @classmethod
    def for_candidate(cls, payment, candidate) -> "PaymentApplication":
        """Apply ``payment`` as a matcher's candidate says (a ``Candidate``, or a stored
        ``PaymentCandidate`` whose amounts are text). Allocations larger than the payment are cut,
        in the candidate's order, to what it brings; what is left is credit on account.
        """
        allocations, left = [], payment.available
        for invoice_id, amount in candidate.allocations:
            take = min(to_money(amount), left)
            if take > 0:
                allocations.append(Allocation(str(invoice_id), take))
                left -= take
        return cls(
            payment_id=payment.pk,
            action="apply" if allocations else "credit",
            member_id=str(candidate.member_id),
            payer_id=str(candidate.payer_id or candidate.member_id),
            allocations=tuple(allocations),
            credit=to_money(left),
        )

    def to_payload(self) -> dict:
        """The review item's payload: JSON, amounts as strings."""
        return {
            "payment": self.payment_id,
            "action": self.action,
            "member": self.member_id,
            "payer": self.payer_id,
            "invoices": [
                {"invoice": a.invoice_id, "amount": str(to_money(a.amount))}
                for a in self.allocations
            ],
            "credit": str(to_money(self.credit)),
        }

    @classmethod
    def from_payload(cls, payload: dict) -> "PaymentApplication":
        """Read a payload (typed, or the text form items kept before); refused, with what to
        fix, when a value is not what its key needs. The mirror is not consulted here."""
        ref = str(payload.get("payment", "")).strip()
        if not ref.isdigit():
            raise DomainError(f"Payment {ref or '(none)'} does not exist.")
        action = str(payload.get("action") or "apply").strip().lower()
        if action not in ACTIONS:
            raise DomainError("The action must be apply, credit or not_ours.")
        if action == "not_ours":
            return cls.not_ours(int(ref))
        invoices = payload.get("invoices") or []
        if isinstance(invoices, str):
            pairs = parse_allocations(invoices)
        else:
            pairs = [
                (str(row.get("invoice", "")).strip(), _amount(row.get("amount"), "amount"))
                for row in invoices
            ]
        return cls(
            payment_id=int(ref),
            action=action,
            member_id=str(payload.get("member") or "").strip(),
            payer_id=str(payload.get("payer") or "").strip(),
            allocations=tuple(Allocation(invoice, amount) for invoice, amount in pairs),
            credit=_amount(payload.get("credit"), "credit"),
        )

    def facts(self) -> list[tuple[str, str]]:
        """Labelled lines for the review item's page."""
        if self.action == "not_ours":
            return [("Payment", f"#{self.payment_id}"), ("Action", ACTION_LABELS["not_ours"])]
        invoices = "; ".join(f"{a.invoice_id}: {format_money(a.amount)}" for a in self.allocations)
        return [
            ("Payment", f"#{self.payment_id}"),
            ("Action", ACTION_LABELS[self.action]),
            ("Member", self.member_id),
            ("Payer", self.payer_id or self.member_id),
            ("Invoices", invoices or "—"),
            ("Credit on account", format_money(self.credit)),
        ]


def _resolve_invoices(allocations, invoices: dict) -> tuple[Allocation, ...]:
    """``invoices``: the mirror's, by iMIS id and by number (``_invoices_named``)."""
    resolved, seen = [], set()
    for allocation in allocations:
        ref, amount = allocation.invoice_id, allocation.amount
        invoice = invoices["id"].get(ref) or invoices["number"].get(ref)
        if invoice is None:
            raise DomainError(f"Invoice {ref} is not in the iMIS mirror; check the number.")
        if invoice.imis_id in seen:
            raise DomainError(f"Invoice {invoice.number} is listed twice; give it one amount.")
        if amount <= 0:
            raise DomainError(f"The amount for invoice {invoice.number} must be more than zero.")
        if not invoice.is_open:
            raise DomainError(f"Invoice {invoice.number} is not open; choose an open invoice.")
        seen.add(invoice.imis_id)
        resolved.append(Allocation(invoice.imis_id, amount))
    return tuple(resolved)


def _invoices_named(refs) -> dict:
    refs = list(refs)
    live = ImisInvoice.objects.filter(deleted_at__isnull=True)
    return {
        "id": {inv.imis_id: inv for inv in live.filter(imis_id__in=refs)},
        "number": {inv.number: inv for inv in live.filter(number__in=refs)},
    }


def _party(ref: str, role: str, parties: set[str]) -> str:
    if not ref:
        raise DomainError(f"Name the {role} (iMIS id) the payment is for.")
    if ref not in parties:
        raise DomainError(f"No {role} {ref} in the iMIS mirror; check the id.")
    return ref


def validate(payload: dict) -> dict:
    return validate_many([payload])[0]


def validate_many(payloads: list[dict]) -> list[dict]:
    """Each payload checked against the payments and the mirror, read once for them all."""
    return [application.to_payload() for application in checked_many(payloads)]


def checked_many(payloads: list[dict]) -> list[PaymentApplication]:
    """``validate_many``'s checks, giving the applications as they stand once checked (invoice
    numbers resolved to iMIS ids, the payer filled in); the first refusal is raised."""
    from dues.models import Payment

    read: list[PaymentApplication | DomainError] = []
    for payload in payloads:
        try:
            read.append(PaymentApplication.from_payload(payload))
        except DomainError as exc:
            read.append(exc)
    apps = [a for a in read if isinstance(a, PaymentApplication)]
    payments = Payment.objects.in_bulk([a.payment_id for a in apps])
    party_refs = {ref for a in apps for ref in (a.member_id, a.payer_id)} - {""}
    parties = set(
        ImisParty.objects.filter(imis_id__in=party_refs).values_list("imis_id", flat=True)
    )
    invoices = _invoices_named({al.invoice_id for a in apps for al in a.allocations})
    out = []
    for application in read:
        if isinstance(application, DomainError):
            raise application
        payment = payments.get(application.payment_id)
        out.append(_checked(application, payment, parties, invoices))
    return out


def _checked(application: PaymentApplication, payment, parties, invoices) -> PaymentApplication:
    if payment is None:
        raise DomainError(f"Payment {application.payment_id} does not exist.")
    if application.action == "not_ours":
        return PaymentApplication.not_ours(payment.pk)
    member = _party(application.member_id, "member", parties)
    payer = _party(application.payer_id or member, "payer", parties)
    allocations = _resolve_invoices(application.allocations, invoices)
    applied = sum((a.amount for a in allocations), ZERO)
    if applied > payment.available:
        raise DomainError(
            f"The invoices add up to {format_money(applied)}, more than the payment's "
            f"{format_money(payment.available)}; lower an amount."
        )
    if application.credit < 0:
        raise DomainError("The credit on account cannot be negative.")
    if application.action == "credit" and allocations:
        raise DomainError("Credit on account goes on no invoice; clear the invoices or apply it.")
    if application.action == "apply" and not allocations:
        raise DomainError("Put an amount on at least one invoice.")
    total = applied + application.credit
    if total != payment.available:
        raise DomainError(
            f"The amounts add up to {format_money(total)} but the payment is "
            f"{format_money(payment.available)}; put the difference on an invoice or in credit."
        )
    return PaymentApplication(
        payment_id=payment.pk,
        action=application.action,
        member_id=member,
        payer_id=payer,
        allocations=allocations,
        credit=application.credit,
    )


def effect(item) -> dict:
    (outcome,) = effect_many([item]).values()
    if isinstance(outcome, Exception):
        raise outcome
    return outcome


def effect_many(items) -> dict:
    """Applications carried out together (``payments_apply_many``); a payment flagged as not
    ours one at a time. Item id -> result, or the error that item met (its writes undone)."""
    from dues import services

    out: dict = {}
    applications: list = []
    for item in items:
        application = PaymentApplication.from_payload(item.payload)
        if application.action == "not_ours":
            try:
                with transaction.atomic():
                    payment = services.payment_flag_not_ours(
                        payment_id=application.payment_id, item=item
                    )
            except Exception as exc:  # kept on the item, as a single effect's would be
                out[item.pk] = exc
            else:
                out[item.pk] = _result(payment)
            continue
        applications.append(
            services.Application(
                payment_id=application.payment_id,
                member_id=application.member_id,
                payer_id=application.payer_id,
                allocations=application.pairs,
                credit=application.credit,
                item=item,
            )
        )
    results = services.payments_apply_many(applications=applications) if applications else []
    for application, result in zip(applications, results, strict=True):
        out[application.item.pk] = result if isinstance(result, Exception) else _result(result)
    return out


def _result(payment) -> dict:
    return {
        "payment": payment.pk,
        "status": payment.status,
        "hold_until": payment.hold_until.isoformat() if payment.hold_until else None,
    }


def recheck(item) -> str | None:
    return recheck_many([item])[item.pk]


def recheck_many(items) -> dict:
    from dues.models import Payment

    ids = {item.pk: PaymentApplication.from_payload(item.payload).payment_id for item in items}
    payments = Payment.objects.in_bulk(list(ids.values()))
    return {item.pk: _stale(item, payments.get(ids[item.pk])) for item in items}


def _stale(item, payment) -> str | None:
    from dues.models import Payment

    if payment is None:
        return "the payment no longer exists"
    if payment.status not in Payment.OPEN:
        return f"payment #{payment.pk} is already {payment.get_status_display().lower()}"
    if payment.review_item_id not in (None, item.pk):
        return f"payment #{payment.pk} has a newer proposal (#{payment.review_item_id})"
    return None


PAYMENT_APPLICATION = ReviewKind(
    name=KIND,
    label="Payment application",
    queue="finance",
    validate=validate,
    effect=effect,
    recheck=recheck,
    validate_many=validate_many,
    recheck_many=recheck_many,
    effect_many=effect_many,
    payload_type=PaymentApplication,
    edit_form=PaymentApplicationForm,
)
