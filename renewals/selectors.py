"""Reads of renewals: the iMIS mirror in bulk (one COPY per table, into pandas), and the queries
the renewal pages and API list from.

Dates arrive as whole days since 1970-01-01 in the iMIS site's time zone (iMIS dates carry no
offset), so the feature code compares integers, never timestamps. Members are identified by
their position in ``MirrorFrames.parties`` (column ``m``); every other frame carries the same
code, ``-1`` when it names someone the mirror does not hold.
"""

from dataclasses import dataclass

import numpy as np
import pandas as pd
from django.db.models import Count, QuerySet
from psycopg import sql

from common.ml.frames import EPOCH, READ_THREADS, day_date, day_number  # noqa: F401
from common.ml.frames import copy_frame as _copy  # noqa: F401
from common.ml.frames import day as _day
from common.ml.frames import local_day as _local_day
from common.ml.frames import read_all as _read_all
from common.ml.frames import table as _table
from imis_client import models as m


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
    failures: pd.DataFrame | None = None  # failed payments (m, day): declined cards
    # Filled by features.prepare(): the same rows sorted by member, and invoice settlement.
    activity_sorted: pd.DataFrame | None = None
    registrations_sorted: pd.DataFrame | None = None
    groups_sorted: pd.DataFrame | None = None
    communications_sorted: pd.DataFrame | None = None
    settlement: pd.DataFrame | None = None
    invoices_by_payer: pd.DataFrame | None = None  # rows of invoices, sorted by who was billed

    def member_codes(self, imis_ids) -> np.ndarray:
        """Positions in ``parties`` of these iMIS ids (-1: not in the mirror)."""
        return pd.Categorical(imis_ids, categories=self.parties["imis_id"]).codes.astype(np.int64)


# Each party's position in the parties frame (ordered by id): rows of other tables arrive with
# it as ``m``, a small integer, instead of the iMIS id; rows naming no known party drop out.
MEMBER_CODES = sql.SQL(
    "WITH p AS (SELECT imis_id, row_number() OVER (ORDER BY id) - 1 AS m"
    " FROM {party} WHERE deleted_at IS NULL) "
).format(party=_table(m.ImisParty))


def _read_types(activity_types, payment_types, failure_types) -> list[str]:
    """Every activity type read, each once: the activity frame's ``type`` codes index this."""
    return list(dict.fromkeys([*activity_types, *payment_types, *failure_types]))


def _queries(activity_types: list[str], payment_types: list[str], failure_types: list[str]) -> dict:
    """Name → (query, typed columns) of every table the model reads."""
    read_types = _read_types(activity_types, payment_types, failure_types)

    def types(names):
        return sql.SQL(", ").join(sql.Literal(t) for t in names) if names else sql.SQL("NULL")

    return {
        "parties": (
            sql.SQL(
                "SELECT imis_id, is_organization, coalesce(is_member, false), status,"
                " customer_type, {join}, {paid}, chapter, email <> '', primary_org_id, name"
                " FROM {party} WHERE deleted_at IS NULL ORDER BY id"
            ).format(join=_day("join_date"), paid=_day("paid_thru"), party=_table(m.ImisParty)),
            {
                "imis_id": "str",
                "is_org": "bool",
                "is_member": "bool",
                "status": "str",
                "ctype": "str",
                "join_day": "day",
                "paid_thru_day": "day",
                "chapter": "str",
                "has_email": "bool",
                "org_id": "str",
                "name": "str",
            },
        ),
        # The amount is InvoiceAmount, the original: adjustments stay apart (a cancelled renewal
        # is credited, not unbilled), and the note (raw, no mirror column) says why; read only
        # where there was a credit, as reading every invoice's raw record costs.
        "invoices": (
            MEMBER_CODES
            + sql.SQL(
                "SELECT p.m, i.imis_id, bill_to_id <> '' AND bill_to_id <> sold_to_id,"
                " {inv}, {due}, purpose, coalesce(amount, 0), adjustment_amount, payment_amount,"
                " balance, CASE WHEN adjustment_amount < 0 THEN i.raw::json ->> 'Note' END,"
                " bill_to_id"
                " FROM {invoice} i JOIN p ON p.imis_id = i.sold_to_id"
                " WHERE i.deleted_at IS NULL AND i.invoice_date IS NOT NULL"
            ).format(inv=_day("invoice_date"), due=_day("due_date"), invoice=_table(m.ImisInvoice)),
            {
                "m": "int",
                "invoice_id": "str",
                "org_paid": "bool",
                "invoice_day": "day",
                "due_day": "day",
                "purpose": "str",
                "amount": "num",
                "adjustment": "num",
                "paid_amount": "num",
                "balance": "num",
                "note": "str",
                "bill_to_id": "str",
            },
        ),
        # One scan of the activity table (the largest: every record's raw payload is stored
        # beside it) for the engagement, the dues payments and the failed payments alike;
        # mirror_frames splits the rows by type. The type arrives as its position in the list
        # of types read (a number, not two million strings to parse), and the amount and
        # member type only on dues payments, the one kind that uses them.
        "activity": (
            MEMBER_CODES
            + sql.SQL(
                "SELECT p.m, array_position(ARRAY[{types}]::text[], activity_type::text) - 1,"
                " {tx}, {eff}, {thru}, coalesce(units, 1),"
                " CASE WHEN activity_type IN ({paid}) THEN coalesce(amount, 0) END,"
                " CASE WHEN activity_type IN ({paid}) THEN member_type END"
                " FROM {activity} a JOIN p ON p.imis_id = a.party_id"
                " WHERE a.deleted_at IS NULL"
                " AND activity_type IN ({types}) AND transaction_date IS NOT NULL"
            ).format(
                activity=_table(m.ImisActivity),
                tx=_local_day("transaction_date"),
                eff=_local_day("effective_date"),
                thru=_local_day("thru_date"),
                types=types(read_types),
                paid=types(payment_types),
            ),
            {
                "m": "int",
                "type": "int",
                "tx_day": "day",
                "eff_day": "day",
                "thru_day": "day",
                "units": "num",
                "amount": "num",
                "member_type": "str",
            },
        ),
        "registrations": (
            MEMBER_CODES
            + sql.SQL(
                "SELECT p.m, {reg}, r.status, r.attended, {start}, {end}, e.chapter"
                " FROM {registration} r"
                " JOIN {event} e ON e.imis_id = r.event_id"
                " JOIN p ON p.imis_id = r.party_id"
                " WHERE r.deleted_at IS NULL AND e.starts_at IS NOT NULL"
            ).format(
                registration=_table(m.ImisEventRegistration),
                event=_table(m.ImisEvent),
                reg=_local_day("registered_on"),
                start=_local_day("starts_at"),
                end=_local_day("ends_at"),
            ),
            {
                "m": "int",
                "reg_day": "day",
                "status": "str",
                "attended": "bool",
                "start_day": "day",
                "end_day": "day",
                "chapter": "str",
            },
        ),
        "groups": (
            MEMBER_CODES
            + sql.SQL(
                "SELECT p.m, group_class, coalesce({eff}, {join}), {exp}, role"
                " FROM {group} g JOIN p ON p.imis_id = g.party_id"
                " WHERE g.deleted_at IS NULL"
            ).format(
                group=_table(m.ImisGroupMember),
                eff=_day("effective_date"),
                join=_day("join_date"),
                exp=_day("expiration_date"),
            ),
            {
                "m": "int",
                "group_class": "str",
                "start_day": "day",
                "end_day": "day",
                "role": "str",
            },
        ),
        "communications": (
            MEMBER_CODES
            + sql.SQL(
                "SELECT p.m, {sent}, channel, status, template"
                " FROM {communication} c JOIN p ON p.imis_id = c.party_id"
                " WHERE c.deleted_at IS NULL AND sent_on IS NOT NULL"
            ).format(sent=_local_day("sent_on"), communication=_table(m.ImisCommunication)),
            {"m": "int", "day": "day", "channel": "str", "status": "str", "template": "str"},
        ),
    }


