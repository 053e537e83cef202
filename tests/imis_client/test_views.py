"""Members, member detail, sync and outbox pages, and the read-only API, over a synced sandbox."""

import pytest
from django.urls import reverse

from common import roles
from imis_client import models as m
from imis_client.services import sync_run_execute
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db(transaction=True)  # the sync commits on its own thread


@pytest.fixture
def synced(client, sandbox):
    sync_run_execute(full=True, client=client)


@pytest.fixture
def staff(client, make_user):
    from django.test import Client

    make_user(roles.MEMBERSHIP)
    make_user(roles.ADMINISTRATOR)
    browser = Client()
    browser.login(username="maya", password=PASSWORD)
    return browser


def test_member_search_by_name_word_id_and_email(synced, staff):
    person = (
        m.ImisParty.objects.filter(is_organization=False).exclude(email="").order_by("imis_id")[3]
    )
    by_name = staff.get(reverse("imis_client:member_list"), {"q": person.last_name}).context["page"]
    assert person.pk in [p.pk for p in by_name.items]
    by_id = staff.get(reverse("imis_client:member_list"), {"q": person.imis_id}).context["page"]
    assert next(p.imis_id for p in by_id.items) == person.imis_id
    by_email = staff.get(reverse("imis_client:member_list"), {"q": person.email.upper()})
    assert [p.imis_id for p in by_email.context["page"].items] == [person.imis_id]


def test_member_filters_and_paid_thru_window(synced, staff):
    chapter = m.ImisParty.objects.exclude(chapter="").values_list("chapter", flat=True).first()
    page = staff.get(
        reverse("imis_client:member_list"),
        {"chapter": chapter, "paid_from": "2025-01-01", "paid_to": "2025-12-31", "status": "A"},
    ).context["page"]
    assert page.items
    for p in page.items:
        assert p.chapter == chapter and p.status == "A"
        assert "2025-01-01" <= p.paid_thru.isoformat() <= "2025-12-31"


def test_member_list_bad_date_says_what_to_fix(synced, staff):
    html = staff.get(reverse("imis_client:member_list"), {"paid_from": "31/12/2025"}).content
    assert b"is not a date: use the date picker or YYYY-MM-DD" in html


def test_member_list_sorts_and_pages_without_repeats(synced, staff):
    seen, cursor = [], None
    while True:
        params = {"sort": "-paid_thru"} | ({"cursor": cursor} if cursor else {})
        page = staff.get(reverse("imis_client:member_list"), params).context["page"]
        seen.extend((p.paid_thru, p.imis_id) for p in page.items)
        cursor = page.next_cursor
        if not cursor:
            break
    assert seen == sorted(seen, reverse=True)
    assert len(seen) == m.ImisParty.objects.filter(paid_thru__isnull=False).count()


def test_member_detail_shows_invoices_subscriptions_and_activity(synced, staff):
    invoice = m.ImisInvoice.objects.filter(is_open=True).first()
    party = m.ImisParty.objects.get(imis_id=invoice.sold_to_id)
    html = staff.get(reverse("imis_client:member_detail", args=[party.imis_id])).content.decode()
    assert invoice.number in html
    assert "Subscriptions" in html and "Activity timeline" in html
    assert "Open balance" in html
    paid = m.ImisActivity.objects.filter(activity_type="DUES").first()
    html = staff.get(reverse("imis_client:member_detail", args=[paid.party_id])).content.decode()
    payments = html.split("<h2>Payments</h2>")[1].split("</table>")[0]
    assert str(paid.amount) in payments


def test_member_detail_unknown_id_is_404(synced, staff):
    assert staff.get(reverse("imis_client:member_detail", args=["nope"])).status_code == 404


def test_names_from_imis_are_escaped(staff):
    from django.utils import timezone

    m.ImisParty.objects.create(
        imis_id="1",
        name="<img src=x onerror=alert(1)>",
        raw={},
        raw_hash=0,
        synced_at=timezone.now(),
    )
    html = staff.get(reverse("imis_client:member_list")).content.decode()
    assert "<img src=x" not in html and "&lt;img src=x onerror=alert(1)&gt;" in html


def test_sync_page_lists_every_entity_with_counts(synced, staff):
    from django.test import Client

    admin = Client()
    admin.login(username="arjun", password=PASSWORD)
    html = admin.get(reverse("imis_client:sync_status")).content.decode()
    for entity in ("party", "subscription", "invoice", "activity", "relationship_owner"):
        assert f'data-entity="{entity}"' in html
    assert f"{m.ImisParty.objects.count():,}" in html


def test_sync_problems_page_names_the_field(client, sandbox, association, make_user):
    from django.test import Client

    association.malform("Party", ["10007"], kind="bad_date")
    sync_run_execute(full=True, client=client)
    make_user(roles.MANAGER)
    manager = Client()
    manager.login(username="grace", password=PASSWORD)
    html = manager.get(reverse("imis_client:sync_problems")).content.decode()
    assert "10007" in html and "JoinDate" in html
    home = manager.get(reverse("home")).content.decode()
    assert "iMIS records that did not sync" in home


def test_api_members_filters_and_detail(synced, staff):
    chapter = m.ImisParty.objects.exclude(chapter="").values_list("chapter", flat=True).first()
    body = staff.get(reverse("api:imis_client:member-list"), {"chapter": chapter}).json()
    assert body["results"] and all(r["chapter"] == chapter for r in body["results"])
    assert "next" in body
    member = body["results"][0]["imis_id"]
    detail = staff.get(reverse("api:imis_client:member-detail", args=[member])).json()
    assert detail["imis_id"] == member and "subscriptions" in detail and "invoices" in detail


def test_api_sync_runs_are_for_managers_and_administrators(synced, staff, make_user):
    from django.test import Client

    assert staff.get(reverse("api:imis_client:sync-run-list")).status_code == 403
    make_user(roles.MANAGER)
    manager = Client()
    manager.login(username="grace", password=PASSWORD)
    runs = manager.get(reverse("api:imis_client:sync-run-list")).json()["results"]
    assert runs[0]["status"] == "succeeded" and runs[0]["results"]["party"]["created"] > 0


def test_sync_started_twice_queues_one_job_and_says_which(make_user):
    from django.test import Client

    from common.models import JobRun
    from imis_client.tasks import sync_scheduled_task

    make_user(roles.ADMINISTRATOR)
    admin = Client()
    admin.login(username="arjun", password=PASSWORD)
    admin.post(reverse("imis_client:sync_start"), {"full": "1"})
    again = admin.post(reverse("imis_client:sync_start"), follow=True).content.decode()
    job = JobRun.objects.get(kind="imis_client.sync")
    assert f"Sync from iMIS is already queued (job #{job.pk}); wait for it to finish." in again
    # and the schedule does not queue another behind it
    assert sync_scheduled_task() is None
    assert JobRun.objects.filter(kind="imis_client.sync").count() == 1
