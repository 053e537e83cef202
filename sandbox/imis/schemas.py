"""Column layouts and id ranges of the sandbox tables (internal storage, not the JSON shapes)."""

from __future__ import annotations

from .table import BOOL, DATE, INT, MONEY, NUM, STR, Table

# Ids are strings on the wire; internally they are ints that grow with the row index, so the
# default (insertion) order is also id order and later rows always get larger ids.
PARTY_BASE = 10001
INVOICE_BASE = 300001
PAYMENT_BASE = 800001
ACTIVITY_BASE = 5000001
COMMLOG_BASE = 1
NOTE_BASE = 1
AUDIT_BASE = 1
AUTOPAY_BASE = 700001

PARTY = {
    "party_id": INT,
    "is_org": BOOL,
    "uniform_id": STR,
    "prefix": STR,
    "first": STR,
    "middle": STR,
    "last": STR,
    "suffix": STR,
    "informal": STR,
    # A surname the person was known by (a maiden name): a site keeps it in a custom party
    # attribute (profile b serves it as ``FormerLastName``); "" = none.
    "former_last": STR,
    "org_name": STR,
    "title": STR,
    "primary_org": INT,  # party id of the employer, 0 = none
    "email": STR,
    "phone": STR,
    "phone_type": STR,
    "street": STR,
    "city": STR,
    "region": INT,  # index into names.REGIONS
    "postal": STR,
    "status": STR,
    "ctype": STR,
    "is_member": BOOL,
    "inactive_member": BOOL,
    "join_date": DATE,
    "paid_thru": DATE,
    "renewed_thru": DATE,
    "chapter": STR,
    "birth_date": DATE,
    "created_on": DATE,
    "created_by": STR,
    "updated_on": DATE,
    "updated_by": STR,
    # An auto-pay instruction on file (iMIS ``AutoPayInstructionId``): the card is charged for
    # the member's own renewals on their due date. "" = none.
    "autopay_id": STR,
}

ITEM = {
    "item_id": STR,
    "name": STR,
    "type_idx": INT,
    "price": MONEY,
    "updated_on": DATE,
    # What the item bills and its price list (served in the shape the site's switch chooses):
    "item_class": STR,  # DUES, SUBSCRIPTION
    "member_type": STR,  # the member type a dues item bills, "" for chapter and subscriptions
    "has_price": BOOL,  # False: the item has no price at all
    "price_since": DATE,  # when the current price took effect
    "prev_price": MONEY,  # the price before it (ItemPrice rows carry it)
    "prev_since": DATE,
    "future_price": MONEY,
    "future_date": DATE,  # NaT: no future price
}

SUBSCRIPTION = {
    "key": STR,  # "~{PartyId}|{ItemId}", iMIS's composite-key form
    "party_id": INT,
    "item": STR,
    "status": STR,
    "begin_date": DATE,
    "bill_begin": DATE,
    "bill_through": DATE,
    "bill_date": DATE,
    "paid_thru": DATE,
    "continuous_since": DATE,
    "date_added": DATE,
    "last_updated": DATE,
    "updated_by": STR,
    "cancelled_as_of": DATE,
    "bill_to": INT,
    "invoice_id": INT,
    "billed": MONEY,
    "paid": MONEY,
    "payment_date": DATE,
    "balance": MONEY,
    "reminder_count": INT,
    "reminder_date": DATE,
    # Lines the billing scenarios add (sandbox/imis/billing.py); "" / 0: a dues line of 12 months.
    "product_type": STR,
    "renew_months": INT,
    "member_component": BOOL,
    # What the API caller put in SourceCode (POST /api/Subscription); "" for the site's own lines.
    "source_code": STR,
}

INVOICE = {
    "invoice_id": INT,
    "invoice_date": DATE,
    "due_date": DATE,
    "purpose": STR,
    "bill_to": INT,
    "sold_to": INT,
    "amount": MONEY,
    "adjustment": MONEY,
    "paid": MONEY,
    "balance": MONEY,
    "description": STR,
    "note": STR,  # Note: what adjustments left (ProcessCashAdjustment appends its reference)
    "item": STR,
    "term_begin": DATE,
    "term_end": DATE,
    # Hidden schedule of the term's destined outcome (never serialised): payment dates and
    # amounts, the lapse date, and which reminders went out.
    "s_pay1": DATE,
    "s_amt1": MONEY,
    "s_pay2": DATE,
    "s_amt2": MONEY,
    "s_lapse": DATE,
    "s_outcome": INT,
    "s_reminded": INT,
    "s_term": INT,  # row in truth.terms, -1 for join invoices
}

PAYMENT = {
    "payment_id": INT,
    "party_id": INT,
    "amount": MONEY,
    "payment_date": DATE,
    "method": STR,
    "reference": STR,
    "message": STR,
    "invoice_ids": STR,  # space-separated invoice ids the remittance was applied to
    "created_on": DATE,
}

