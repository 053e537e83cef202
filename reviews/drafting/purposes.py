"""What each kind of message is for: its channels, the facts it may use, and what it must say."""

from dataclasses import dataclass, field

# Facts every purpose may use: they come from settings, not from a member's record.
COMMON_FACTS = ("first_name", "association_name", "renew_url", "contact_email")


@dataclass(frozen=True)
class Purpose:
    name: str
    label: str
    marketing: bool  # marketing-like messages carry an opt-out line
    channels: tuple[str, ...]
    facts: tuple[str, ...]  # facts from the mirror this purpose may put in its context
    expected: tuple[str, ...] = ()  # facts the calling app supplies (extra_facts)
    required: tuple[str, ...] = ()  # facts whose value the message must state
    needs_invoice: bool = False
    reminder: bool = False  # a pending payment on the invoice blocks the message
    untrusted: tuple[str, ...] = field(default=())  # free text passed only as quoted data

    @property
    def allowed_facts(self) -> tuple[str, ...]:
        return (*COMMON_FACTS, *self.facts, *self.expected)


_INVOICE = ("invoice_number", "invoice_date", "due_date", "invoice_amount", "amount_due")
_TENURE = ("membership_type", "member_since_year", "years_member")
_ENGAGEMENT = ("events_attended_12m", "last_event_name", "committees_active")
_RENEWAL = ("paid_thru", "renewal_amount", "renewal_item")

_ALL = [
    Purpose(
        "renewal_notice",
        "Renewal notice",
        marketing=True,
        channels=("email",),
        facts=(*_RENEWAL, *_TENURE, *_ENGAGEMENT),
        required=("paid_thru", "renewal_amount"),
    ),
    Purpose(
        "renewal_reminder",
        "Renewal reminder",
        marketing=True,
        channels=("email", "sms"),
        facts=(*_RENEWAL, *_TENURE),
        required=("paid_thru", "renewal_amount"),
        reminder=True,
    ),
    Purpose(
        "high_risk_outreach",
        "High-risk outreach",
        marketing=True,
        channels=("email", "sms"),
        facts=(*_RENEWAL, *_TENURE, *_ENGAGEMENT),
        expected=("offer_percent", "offer_deadline", "staff_name"),
        required=("paid_thru",),
    ),
    Purpose(
        "win_back",
        "Win-back offer",
        marketing=True,
        channels=("email",),
        facts=(*_RENEWAL, *_TENURE, *_ENGAGEMENT),
        expected=("offer_percent", "offer_deadline"),
        required=("paid_thru",),
    ),
    Purpose(
        "dunning_1",
        "Dunning: first reminder",
        marketing=False,
        channels=("email", "sms"),
        facts=(*_INVOICE, "membership_type"),
        required=("amount_due", "due_date"),
        needs_invoice=True,
        reminder=True,
    ),
    Purpose(
        "dunning_2",
        "Dunning: second reminder",
        marketing=False,
        channels=("email", "sms"),
        facts=(*_INVOICE, "days_overdue", "membership_type"),
        required=("amount_due", "due_date", "invoice_number"),
        needs_invoice=True,
        reminder=True,
    ),
    Purpose(
        "dunning_3",
        "Dunning: final reminder",
        marketing=False,
        channels=("email", "sms"),
        facts=(*_INVOICE, "days_overdue", "paid_thru", "membership_type"),
        required=("amount_due", "invoice_number", "days_overdue"),
        needs_invoice=True,
        reminder=True,
    ),
    Purpose(
        "payment_plan",
        "Payment-plan offer",
        marketing=False,
        channels=("email",),
        facts=_INVOICE,
        expected=("plan_installments", "plan_installment_amount", "plan_first_due"),
        required=("amount_due", "plan_installments", "plan_installment_amount"),
        needs_invoice=True,
        reminder=True,
    ),
    Purpose(
        "payment_failed",
        "Failed payment: update your card",
        marketing=False,
        channels=("email",),
        facts=("invoice_number", "due_date", "amount_due"),
        # dues.collections.card_failures: the failed amount and the retry date it suggests
        expected=("failed_amount", "retry_date"),
        required=("failed_amount", "retry_date"),
    ),
    Purpose(
        "proration_explanation",
        "Proration explanation",
        marketing=False,
        channels=("email",),
        facts=(*_INVOICE, "membership_type"),
        expected=("full_amount", "prorated_amount", "months_charged", "term_start", "term_end"),
        required=("prorated_amount", "months_charged"),
        needs_invoice=True,
    ),
    Purpose(
        "credit_explanation",
        "Credit explanation",
        marketing=False,
        channels=("email",),
        facts=("invoice_number", "amount_due"),
        expected=("credit_amount", "credit_reason", "credit_date", "new_balance"),
        required=("credit_amount",),
    ),
    Purpose(
        "billing_adjustment",
        "Invoice correction explanation",
        marketing=False,
        channels=("email",),
        facts=("invoice_number", "invoice_date", "membership_type"),
        # The breakdown of a credit memo or debit adjustment (dues.billing), figure by figure.
        expected=(
            "billed_amount",
            "expected_amount",
            "credit_amount",
            "debit_amount",
            "adjustment_reason",
            "price_in_force",
            "term_start",
            "term_end",
            "months_charged",
            "days_charged",
            "discount_percent",
            "new_balance",
        ),
        required=("billed_amount", "expected_amount"),
    ),
    Purpose(
        "inquiry_reply",
        "Inquiry reply",
        marketing=False,
        channels=("email",),
        facts=(
            "invoice_number",
            "due_date",
            "amount_due",
            "paid_thru",
            "membership_type",
            "last_payment_amount",
            "last_payment_date",
        ),
        # dues.inquiries: a sentence for the class of question, the billing calculator's
        # breakdown of the charge asked about, a cited policy passage, when staff will reply.
        expected=(
            "inquiry_text",
            "answer_summary",
            "charge_breakdown",
            "policy_passage",
            "policy_source",
            "reply_by",
        ),
        untrusted=("inquiry_text",),
    ),
]

PURPOSE_SPECS: dict[str, Purpose] = {p.name: p for p in _ALL}
PURPOSES: tuple[str, ...] = tuple(p.name for p in _ALL)
CHANNELS = ("email", "sms")


def get_purpose(name: str) -> Purpose:
    try:
        return PURPOSE_SPECS[name]
    except KeyError:
        raise LookupError(f"Unknown purpose {name!r}; use one of: {', '.join(PURPOSES)}.") from None
