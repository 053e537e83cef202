"""rows_update: many rows' fields in one UPDATE, as save(update_fields=...) would write them."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from common.bulk import rows_update
from common.models import JobRun

pytestmark = pytest.mark.django_db


def test_rows_update_writes_each_rows_own_values_in_one_statement():
    runs = [JobRun.objects.create(kind="k", label=f"run {n}") for n in range(3)]
    before = [run.updated_at for run in runs]
    runs[0].status, runs[0].result, runs[0].total = "running", {"a": [1, "x"]}, 7
    runs[1].status, runs[1].result, runs[1].total = "failed", None, None
    runs[2].started_at = timezone.now() - timedelta(hours=1)

    with CaptureQueriesContext(connection) as queries:
        assert rows_update(runs, ["status", "result", "total", "started_at"]) == 3

    assert len(queries) == 1
    fresh = {run.pk: run for run in JobRun.objects.filter(pk__in=[r.pk for r in runs])}
    for run, was in zip(runs, before, strict=True):
        got = fresh[run.pk]
        assert (got.status, got.result, got.total, got.started_at) == (
            run.status,
            run.result,
            run.total,
            run.started_at,
        )
        assert got.updated_at == run.updated_at > was  # auto_now, as save() sets it


def test_rows_update_of_nothing_writes_nothing():
    with CaptureQueriesContext(connection) as queries:
        assert rows_update([], ["status"]) == 0
    assert len(queries) == 0
