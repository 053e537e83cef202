"""New-member billing set-up: a member who joined without a dues line gets a package proposed,
priced by the policy (a calendar-model joiner prorated); once approved its lines are created in
the sandbox iMIS through the outbox, once, however often the scan, the effect or the relay run."""

from decimal import Decimal

import numpy as np
import pytest

from common import roles
from dues.billing import newmember
from imis_client.client import ImisClient
from imis_client.models import ImisSubscription, OutboxWrite
from imis_client.services import outbox_relay, sync_run_execute
from reviews.models import ReviewItem
from reviews.services import review_item_decide, review_item_execute
from tests.dues.billing.conftest import BILLING_ENTITIES

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def joiner(billing_association):
    """A member of type REG in a chapter who joined on the sandbox's today with no dues line."""
    from sandbox.imis.joining import create_people
    from sandbox.imis.ledger import Changes, day_ms

    assoc = billing_association
    row = int(create_people(assoc, np.random.default_rng(5), 1, assoc.today, Changes(), False)[0])
    items = set(assoc.tables["items"].col("item_id").tolist())
    chapter = next(code for code, _n, _s in assoc.chapters if f"CHAPT/{code}" in items)
    assoc.parties.set(
        row, is_member=True, ctype="REG", join_date=day_ms(assoc.today), chapter=chapter
    )
    return str(int(assoc.parties.col("party_id")[row]))


def _sync(sandbox):
    with ImisClient(sandbox.base_url, "sandbox", "sandbox", concurrency=2) as client:
        run = sync_run_execute(full=True, only=BILLING_ENTITIES, client=client)
    assert run.status == "succeeded", run.results


def _relay(sandbox):
    with ImisClient(sandbox.base_url, "sandbox", "sandbox", timeout=2) as client:
        OutboxWrite.objects.filter(state="pending").update(next_attempt_at="2000-01-01T00:00Z")
        return outbox_relay(client=client)


def test_new_member_billing_is_proposed_priced_and_posted_once(
    joiner, billing_sandbox, settings, make_user
):
    settings.BILLING_TERM_MODEL = "calendar"
    today = billing_sandbox.association.today
    _sync(billing_sandbox)

    result = newmember.newmember_scan(today=today)

    item = ReviewItem.objects.get(kind=newmember.KIND, member_id=joiner)
    package = newmember.package_for(joiner)
    assert result["proposed"] >= 1
    dues = package.lines[0]
    assert (dues.kind, dues.item) == ("dues", "DUES-REG")
    assert package.term.begin.month == 1 and package.bill_begin == today
    # calendar model: a joiner pays the months left of the term, not the year
    assert dues.amount < dues.price
    assert any(line.kind == "chapter" for line in package.lines)
    assert item.payload["lines"] == package.lines_text()
    assert Decimal(item.payload["total"]) == package.total

    again = newmember.newmember_scan(today=today)
    assert again["proposed"] == 0 and ReviewItem.objects.filter(member_id=joiner).count() == 1

    review_item_decide(item_id=item.pk, user=make_user(roles.FINANCE), decision="accept")
    review_item_execute(item_id=item.pk)
    review_item_execute(item_id=item.pk)  # carried out once
    assert OutboxWrite.objects.filter(
        source=f"review item {item.pk}", entity="Subscription"
    ).count() == len(package.lines)
    # the first line is written in iMIS but its answer is lost: read back by SourceCode, the
    # retry finds it instead of posting it again
    billing_sandbox.faults.commit_timeout_next(1, path="/api/Subscription", seconds=3)
    _relay(billing_sandbox)
    _relay(billing_sandbox)
    states = OutboxWrite.objects.filter(source=f"review item {item.pk}", entity="Subscription")
    assert set(states.values_list("state", flat=True)) == {"delivered"}
    applied = billing_sandbox.app.counters["writes_applied"]["Subscription"]
    assert applied == len(package.lines)

    _sync(billing_sandbox)
    lines = ImisSubscription.objects.filter(party_id=joiner).order_by("item_code")
    assert sorted((r.item_code, r.billed_amount) for r in lines) == sorted(
        (li.item, li.amount) for li in package.lines
    )
    assert joiner not in {m.imis_id for m in newmember.new_members_without_billing(today=today)}


def test_an_edited_line_is_refused_with_what_to_do(joiner, billing_sandbox, make_user):
    from common.errors import DomainError
    from reviews.services import review_item_edit

    _sync(billing_sandbox)
    newmember.newmember_scan(today=billing_sandbox.association.today)
    item = ReviewItem.objects.get(kind=newmember.KIND, member_id=joiner)
    payload = {**item.payload, "lines": item.payload["lines"].replace("DUES-REG", "DUES-STU")}
    with pytest.raises(DomainError, match="The lines and prices come from the billing policy"):
        review_item_edit(item_id=item.pk, user=make_user(roles.FINANCE), payload=payload)
