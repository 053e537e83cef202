"""Fixtures: clients that talk to the sandbox iMIS (``sandbox`` in tests/conftest.py)."""

import pytest

from imis_client.client import ImisClient
from imis_client.contracts import ContractError


class RecordingSleep:
    """Stands in for time.sleep in the client's backoff: records each wait, waits very little."""

    def __init__(self):
        self.waits: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


@pytest.fixture
def waits():
    return RecordingSleep()


@pytest.fixture
def client(sandbox, waits):
    with ImisClient(
        sandbox.base_url, "sandbox", "sandbox", timeout=5, sleep=waits, concurrency=3
    ) as c:
        yield c


def fetch_all(server, endpoint: str, params: dict | None = None) -> dict[str, dict]:
    """Every readable record of an endpoint as iMIS serves it now, by mirror id, faults off."""
    from imis_client.sync_entities import entities

    spec = next(e for e in entities() if e.endpoint == endpoint)
    server.faults.clear()
    with ImisClient(server.base_url, "sandbox", "sandbox", concurrency=1) as plain:
        out = {}
        for page in plain.iter_pages(endpoint, {**spec.params, **(params or {})}):
            for record in page.items:
                try:
                    out[spec.parse(record, _ctx(spec.name))["imis_id"]] = record
                except ContractError:
                    continue  # quarantined by the sync, so not expected in the mirror

        return out


def _ctx(name):
    from zoneinfo import ZoneInfo

    from django.conf import settings

    from imis_client.contracts import Ctx

    return Ctx(name, None, ZoneInfo(settings.IMIS_TIME_ZONE))
