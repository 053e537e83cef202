"""Fixtures of the inquiry tests: the billing association synced over HTTP (members with emails,
open invoices with their lines, prorated and duplicate invoices), and signed inbound email."""

import json

import pytest

from dues.inquiries import intake
from imis_client.client import ImisClient
from imis_client.models import ImisInvoice, ImisParty
from imis_client.services import sync_run_execute
from tests.dues.billing.conftest import (  # noqa: F401  (fixtures of the browser tests)
    BILLING_ENTITIES,
    billing_association,
    billing_mirror,
    billing_sandbox,
)

SECRET = "inbound-test-7c1e0a9d"


ENTITIES = [*BILLING_ENTITIES, "activity"]


@pytest.fixture(scope="module")
def inquiry_mirror(django_db_setup, django_db_blocker):
    """A billing association of 600 members synced over HTTP once for the module (committed);
    each test runs in a transaction rolled back over it, and the module flushes it at the end.
    Returns the running sandbox."""
    from django.core.management import call_command

    from sandbox.imis import SandboxApp, SandboxServer, generate
    from sandbox.imis.billing import add_billing
    from sandbox.imis.generator import DEFAULT_AS_OF

    association = generate(600, seed=19, as_of=DEFAULT_AS_OF)
    association.set_item_shape("itemprice")
    add_billing(association, rate=0.02)
    with SandboxServer(SandboxApp(association, token_ttl=600)) as server:
        with django_db_blocker.unblock():
            with ImisClient(server.base_url, "sandbox", "sandbox", concurrency=2) as client:
                run = sync_run_execute(full=True, only=ENTITIES, client=client)
            assert run.status == "succeeded", run.results
        yield server
        with django_db_blocker.unblock():
            call_command("flush", interactive=False, verbosity=0)


@pytest.fixture
def mirror(inquiry_mirror, db):
    return inquiry_mirror


@pytest.fixture(autouse=True)
def inquiry_settings(settings):
    settings.INQUIRY_WEBHOOK_SECRET = SECRET
    settings.INQUIRY_CONFIDENCE_FLOOR = 0.6
    settings.LLM_MODEL = ""


def signed_post(client, payload: dict, *, secret: str = SECRET, header: str | None = None):
    body = json.dumps(payload).encode()
    signature = header if header is not None else intake.sign(body, secret=secret)
    return client.post(
        "/webhooks/inbound-email/",
        data=body,
        content_type="application/json",
        HTTP_X_INQUIRY_SIGNATURE=signature,
    )


def truth_rows(association, scenario: str) -> list:
    return [r for r in association.truth.billing.itertuples() if r.scenario == scenario]


def member_alone_on_email() -> ImisParty:
    """A member whose email address no other record shares."""
    from django.db.models import Count

    unique = (
        ImisParty.objects.exclude(email="")
        .values("email")
        .annotate(n=Count("id"))
        .filter(n=1)
        .values("email")
    )
    return ImisParty.objects.filter(email__in=unique, is_organization=False).order_by("imis_id")[0]


def member_with_open_invoice(association, scenario: str) -> tuple[ImisParty, ImisInvoice]:
    """A member (with an email) whose open invoice is of the sandbox's billing scenario."""
    for row in truth_rows(association, scenario):
        invoice = ImisInvoice.objects.filter(imis_id=row.invoice_id, is_open=True).first()
        if invoice is None:
            continue
        party = ImisParty.objects.filter(imis_id=invoice.sold_to_id).exclude(email="").first()
        if party is not None:
            return party, invoice
    raise AssertionError(f"the sandbox has no open {scenario} invoice of a member with an email")
