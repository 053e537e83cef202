"""The iMIS mirror as the late-payment model reads it: every invoice (all purposes), the
parties, dated payments, card failures and engagement, one COPY per table (common.ml.frames).

Parties are identified by their position in ``parties`` (``p`` in other frames, -1: unknown).
Card failures are the failure activity types in iMIS plus the failed payments the desk recorded
from the providers' webhooks for a member (``card_failures.failed_payment_days``: the
``PaymentFailure`` rows the update-your-card items are filed from).
"""

from dataclasses import dataclass

import numpy as np
import pandas as pd
from django.conf import settings
from psycopg import sql

from common.ml.frames import day, day_number, local_day, read_all, table
from dues.collections.card_failures import failed_payment_days
from imis_client import models as m


@dataclass
class LateFrames:
    parties: pd.DataFrame  # imis_id, is_org, ctype, join_day
    invoices: pd.DataFrame  # see _queries; plus p (sold-to), payer (bill-to or sold-to)
    payments: pd.DataFrame  # p, day, amount
    failures: pd.DataFrame  # p, day
    engagement: pd.DataFrame  # p, day


def _types(names) -> sql.Composable:
    return sql.SQL(", ").join(sql.Literal(t) for t in names) if names else sql.SQL("NULL")


def _open_parties() -> sql.Composable:
    """Who is sold or billed an open invoice: the only parties whose history scoring reads."""
    return sql.SQL(
        "(SELECT sold_to_id FROM {invoice} WHERE deleted_at IS NULL AND is_open AND balance > 0"
        " UNION SELECT bill_to_id FROM {invoice} WHERE deleted_at IS NULL AND is_open"
        " AND balance > 0 AND bill_to_id <> '')"
    ).format(invoice=table(m.ImisInvoice))


def _activity(types, only: sql.Composable | None) -> tuple:
    return (
        sql.SQL(
            "SELECT party_id, {tx}, coalesce(amount, 0) FROM {activity}"
            " WHERE deleted_at IS NULL AND activity_type IN ({types})"
            " AND transaction_date IS NOT NULL{only}"
        ).format(
            tx=local_day("transaction_date"),
            activity=table(m.ImisActivity),
            types=_types(types),
            only=sql.SQL(" AND party_id IN {}").format(only) if only is not None else sql.SQL(""),
        ),
        {"party_id": "str", "day": "day", "amount": "num"},
    )


def _queries(open_only: bool) -> dict:
    only = _open_parties() if open_only else None
    invoices_of = (
        sql.SQL(" AND (sold_to_id IN {only} OR bill_to_id IN {only})").format(only=only)
        if open_only
        else sql.SQL("")
    )
    return {
        "parties": (
            sql.SQL(
                "SELECT imis_id, is_organization, customer_type, {join} FROM {party}"
                " WHERE deleted_at IS NULL ORDER BY id"
            ).format(join=day("join_date"), party=table(m.ImisParty)),
            {"imis_id": "str", "is_org": "bool", "ctype": "str", "join_day": "day"},
        ),
        "invoices": (
            sql.SQL(
                "SELECT imis_id, sold_to_id, bill_to_id, {inv}, {due}, purpose,"
                " coalesce(amount, 0), coalesce(adjustment_amount, 0), payment_amount,"
                " coalesce(balance, 0), is_open, autopay_instruction_id <> '' FROM {invoice}"
                " WHERE deleted_at IS NULL AND invoice_date IS NOT NULL{of}"
            ).format(
                inv=day("invoice_date"),
                due=day("due_date"),
                invoice=table(m.ImisInvoice),
                of=invoices_of,
            ),
            {
                "invoice_id": "str",
                "sold_to_id": "str",
                "bill_to_id": "str",
                "invoice_day": "day",
                "due_day": "day",
                "purpose": "str",
                "amount": "num",
                "adjustment": "num",
                "paid_amount": "num",
                "balance": "num",
                "is_open": "bool",
                "autopay": "bool",
            },
        ),
        "payments": _activity(settings.COLLECTIONS_PAYMENT_TYPES, only),
        "failures": _activity(settings.COLLECTIONS_FAILURE_TYPES, only),
        "engagement": _activity(settings.COLLECTIONS_ENGAGEMENT_TYPES, only),
    }


def late_frames(*, open_only: bool = False) -> LateFrames:
    """The frames; ``open_only``: only the parties sold or billed an open invoice, with all of
    their history (what scoring needs: the same features, a fraction of the rows)."""
    read = read_all(_queries(open_only))
    parties = read["parties"].reset_index(drop=True)
    ids = parties["imis_id"]

    def code(values) -> np.ndarray:
        return pd.Categorical(values, categories=ids).codes.astype(np.int64)

    invoices = read["invoices"]
    invoices["due_day"] = invoices["due_day"].fillna(invoices["invoice_day"] + 30)
    invoices["is_open"] = invoices["is_open"].fillna(False).astype(bool)
    invoices["p"] = code(invoices["sold_to_id"])
    billed_other = (invoices["bill_to_id"] != "") & (
        invoices["bill_to_id"] != invoices["sold_to_id"]
    )
    invoices["billed_other"] = billed_other.to_numpy(bool)
    payer_id = invoices["bill_to_id"].where(billed_other, invoices["sold_to_id"])
    invoices["payer"] = code(payer_id)
    invoices = invoices[invoices["p"] >= 0]
    invoices = invoices.sort_values(["payer", "invoice_day", "invoice_id"]).reset_index(drop=True)

    def coded(frame: pd.DataFrame) -> pd.DataFrame:
        out = pd.DataFrame({"p": code(frame["party_id"]), "day": frame["day"]})
        if "amount" in frame:
            out["amount"] = frame["amount"].to_numpy(float)
        out = out[out["p"] >= 0]
        return out.sort_values(["p", "day"], kind="stable").reset_index(drop=True)

    failures = read["failures"]
    events = failed_payment_days()
    if len(events):
        events = events.assign(day=[day_number(d) for d in events["date"]], amount=0.0).drop(
            columns="date"
        )
        failures = pd.concat([failures, events], ignore_index=True)
    return LateFrames(
        parties=parties,
        invoices=invoices,
        payments=coded(read["payments"]),
        failures=coded(failures)[["p", "day"]],
        engagement=coded(read["engagement"])[["p", "day"]],
    )
