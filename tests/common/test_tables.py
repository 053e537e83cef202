"""Keyset pagination: every row exactly once across pages, even with ties in the sort column."""

import pytest

from common.models import JobRun
from common.tables import keyset_paginate

ALLOWED = {"id": "id", "kind": "kind", "created": "created_at"}


@pytest.mark.django_db
@pytest.mark.parametrize("sort", ["kind", "-kind", "created", "-created", "id", "-id"])
def test_keyset_paginate_visits_every_row_once(sort):
    JobRun.objects.bulk_create(
        [JobRun(kind=f"k{i % 3}", label=str(i)) for i in range(53)]  # many ties on kind
    )
    seen, cursor = [], None
    while True:
        page = keyset_paginate(
            JobRun.objects.all(), sort=sort, allowed=ALLOWED, default="-id", cursor=cursor, size=10
        )
        seen.extend(job.pk for job in page.items)
        cursor = page.next_cursor
        if not cursor:
            break
    assert sorted(seen) == sorted(JobRun.objects.values_list("pk", flat=True))
    assert len(seen) == len(set(seen))


@pytest.mark.django_db
def test_keyset_paginate_ignores_unknown_sort_and_damaged_cursor():
    JobRun.objects.create(kind="a", label="a")
    page = keyset_paginate(
        JobRun.objects.all(), sort="password", allowed=ALLOWED, default="-id", cursor="%%%", size=10
    )
    assert page.sort == "-id"
    assert len(page.items) == 1
