"""The late-payment model on a generated association synced over HTTP: it learns the hidden
payment behaviour, beats "paid late last time", scores every open invoice into InvoiceRisk and a
CSV, refuses to activate a version that is not better, and its features do not leak labels."""

import csv
import json
from io import StringIO
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from scipy.stats import spearmanr

from common.ml import lifecycle
from common.ml.frames import day_number
from common.models import AuditEvent
from dues.collections import services
from dues.collections.features import Thresholds, compute_features, labels, settle
from dues.collections.frames import LateFrames, late_frames
from dues.models import InvoiceRisk, LatePaymentModel
from imis_client.models import ImisInvoice
from tests.renewals.conftest import AS_OF

pytestmark = pytest.mark.django_db(transaction=True)


def _train() -> dict:
    out = StringIO()
    call_command("train_late_payment_model", "--as-of", AS_OF.isoformat(), stdout=out)
    return json.loads(out.getvalue())


def test_model_learns_the_hidden_payment_behaviour_and_beats_the_rule(sandbox_mirror):
    result = _train()
    # validated on invoices due in the latest closed year, never trained on
    window = result["data_window"]
    assert window["train_due_to"] < window["validation_due_from"]
    assert window["validation_due_to"] < AS_OF.isoformat()
    model, rule = result["metrics"], result["baseline"]
    assert model["auc"] >= rule["auc"] + 0.05, (model, rule)
    assert model["pr_auc"] > rule["pr_auc"]
    assert model["brier"] < rule["brier"]
    assert model["lift_top_decile"] > rule["lift_top_decile"]
    version = LatePaymentModel.objects.get(pk=result["model_version"])
    assert version.status == LatePaymentModel.Status.ACTIVE
    assert set(version.baseline_metrics) >= {"auc", "pr_auc", "brier", "lift_top_decile"}
    assert AuditEvent.objects.filter(action="dues.collections.model_activated").count() == 1
    # the payers the sandbox made undisciplined (a hidden factor, never served) score higher
    validation = services.late_model_train(as_of=AS_OF)  # same data: a second, kept version
    assert validation.status == LatePaymentModel.Status.CANDIDATE
    truth = sandbox_mirror.truth.members["payment_discipline"]
    frames = late_frames()
    th = services.thresholds()
    settled = settle(frames)
    _, known = labels(frames, settled, as_of_day=day_number(AS_OF), th=th)
    rows = np.flatnonzero(known)
    features = compute_features(frames, settled, rows, th=th)
    p = services.load_model(version).probability(features)
    members = frames.invoices["sold_to_id"].to_numpy(object)[rows]
    discipline = truth.reindex(members).to_numpy(float)
    has = ~np.isnan(discipline)
    rho = spearmanr(p[has], discipline[has]).statistic
    assert rho < -0.15, rho


def test_score_invoices_writes_every_open_invoice_and_the_csv(sandbox_mirror, tmp_path):
    with pytest.raises(CommandError, match="No late-payment model is active"):
        call_command("score_invoices", stdout=StringIO())
    _train()
    path = tmp_path / "risk.csv"
    out = StringIO()
    call_command("score_invoices", "--csv", str(path), stdout=out)
    summary = json.loads(out.getvalue())
    open_invoices = ImisInvoice.objects.filter(
        deleted_at__isnull=True, is_open=True, balance__gt=0, invoice_date__isnull=False
    )
    expected = dict(open_invoices.values_list("imis_id", "sold_to_id"))
    assert summary["scored"] == len(expected) == InvoiceRisk.objects.count() > 0
    with path.open(newline="") as handle:
        rows = list(csv.reader(handle))
    assert rows[0] == ["invoice_id", "party_id", "probability"]
    assert {r[0]: r[1] for r in rows[1:]} == expected
    assert all(0.0 <= float(r[2]) <= 1.0 for r in rows[1:])
    risk = InvoiceRisk.objects.get(invoice_id=rows[1][0])
    assert risk.probability == pytest.approx(float(rows[1][2]), abs=1e-6)
    assert sum(summary["bands"].values()) == summary["scored"]
    # an invoice paid since is dropped at the next scoring
    gone = rows[1][0]
    ImisInvoice.objects.filter(imis_id=gone).update(is_open=False, balance=0)
    again = StringIO()
    call_command("score_invoices", stdout=again)
    assert json.loads(again.getvalue())["removed"] == 1
    assert not InvoiceRisk.objects.filter(invoice_id=gone).exists()