ACTIVITY = {
    "seqn": INT,
    "party_id": INT,
    "type": STR,
    "tx_date": DATE,
    "eff_date": DATE,
    "thru_date": DATE,
    "product_code": STR,
    "amount": MONEY,
    "units": NUM,
    "description": STR,
    "source_code": STR,
    "member_type": STR,
    "note": STR,
    **{f"uf_{i}": STR for i in range(1, 8)},
}

EVENT = {
    "event_id": STR,
    "name": STR,
    "start": DATE,
    "end": DATE,
    "status": STR,
    "location": STR,
    "capacity": INT,
    "category": STR,
    "chapter": STR,
    "price": MONEY,
}

REGISTRATION = {
    "reg_id": STR,
    "event": INT,  # row of the events table
    "party_id": INT,
    "reg_date": DATE,
    "status": STR,
    "attended": BOOL,
    "price": MONEY,
}

GROUP_MEMBER = {
    "gm_id": STR,
    "group": INT,  # index into Association.groups
    "party_id": INT,
    "join_date": DATE,
    "is_active": BOOL,
    "role": STR,
    "effective": DATE,
    "expiration": DATE,
}

COMMLOG = {
    "log_id": INT,
    "party_id": INT,
    "sent_on": DATE,
    "channel": STR,
    "subject": STR,
    "template": STR,
    "status": STR,
    "sent_by": STR,
    "invoice_id": INT,
}

RELATIONSHIP = {"party_id": INT, "staff": STR, "role": STR}

RISK = {
    "party_id": INT,
    "band": STR,
    "score": NUM,
    "reasons": STR,
    "scored_on": DATE,
    "outreach_on": DATE,
    "model_version": STR,
    "updated_on": DATE,
}

AUDIT = {
    "seqn": INT,
    "party_id": STR,
    "action": STR,
    "actor": STR,
    "review_item_id": STR,
    "summary": STR,
    "created_on": DATE,
    "outbox_id": STR,
    "updated_on": DATE,
}

NOTE = {
    "note_id": INT,
    "party_id": INT,
    "purpose": STR,
    "text": STR,
    "created_on": DATE,
    "created_by": STR,
    "updated_on": DATE,
}

# Per-party simulation state (indexed like the party table).
STATE = {
    "type": INT,
    "cat": INT,
    "alive": BOOL,
    "join": DATE,
    "next_renewal": DATE,
    "sub": INT,
    "open_inv": INT,
    "past_late": INT,
    "past_partial": INT,
    "last_price": MONEY,
    "employer": INT,  # party row of the employer, -1 = none
    "org_paid": BOOL,
    "grad_year": INT,
    "early_since": INT,
    "birth_year": INT,
    "committee": BOOL,
    "has_email": BOOL,
    "lapse_date": DATE,
    "drop_date": DATE,  # when the PrimaryOrganization link last dropped
    "drop_weight": NUM,  # 1.0 if that employer paid the dues, 0.3 otherwise
    "e0": NUM,
    "slope": NUM,
    "shock_onset": NUM,
    "shock_size": NUM,
    "price_sensitivity": NUM,
    "payment_discipline": NUM,
    "u_login": NUM,
    "u_email": NUM,
    "u_community": NUM,
    "u_download": NUM,
    "offline": BOOL,
    **{f"act_{i}": INT for i in range(5)},  # current-period aggregated activity rows, -1 = none
}
LATENT_KEYS = [
    "e0",
    "slope",
    "shock_onset",
    "shock_size",
    "price_sensitivity",
    "payment_discipline",
    "u_login",
    "u_email",
    "u_community",
    "u_download",
    "offline",
]
# Party categories in the state.
MEMBER, FORMER, NONMEMBER, ORG_PLAIN, ORG_MEMBER = range(5)

ENGAGEMENT_TYPES = ["WEBLOGIN", "EMAIL_OPEN", "EMAIL_CLICK", "COMMUNITY", "DOWNLOAD"]


def new_tables(capacity: int = 16) -> dict[str, Table]:
    """Empty tables keyed by their attribute name on the Association."""
    specs = {
        "parties": ("Party", PARTY, "party_id"),
        "items": ("Item", ITEM, "item_id"),
        "subscriptions": ("Subscription", SUBSCRIPTION, "key"),
        "invoices": ("InvoiceSummary", INVOICE, "invoice_id"),
        "payments": ("Payment", PAYMENT, "payment_id"),
        "activities": ("Activity", ACTIVITY, "seqn"),
        "events": ("Event", EVENT, "event_id"),
        "registrations": ("EventRegistration", REGISTRATION, "reg_id"),
        "group_members": ("GroupMember", GROUP_MEMBER, "gm_id"),
        "comm_log": ("CommunicationLog", COMMLOG, "log_id"),
        "relationships": ("Name_RelationshipManager", RELATIONSHIP, "party_id"),
        "risk": ("AI_RenewalRisk", RISK, "party_id"),
        "audit": ("AI_Audit_Log", AUDIT, "seqn"),
        "notes": ("PartyNote", NOTE, "note_id"),
        "state": ("state", STATE, "type"),
    }
    return {attr: Table(name, schema, key, capacity) for attr, (name, schema, key) in specs.items()}
