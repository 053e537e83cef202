"""Training on generated data: time-based validation against the engagement baseline, the
activation rule, and reasons that name the largest contributions."""

import json
from io import StringIO
from types import SimpleNamespace

import numpy as np
import pytest
from django.core.management import call_command
from django.urls import reverse

from common.errors import DomainError
from common.models import AuditEvent, JobRun
from renewals import services
from renewals.conf import renewal_settings
from renewals.features import compute_features
from renewals.models import ModelVersion
from renewals.reasons import top_reasons, topic_contributions
from renewals.scoring import members_to_score
from renewals.selectors import day_number
from tests.conftest import PASSWORD, wait_for
from tests.renewals.conftest import AS_OF

pytestmark = pytest.mark.django_db(transaction=True)


def test_train_command_beats_the_engagement_baseline_on_the_latest_closed_cycle(sandbox_mirror):
    # when a model is trained as of 30 June 2025
    out = StringIO()
    call_command("train_churn_model", "--as-of", AS_OF.isoformat(), stdout=out)
    result = json.loads(out.getvalue())
    # then it was validated on the cycle that closed last, which it never trained on
    window = result["data_window"]
    assert window["train_due_to"] < window["validation_due_from"]
    assert window["validation_due_from"] == "2024-04-30"
    assert window["validation_due_to"] == "2025-03-31"
    # and it ranks and predicts lapses better than the engagement-percentile rule
    model, baseline = result["metrics"], result["baseline"]
    assert model["auc"] >= baseline["auc"] + 0.03, (model, baseline)
    assert model["pr_auc"] > baseline["pr_auc"]
    assert model["brier"] < baseline["brier"]
    assert model["lift_top_decile"] > baseline["lift_top_decile"]
    calibration = result["calibration"]
    assert len(calibration) == 10
    assert sum(row["n"] for row in calibration) == result["validation_size"]
    # the first version becomes active, with what it was trained on kept beside it
    version = ModelVersion.objects.get(pk=result["model_version"])
    assert version.status == ModelVersion.Status.ACTIVE
    assert version.training_size == result["training_size"] > version.validation_size
    shares = [row["share"] for row in version.importances]
    assert shares == sorted(shares, reverse=True)
    # measured per member type too, organisation members among them
    by_type = version.metrics["by_member_type"]
    assert {"REG", "CORP"} <= set(by_type)
    assert sum(row["n"] for row in by_type.values()) == version.validation_size
    # and the training distribution of its inputs is kept, for drift
    assert "dues_change_pct" in version.feature_spec["reference"]
    assert sum(shares) == pytest.approx(1.0, abs=0.01)
    assert AuditEvent.objects.filter(action="renewals.model_activated").count() == 1


def test_a_new_version_is_activated_only_when_it_measures_better(sandbox_mirror, staff):
    first = services.model_version_train(as_of=AS_OF)
    # when a second version is trained on the same data, it measures no better
    second = services.model_version_train(as_of=AS_OF)
    second.refresh_from_db()
    first.refresh_from_db()
    assert second.comparison["decision"] == "keep"
    assert second.comparison["active_auc"] == second.metrics["auc"]
    assert (first.status, second.status) == ("active", "candidate")
    # then a manager may still activate it, which retires the first
    services.model_version_activate(version_id=second.pk, user=staff["grace"])
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, second.status) == ("retired", "active")
    assert second.activated_by == staff["grace"]
    with pytest.raises(DomainError, match=rf"^Model v{second.pk} is already the active one\.$"):
        services.model_version_activate(version_id=second.pk, user=staff["grace"])


def test_reasons_name_the_largest_contributions(sandbox_mirror):
    version = services.model_version_train(as_of=AS_OF)
    model = services.load_model(version)
    conf = renewal_settings()
    frames = services.load_frames(conf)
    snaps = members_to_score(
        frames, as_of_day=day_number(AS_OF), horizon_days=120, grace_days=conf.grace_days
    )
    features = compute_features(frames, snaps, data_day=day_number(AS_OF), config=conf.features)
    probability, contributions = model.explain(features)
    # the contributions add up to the model's own prediction
    assert np.allclose(probability, model.probability(features), atol=1e-5)
    reasons = top_reasons(features[model.features], contributions, model.features)
    topics, by_topic = topic_contributions(contributions, model.features)
    risky = np.flatnonzero(probability >= conf.high_risk)
    assert len(risky) > 20
    for i in risky:
        order = np.argsort(-by_topic[i])
        assert [r["topic"] for r in reasons[i]] == [topics[j] for j in order[: len(reasons[i])]]
        assert reasons[i][0]["weight"] == pytest.approx(by_topic[i, order[0]], abs=1e-3)
        assert all(r["text"] and "nan" not in r["text"] for r in reasons[i])


def test_manager_starts_training_on_the_models_page_and_a_worker_runs_it(
    sandbox_mirror, staff, worker, client
):
    client.login(username="grace", password=PASSWORD)
    refused = client.post(reverse("renewals:train"), {"as_of": "30/06/2025"}, follow=True)
    assert "“30/06/2025” is not a date; use YYYY-MM-DD, or leave it empty." in (
        refused.content.decode()
    )
    response = client.post(reverse("renewals:train"), {"as_of": AS_OF.isoformat()}, follow=True)
    job = JobRun.objects.get(kind="renewals.train")
    assert f"Training started as job #{job.pk}; follow it below." in response.content.decode()
    job = wait_for(
        lambda: JobRun.objects.filter(pk=job.pk, status__in=JobRun.FINISHED).first(), timeout=180
    )
    assert job.status == "succeeded", job.error
    assert job.stage == "Measuring on the latest closed cycle"
    version = ModelVersion.objects.get(pk=job.result["model_version"])
    assert version.status == "active"
    assert job.result["metrics"]["auc"] == version.metrics["auc"]


def test_a_version_that_does_not_beat_the_engagement_rule_is_not_activated():
    # given a candidate measured no better than the engagement rule on the latest closed cycle
    result = SimpleNamespace(metrics={"auc": 0.61}, baseline_metrics={"auc": 0.63})
    # when compared, with no version active
    comparison = services._compare(None, result)
    # then it is kept as a candidate, and the reason says why
    assert comparison["decision"] == "keep"
    assert comparison["why"] == (
        "AUC 0.61 does not beat the engagement rule's 0.63 on the latest closed cycle"
    )


def test_retraining_is_scheduled_monthly():
    from renewals.schedules import SCHEDULES

    (monthly,) = [s for s in SCHEDULES if s["name"] == "renewals.train_monthly"]
    assert (monthly["func"], monthly["schedule_type"]) == (
        "renewals.tasks.train_churn_model_task",
        "M",
    )
