"""In a real Chromium: an administrator syncs from the sandbox and staff find a member."""

import re

import pytest

from common import roles
from imis_client import models as m
from tests.conftest import browser_login, screenshot

pytestmark = pytest.mark.browser


@pytest.fixture
def worker_env(sandbox):
    return {
        "IMIS_BASE_URL": sandbox.base_url,
        "IMIS_USERNAME": "sandbox",
        "IMIS_PASSWORD": "sandbox",
    }


def test_administrator_syncs_now_and_sees_the_counts(page, make_user, sandbox, worker):
    make_user(roles.ADMINISTRATOR)
    browser_login(page, "arjun")
    page.goto("/sync/")
    page.get_by_role("button", name="Full re-read").click()
    assert re.match(
        r"A full sync was queued as job #\d+", page.locator(".message-success").inner_text()
    )
    # the entity table fills in by itself as the worker finishes
    party_row = page.locator('#sync-entities tr[data-entity="party"] td.num').first
    party_row.filter(has_text=re.compile(r"^[1-9][\d,]*$")).wait_for(timeout=60_000)
    page.locator('#sync-entities tr[data-entity="relationship_owner"] td.num').first.filter(
        has_text=re.compile(r"^[1-9]")
    ).wait_for(timeout=60_000)
    assert party_row.inner_text().replace(",", "") == str(m.ImisParty.objects.count())
    screenshot(page, "sync-status")


def test_staff_search_members_and_open_one(page, make_user, client, sandbox):
    from imis_client.services import sync_run_execute

    sync_run_execute(full=True, client=client)
    make_user(roles.FINANCE)
    person = (
        m.ImisParty.objects.filter(is_organization=False, primary_org_id__gt="")
        .order_by("imis_id")
        .first()
    )
    browser_login(page, "frank")
    page.get_by_role("link", name="Members").click()
    page.get_by_label("Search").fill(person.last_name)
    page.locator("#members a", has_text=person.name).first.wait_for()
    screenshot(page, "members")
    page.locator("#members a", has_text=person.name).first.click()
    page.get_by_role("heading", name=re.compile(re.escape(person.name))).wait_for()
    assert page.get_by_role("heading", name="Invoices").is_visible()
    screenshot(page, "member-detail")