def mirror_frames(
    *, activity_types: list[str], payment_types: list[str], failure_types=()
) -> MirrorFrames:
    """Read every table the model needs: one COPY each, never a query per member."""
    read = _read_all(_queries(list(activity_types), list(payment_types), list(failure_types)))
    parties = read["parties"]
    parties["m"] = np.arange(len(parties), dtype=np.int64)
    invoices = read["invoices"]
    # Who was billed, as a member code (-1: nobody in the mirror); mapped here, as a second
    # join to the member codes makes PostgreSQL loop over every pair.
    codes = pd.Categorical(invoices["bill_to_id"], categories=parties["imis_id"]).codes
    invoices["payer_m"] = codes.astype(np.int64)
    invoices["due_day"] = invoices["due_day"].fillna(invoices["invoice_day"] + 30)
    invoices["renewal"] = invoices["purpose"].str.contains("renew", case=False)
    invoices["org_paid"] = invoices["org_paid"].fillna(False).astype(bool)
    invoices = invoices.sort_values(["m", "invoice_day", "invoice_id"]).reset_index(drop=True)
    rows = read["activity"]
    names = np.asarray(_read_types(activity_types, payment_types, failure_types), dtype=object)
    kind = rows["type"].to_numpy(np.int64)

    def of(types) -> np.ndarray:
        return np.isin(kind, [i for i, name in enumerate(names) if name in set(types)])

    engaged = of(activity_types)
    activity = rows.loc[engaged, ["m", "tx_day", "eff_day", "thru_day", "units"]]
    activity.insert(1, "type", names[kind[engaged]])
    activity = activity.reset_index(drop=True)
    paid = of(payment_types)
    payments = (
        rows.loc[paid, ["m", "tx_day", "amount", "member_type"]]
        .rename(columns={"tx_day": "day"})
        .sort_values(["m", "day"])
        .reset_index(drop=True)
    )
    failures = (
        rows.loc[of(failure_types), ["m", "tx_day"]]
        .rename(columns={"tx_day": "day"})
        .sort_values(["m", "day"])
        .reset_index(drop=True)
    )
    registrations = read["registrations"]
    registrations["end_day"] = registrations["end_day"].fillna(registrations["start_day"])
    registrations["reg_day"] = registrations["reg_day"].fillna(registrations["start_day"])
    prices = {
        item_code: float(price or 0)
        for item_code, price in m.ImisItem.objects.filter(
            deleted_at__isnull=True, price__isnull=False
        ).values_list("code", "price")
    }
    return MirrorFrames(
        parties=parties,
        invoices=invoices,
        payments=payments,
        failures=failures,
        activity=activity,
        registrations=registrations,
        groups=read["groups"],
        communications=read["communications"],
        prices=prices,
    )


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


def latest_run_of(version):
    """The latest successful scoring run of a model version (its feature drift), or None."""
    from renewals.models import ScoringRun

    return (
        ScoringRun.objects.filter(model_version=version, status=ScoringRun.Status.SUCCEEDED)
        .only("id", "as_of", "analysis")
        .order_by("-id")
        .first()
    )


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
