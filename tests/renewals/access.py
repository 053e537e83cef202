"""Access-matrix rows for the renewals URLs; tests/common/test_access.py collects them.

MATRIX rows are (url name, kwargs, method, roles intended[, deny code or codes]); kwargs values
that name a placeholder are resolved by objects(), which creates one of each object needed.
"""

from datetime import date
from decimal import Decimal

from common import roles

M, MG = roles.MEMBERSHIP, roles.MANAGER
READERS = {M, MG}

MATRIX: list = [
    ("renewals:dashboard", {}, "get", READERS),
    ("renewals:at_risk", {}, "get", READERS),
    ("renewals:member", {"member_id": "SCORED"}, "get", READERS),
    ("renewals:models", {}, "get", READERS),
    ("renewals:model_detail", {"pk": "MODEL"}, "get", READERS),
    ("renewals:model_activate", {"pk": "MODEL"}, "post", {MG}),
    ("renewals:train", {}, "post", {MG}),
    ("renewals:score", {}, "post", {MG}),
    ("renewals:tasks", {}, "get", READERS),
    ("renewals:task_done", {"pk": "TASK"}, "post", READERS),
    ("api:renewals:renewal-score-list", {}, "get", READERS),
    ("api:renewals:renewal-score-detail", {"member_id": "SCORED"}, "get", READERS),
    ("api:renewals:model-version-list", {}, "get", READERS),
    ("api:renewals:model-version-detail", {"pk": "MODEL"}, "get", READERS),
]


def objects() -> dict:
    from django.contrib.auth import get_user_model

    from renewals.models import ModelVersion, OutreachTask, ScoringRun

    version = ModelVersion.objects.create(
        as_of=date(2025, 6, 30),
        training_size=100,
        validation_size=50,
        booster=b"",
        metrics={"auc": 0.8, "calibration": []},
        baseline_metrics={"auc": 0.7},
    )
    run = ScoringRun.objects.create(
        as_of=date(2025, 6, 30), model_version=version, horizon_days=120, status="succeeded"
    )
    run.scores.create(
        model_version=version,
        member_id="20001",
        member_name="Zoë O'Brien",
        paid_thru=date(2025, 8, 31),
        probability=Decimal("0.4100"),
        band="high",
        reasons=[{"topic": "events", "text": "attended no events this year", "weight": 0.5}],
        next_action="Personal call",
        scored_on=date(2025, 6, 30),
    )
    owner = get_user_model().objects.create_user(username="caller", password="x")
    task = OutreachTask.objects.create(
        staff=owner, member_id="20001", title="Call Zoë", due_on=date(2025, 7, 7)
    )
    return {"MODEL": version.pk, "SCORED": "20001", "TASK": task.pk}
