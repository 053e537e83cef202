"""Fixtures of the billing tests: a sandbox association with billing scenarios, synced."""

from datetime import timedelta

import pytest

from imis_client.client import ImisClient
from imis_client.services import sync_run_execute

BILLING_ENTITIES = ["party", "subscription", "invoice", "item_price"]


@pytest.fixture
def billing_association():
    """An association of 1,200 members with chapter and subscription items, their lines on
    recent invoices, and mis-billed and unusual-but-right invoices of every kind."""
    from sandbox.imis import generate
    from sandbox.imis.billing import add_billing
    from sandbox.imis.generator import DEFAULT_AS_OF

    association = generate(1200, seed=15, as_of=DEFAULT_AS_OF)
    association.set_item_shape("itemprice")
    add_billing(association, rate=0.01)
    return association


@pytest.fixture
def billing_sandbox(billing_association):
    from sandbox.imis import SandboxApp, SandboxServer

    with SandboxServer(SandboxApp(billing_association, token_ttl=600)) as server:
        yield server


@pytest.fixture
def billing_mirror(billing_sandbox, transactional_db):
    """The billing association synced into the mirror over HTTP; returns the window's start."""
    with ImisClient(billing_sandbox.base_url, "sandbox", "sandbox", concurrency=2) as client:
        run = sync_run_execute(full=True, only=BILLING_ENTITIES, client=client)
    assert run.status == "succeeded", run.results
    association = billing_sandbox.association
    return association.today - timedelta(days=120)