def test_a_version_not_better_than_the_rule_is_not_activated():
    result = SimpleNamespace(metrics={"auc": 0.64}, baseline_metrics={"auc": 0.66})
    comparison = lifecycle.compare(services.LATE_PAYMENT, None, result)
    assert comparison["decision"] == "keep"
    assert comparison["why"] == (
        'AUC 0.64 does not beat the "paid late last time" rule\'s 0.66 on the latest closed '
        "year of invoices"
    )


def test_a_version_no_better_than_the_active_one_stays_a_candidate(sandbox_mirror):
    first = _train()
    second = services.late_model_train(as_of=AS_OF)  # the same data: the same AUC, not higher
    assert second.status == LatePaymentModel.Status.CANDIDATE
    assert second.comparison["decision"] == "keep"
    assert LatePaymentModel.objects.get(status="active").pk == first["model_version"]


def _cut(frames: LateFrames, day: int) -> LateFrames:
    """The same mirror with every payment, failure and engagement from ``day`` on removed."""
    return LateFrames(
        parties=frames.parties,
        invoices=frames.invoices,
        payments=frames.payments[frames.payments["day"] < day].reset_index(drop=True),
        failures=frames.failures[frames.failures["day"] < day].reset_index(drop=True),
        engagement=frames.engagement[frames.engagement["day"] < day].reset_index(drop=True),
    )


def test_features_do_not_leak_what_happened_after_the_snapshot(sandbox_mirror):
    frames = late_frames()
    th = Thresholds()
    inv = frames.invoices
    cutoff = day_number(AS_OF) - 400
    # invoices issued on the cutoff day or before: their features are as of their issue day
    rows = np.flatnonzero(inv["invoice_day"].to_numpy() <= cutoff)
    assert len(rows) > 500
    full = compute_features(frames, settle(frames), rows, th=th)
    cut = _cut(frames, cutoff)
    before = compute_features(cut, settle(cut), rows, th=th)
    pd.testing.assert_frame_equal(full, before)
    # while their labels do depend on later payments (the test would notice a leak)
    late_full, _ = labels(frames, settle(frames), as_of_day=day_number(AS_OF), th=th)
    late_cut, _ = labels(cut, settle(cut), as_of_day=day_number(AS_OF), th=th)
    assert (late_full[rows] != late_cut[rows]).sum() > 20


def test_scoring_reads_only_open_invoices_parties_and_gets_the_same_features(sandbox_mirror):
    th = Thresholds()

    def open_features(frames: LateFrames) -> pd.DataFrame:
        inv = frames.invoices
        rows = np.flatnonzero(inv["is_open"].to_numpy(bool) & (inv["balance"].to_numpy() > 0))
        features = compute_features(frames, settle(frames), rows, th=th)
        features.index = inv["invoice_id"].to_numpy(object)[rows]
        return features.sort_index()

    full, narrow = late_frames(), late_frames(open_only=True)
    assert len(narrow.invoices) < len(full.invoices)
    assert len(narrow.engagement) < len(full.engagement)
    pd.testing.assert_frame_equal(open_features(full), open_features(narrow))


def test_features_carry_the_invoices_autopay_instruction(sandbox_mirror):
    # given the sandbox's members, some of whom keep a card on auto-pay (synced over HTTP)
    on = set(
        ImisInvoice.objects.exclude(autopay_instruction_id="").values_list("imis_id", flat=True)
    )
    assert on
    # when the late-payment frames and features are built
    frames = late_frames()
    inv = frames.invoices
    flagged = set(inv.loc[inv["autopay"].astype(bool), "invoice_id"])
    features = compute_features(frames, settle(frames), np.arange(len(inv)), th=Thresholds())
    # then exactly those invoices carry the auto-pay feature
    assert flagged == on & set(inv["invoice_id"])
    assert int(features["autopay"].sum()) == len(flagged)
