"""Reads of renewals: the iMIS mirror in bulk (one COPY per table, into pandas), and the queries
the renewal pages and API list from.

Dates arrive as whole days since 1970-01-01 in the iMIS site's time zone (iMIS dates carry no
offset), so the feature code compares integers, never timestamps. Members are identified by
their position in ``MirrorFrames.parties`` (column ``m``); every other frame carries the same
code, ``-1`` when it names someone the mirror does not hold.
"""

import io
from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd
from django.conf import settings
from django.db import connection
from django.db.models import Count, QuerySet
from psycopg import sql

from imis_client import models as m

EPOCH = date(1970, 1, 1)


def day_number(value: date) -> int:
    """Whole days since 1970-01-01, the unit every frame uses."""
    return (value - EPOCH).days


def day_date(number: int) -> date:
    return date.fromordinal(EPOCH.toordinal() + int(number))


@dataclass
class MirrorFrames:
    """The mirror tables the renewal model reads, as pandas frames (see the module docstring)."""

    parties: pd.DataFrame
    invoices: pd.DataFrame
    payments: pd.DataFrame
    activity: pd.DataFrame
    registrations: pd.DataFrame
    groups: pd.DataFrame
    communications: pd.DataFrame
    prices: dict  # dues item code → current price (float; features only, never money)
    # Filled by features.prepare(): the same rows sorted by member, and invoice settlement.
    activity_sorted: pd.DataFrame | None = None
    registrations_sorted: pd.DataFrame | None = None
    groups_sorted: pd.DataFrame | None = None
    communications_sorted: pd.DataFrame | None = None
    settlement: pd.DataFrame | None = None

    def member_codes(self, imis_ids) -> np.ndarray:
        return pd.Categorical(imis_ids, categories=self.parties["imis_id"]).codes.astype(np.int64)


def _local_day(column: str) -> sql.Composable:
    return sql.SQL("(({} AT TIME ZONE {})::date - DATE '1970-01-01')").format(
        sql.Identifier(column), sql.Literal(settings.IMIS_TIME_ZONE)
    )


def _day(column: str) -> sql.Composable:
    return sql.SQL("({} - DATE '1970-01-01')").format(sql.Identifier(column))


def _copy(query: sql.Composable, columns: dict[str, str]) -> pd.DataFrame:
    """Run one COPY (query) TO STDOUT and parse the CSV into typed columns."""
    connection.ensure_connection()
    buffer = io.BytesIO()
    with connection.connection.cursor() as cursor:
        statement = sql.SQL("COPY ({}) TO STDOUT WITH (FORMAT csv)").format(query)
        with cursor.copy(statement) as copy:
            for chunk in copy:
                buffer.write(chunk)
    buffer.seek(0)
    if not buffer.getbuffer().nbytes:
        return pd.DataFrame({name: pd.Series(dtype=_EMPTY[kind]) for name, kind in columns.items()})
    frame = pd.read_csv(
        buffer,
        header=None,
        names=list(columns),
        dtype={k: _READ[v] for k, v in columns.items()},
        keep_default_na=False,
        na_values={k: [""] for k, v in columns.items() if v != "str"},
    )
    for name, kind in columns.items():
        if kind == "bool":
            frame[name] = frame[name].map({"t": True, "f": False}).astype("boolean")
    return frame


_READ = {"str": str, "day": "float64", "num": "float64", "bool": str, "int": "int64"}
_EMPTY = {"str": object, "day": "float64", "num": "float64", "bool": "boolean", "int": "int64"}


