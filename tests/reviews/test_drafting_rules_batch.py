"""Drafting in batches: guardrail rules read once per batch and fresh again outside it, and a
batch's drafts the same as drafted one by one, with a number of queries that does not grow with
the batch."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from reviews.drafting import draft_message, drafts_batch
from reviews.drafting.golden import golden_cases, install_case
from reviews.drafting.guardrails import Rules, rules_batch
from reviews.drafting.services import guardrail_rule_create
from reviews.models import DraftRecord


def _rule_reads(ctx) -> int:
    return sum('"reviews_guardrailrule"' in q["sql"] for q in ctx.captured_queries)


@pytest.mark.django_db
def test_a_batch_reads_the_rules_once_and_outside_a_batch_they_are_fresh(make_user):
    grace = make_user("Manager")
    guardrail_rule_create(user=grace, kind="tone", phrase="kindly settle", severity="warn")
    with CaptureQueriesContext(connection) as ctx, rules_batch():
        first = Rules.load()
        assert Rules.load() is first
        assert "kindly settle" in [p["phrase"] for p in first.phrases]
    assert _rule_reads(ctx) == 1
    # a rule added after the batch applies to the next load at once
    guardrail_rule_create(user=grace, kind="tone", phrase="final demand", severity="block")
    with CaptureQueriesContext(connection) as ctx:
        phrases = sorted(p["phrase"] for p in Rules.load().phrases)
        Rules.load()
    assert {"final demand", "kindly settle"} <= set(phrases)
    assert _rule_reads(ctx) == 2
    with rules_batch():
        assert sorted(p["phrase"] for p in Rules.load().phrases) == phrases


@pytest.fixture
def golden(db, settings, clock):
    """Every golden case in the mirror: members with subscriptions, invoices, events attended,
    committees and payments; returns [(case, member_id, invoice_id, extra_facts)]."""
    settings.LLM_MODEL = ""
    clock("2026-11-10T12:00")
    return [(case, *install_case(case)) for case in golden_cases()]


def _draft_all(golden) -> list[dict]:
    return [
        draft_message(
            purpose=case["purpose"],
            member_id=member_id,
            channel=case["channel"],
            invoice_id=invoice_id,
            extra_facts=extra,
        ).as_payload()
        for case, member_id, invoice_id, extra in golden
    ]


def _as_compared(payload: dict) -> dict:
    return {k: v for k, v in payload.items() if k not in ("record_id", "latency_ms")}


def test_drafts_batch_drafts_each_message_as_drafted_alone_and_records_each(golden):
    alone = _draft_all(golden)
    records_before = DraftRecord.objects.count()

    with drafts_batch([(member_id, invoice_id) for _, member_id, invoice_id, _ in golden]):
        batched = _draft_all(golden)

    assert [_as_compared(p) for p in batched] == [_as_compared(p) for p in alone]
    recorded = DraftRecord.objects.filter(pk__in=[p["record_id"] for p in batched])
    assert DraftRecord.objects.count() - records_before == len(golden) == recorded.count()
    assert {(r.member_id, r.purpose, r.channel) for r in recorded} == {
        (member_id, case["purpose"], case["channel"]) for case, member_id, _, _ in golden
    }


def test_drafts_batch_queries_do_not_grow_with_the_number_of_drafts(golden):
    pairs = [(member_id, invoice_id) for _, member_id, invoice_id, _ in golden]
    with CaptureQueriesContext(connection) as alone:
        _draft_all(golden)
    with CaptureQueriesContext(connection) as batched, drafts_batch(pairs):
        _draft_all(golden)

    # each template version in use read once; then once for the whole batch: members,
    # subscriptions, items, registrations, events, committees, payments, invoices, the
    # payments on their way (the members' invoices, held, probable), the rules, the records
    versions = len({(case["purpose"], case["channel"]) for case, *_ in golden})
    assert len(batched) <= versions + 14
    assert len(alone) > 5 * len(golden)  # what the batch saves: several queries per draft
