"""Guardrail rules read once per drafting batch, and fresh again outside it."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from reviews.drafting.guardrails import Rules, rules_batch
from reviews.drafting.services import guardrail_rule_create


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