def mirror_frames(*, activity_types: list[str], payment_types: list[str]) -> MirrorFrames:
    """Read every table the model needs: one COPY each, never a query per member."""
    parties = _copy(
        sql.SQL(
            "SELECT imis_id, is_organization, coalesce(is_member, false), status, customer_type,"
            " {join}, {paid}, chapter, email <> '', primary_org_id, name"
            " FROM imis_client_imisparty WHERE deleted_at IS NULL ORDER BY id"
        ).format(join=_day("join_date"), paid=_day("paid_thru")),
        {
            "imis_id": "str", "is_org": "bool", "is_member": "bool", "status": "str",
            "ctype": "str", "join_day": "day", "paid_thru_day": "day", "chapter": "str",
            "has_email": "bool", "org_id": "str", "name": "str",
        },
    )  # fmt: skip
    parties["m"] = np.arange(len(parties), dtype=np.int64)
    ids = parties["imis_id"]

    def code(values) -> np.ndarray:
        return pd.Categorical(values, categories=ids).codes.astype(np.int64)

    invoices = _copy(
        sql.SQL(
            "SELECT imis_id, sold_to_id, bill_to_id, {inv}, {due}, purpose,"
            " coalesce(amount, 0) + coalesce(adjustment_amount, 0), balance"
            " FROM imis_client_imisinvoice WHERE deleted_at IS NULL AND sold_to_id <> ''"
        ).format(inv=_day("invoice_date"), due=_day("due_date")),
        {
            "invoice_id": "str", "sold_to": "str", "bill_to": "str", "invoice_day": "day",
            "due_day": "day", "purpose": "str", "amount": "num", "balance": "num",
        },
    )  # fmt: skip
    invoices["m"] = code(invoices["sold_to"])
    invoices = invoices[(invoices["m"] >= 0) & invoices["invoice_day"].notna()].copy()
    invoices["due_day"] = invoices["due_day"].fillna(invoices["invoice_day"] + 30)
    invoices["renewal"] = invoices["purpose"].str.contains("renew", case=False)
    payer = invoices["bill_to"]
    invoices["org_paid"] = (payer != "") & (payer != invoices["sold_to"])
    invoices = invoices.sort_values(["m", "invoice_day", "invoice_id"]).reset_index(drop=True)

    types = sql.SQL(", ").join(sql.Literal(t) for t in [*activity_types, *payment_types])
    activity = _copy(
        sql.SQL(
            "SELECT party_id, activity_type, {tx}, {eff}, {thru}, coalesce(units, 1),"
            " coalesce(amount, 0), member_type"
            " FROM imis_client_imisactivity"
            " WHERE activity_type IN ({types}) AND transaction_date IS NOT NULL"
        ).format(
            tx=_local_day("transaction_date"), eff=_local_day("effective_date"),
            thru=_local_day("thru_date"), types=types,
        ),
        {
            "party_id": "str", "type": "str", "tx_day": "day", "eff_day": "day",
            "thru_day": "day", "units": "num", "amount": "num", "member_type": "str",
        },
    )  # fmt: skip
    activity["m"] = code(activity.pop("party_id"))
    activity = activity[activity["m"] >= 0]
    is_payment = activity["type"].isin(payment_types)
    payments = (
        activity.loc[is_payment, ["m", "tx_day", "amount", "member_type"]]
        .rename(columns={"tx_day": "day"})
        .sort_values(["m", "day"])
        .reset_index(drop=True)
    )
    activity = activity.loc[~is_payment].reset_index(drop=True)

    registrations = _copy(
        sql.SQL(
            "SELECT r.party_id, {reg}, r.status, r.attended, {start}, {end}, e.chapter"
            " FROM imis_client_imiseventregistration r"
            " JOIN imis_client_imisevent e ON e.imis_id = r.event_id"
            " WHERE r.deleted_at IS NULL AND e.starts_at IS NOT NULL"
        ).format(
            reg=_local_day("registered_on"), start=_local_day("starts_at"),
            end=_local_day("ends_at"),
        ),
        {
            "party_id": "str", "reg_day": "day", "status": "str", "attended": "bool",
            "start_day": "day", "end_day": "day", "chapter": "str",
        },
    )  # fmt: skip
    registrations["m"] = code(registrations.pop("party_id"))
    registrations["end_day"] = registrations["end_day"].fillna(registrations["start_day"])
    registrations["reg_day"] = registrations["reg_day"].fillna(registrations["start_day"])
    registrations = registrations[registrations["m"] >= 0].reset_index(drop=True)

    groups = _copy(
        sql.SQL(
            "SELECT party_id, group_class, coalesce({eff}, {join}), {exp}, role"
            " FROM imis_client_imisgroupmember WHERE deleted_at IS NULL"
        ).format(
            eff=_day("effective_date"), join=_day("join_date"), exp=_day("expiration_date")
        ),
        {
            "party_id": "str", "group_class": "str", "start_day": "day", "end_day": "day",
            "role": "str",
        },
    )  # fmt: skip
    groups["m"] = code(groups.pop("party_id"))
    groups = groups[groups["m"] >= 0].reset_index(drop=True)

    communications = _copy(
        sql.SQL(
            "SELECT party_id, {sent}, channel, status, template"
            " FROM imis_client_imiscommunication WHERE sent_on IS NOT NULL"
        ).format(sent=_local_day("sent_on")),
        {"party_id": "str", "day": "day", "channel": "str", "status": "str", "template": "str"},
    )
    communications["m"] = code(communications.pop("party_id"))
    communications = communications[communications["m"] >= 0].reset_index(drop=True)

    prices = {
        item_code: float(price)
        for item_code, price in m.ImisItem.objects.filter(
            deleted_at__isnull=True, price__isnull=False
        ).values_list("code", "price")
    }
    return MirrorFrames(
        parties=parties, invoices=invoices, payments=payments, activity=activity,
        registrations=registrations, groups=groups, communications=communications, prices=prices,
    )  # fmt: skip


# --- pages and API --------------------------------------------------------------------------


def latest_scores(*, band: str = "", chapter: str = "", q: str = "") -> QuerySet:
    """The newest score of each member in the latest scoring run, filtered."""
    from renewals.models import RenewalScore, ScoringRun

    run = ScoringRun.objects.filter(status=ScoringRun.Status.SUCCEEDED).order_by("-id").first()
    queryset = RenewalScore.objects.filter(run=run).select_related("model_version", "run")
    if band:
        queryset = queryset.filter(band=band)
    if chapter:
        queryset = queryset.filter(chapter=chapter)
    if q.strip():
        for word in q.split():
            queryset = queryset.filter(member_name__icontains=word)
    return queryset


def score_history(member_id: str) -> QuerySet:
    from renewals.models import RenewalScore

    return (
        RenewalScore.objects.filter(member_id=member_id)
        .select_related("model_version", "run")
        .order_by("-scored_on", "-id")
    )


def band_counts(run) -> dict[str, int]:
    from renewals.models import RenewalScore

    rows = RenewalScore.objects.filter(run=run).values("band").annotate(n=Count("id"))
    return {row["band"]: row["n"] for row in rows}


def score_chapters(run) -> list[str]:
    from renewals.models import RenewalScore

    if run is None:
        return []
    return list(
        RenewalScore.objects.filter(run=run)
        .exclude(chapter="")
        .values_list("chapter", flat=True)
        .distinct()
        .order_by("chapter")
    )


def recent_jobs(limit: int = 5):
    from common.models import JobRun

    return JobRun.objects.filter(kind__in=["renewals.train", "renewals.score"]).order_by("-id")[
        :limit
    ]
