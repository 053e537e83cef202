"""Renewal pages and API: at-risk members with reasons, score history, model versions, calls."""

from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse

from common import roles
from renewals.models import ModelVersion, OutreachTask, ScoringRun
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


def _version(status="active", auc=0.81):
    return ModelVersion.objects.create(
        status=status,
        as_of=date(2025, 6, 30),
        training_size=900,
        validation_size=400,
        booster=b"",
        metrics={"auc": auc, "brier": 0.09, "calibration": []},
        baseline_metrics={"auc": 0.72},
        data_window={"validation_due_from": "2024-04-30"},
    )


def _run(version, day: date, rows):
    run = ScoringRun.objects.create(
        as_of=day, model_version=version, horizon_days=120, status="succeeded"
    )
    for member_id, name, p, band in rows:
        run.scores.create(
            model_version=version,
            member_id=member_id,
            member_name=name,
            chapter="NE",
            paid_thru=date(2025, 8, 31),
            probability=Decimal(p),
            band=band,
            scored_on=day,
            reasons=[
                {"topic": "employer", "text": "employer no longer pays the dues", "weight": 1.2}
            ],
            next_action="Call: offer an individual rate now the employer no longer pays",
        )
    return run


@pytest.fixture
def maya(make_user, client):
    user = make_user(roles.MEMBERSHIP)
    client.login(username=user.username, password=PASSWORD)
    return user


def test_api_lists_the_latest_run_riskiest_first_with_reasons(client, maya):
    version = _version()
    _run(version, date(2025, 6, 29), [("5001", "Ann", "0.2000", "medium")])
    _run(
        version,
        date(2025, 6, 30),
        [
            ("5001", "Ann", "0.4500", "high"),
            ("5002", "Bo", "0.6100", "high"),
            ("5003", "Cy", "0.0300", "low"),
        ],
    )
    response = client.get(reverse("api:renewals:renewal-score-list"), {"band": "high"})
    assert response.status_code == 200
    results = response.json()["results"]
    assert [(r["member_id"], r["probability"]) for r in results] == [
        ("5002", "0.6100"),
        ("5001", "0.4500"),
    ]
    assert results[0]["reasons"][0]["text"] == "employer no longer pays the dues"
    assert results[0]["model_version"] == version.pk
    detail = client.get(reverse("api:renewals:renewal-score-detail", args=["5001"])).json()
    assert detail["latest"]["band"] == "high"
    assert [h["scored_on"] for h in detail["history"]] == ["2025-06-30", "2025-06-29"]
    missing = client.get(reverse("api:renewals:renewal-score-detail", args=["9999"]))
    assert missing.status_code == 404


def test_api_shows_model_versions_with_their_baseline(client, maya):
    version = _version()
    data = client.get(reverse("api:renewals:model-version-detail", args=[version.pk])).json()
    assert (data["metrics"]["auc"], data["baseline_metrics"]["auc"]) == (0.81, 0.72)
    assert "booster" not in data


def test_at_risk_page_filters_by_band_and_escapes_names(client, maya):
    _run(
        _version(),
        date(2025, 6, 30),
        [("5011", "<b>Eve</b>", "0.5000", "high"), ("5012", "Finn", "0.0200", "low")],
    )
    html = client.get(reverse("renewals:at_risk"), {"band": "high"}).content.decode()
    assert "&lt;b&gt;Eve&lt;/b&gt;" in html and "<b>Eve</b>" not in html
    assert "Finn" not in html
    assert "employer no longer pays the dues" in html


def test_member_page_shows_reasons_history_and_next_action(client, maya):
    version = _version()
    _run(version, date(2025, 6, 29), [("5021", "Gil", "0.2000", "medium")])
    _run(version, date(2025, 6, 30), [("5021", "Gil", "0.3300", "high")])
    html = client.get(reverse("renewals:member", args=["5021"])).content.decode()
    assert "33%" in html and "20%" in html
    assert "Call: offer an individual rate now the employer no longer pays" in html


def test_manager_activates_a_candidate_and_the_previous_one_retires(client, make_user):
    make_user(roles.MANAGER)
    client.login(username="grace", password=PASSWORD)
    old, new = _version(), _version(status="candidate", auc=0.79)
    response = client.post(reverse("renewals:model_activate", args=[new.pk]), follow=True)
    assert f"Model v{new.pk} is now active; scoring uses it." in response.content.decode()
    old.refresh_from_db()
    new.refresh_from_db()
    assert (old.status, new.status) == ("retired", "active")


def test_only_the_caller_can_close_their_call(client, maya, make_user):
    other = make_user(roles.MEMBERSHIP, "jo")
    task = OutreachTask.objects.create(
        staff=other, member_id="5031", title="Call Hal", due_on=date(2025, 7, 7)
    )
    response = client.post(reverse("renewals:task_done", args=[task.pk]), follow=True)
    assert "This call is on someone else&#x27;s list; only they can close it." in (
        response.content.decode()
    )
    mine = OutreachTask.objects.create(
        staff=maya, member_id="5032", title="Call Ida", due_on=date(2025, 7, 7)
    )
    client.post(reverse("renewals:task_done", args=[mine.pk]), {"outcome": "Renewing online"})
    mine.refresh_from_db()
    assert (mine.status, mine.outcome) == ("done", "Renewing online")


def test_model_page_shows_auc_per_member_type_and_feature_drift(client, maya):
    # given a version measured per member type, and a scoring run that compared its inputs
    version = _version()
    version.metrics["by_member_type"] = {
        "CORP": {"n": 40, "base_rate": 0.1, "auc": 0.77},
        "REG": {"n": 300, "base_rate": 0.15, "auc": 0.82},
    }
    version.save()
    run = _run(version, date(2025, 6, 29), [])
    run.analysis = {"feature_drift": [{"feature": "dues_change_pct", "psi": 0.31}]}
    run.save()
    # when the model page is read
    page = client.get(reverse("renewals:model_detail", args=[version.pk])).content.decode()
    # then both show
    assert (
        '<td>CORP</td><td class="num">40</td><td class="num">10%</td><td class="num">0.77</td>'
        in (page)
    )
    assert "dues_change_pct" in page and "0.31" in page and "shifted" in page
