"""The board pack: every app's section, a summary whose numbers are all figures, a CSV of the
figures, and a PDF whose pages carry the charts (rendered, then looked at as images)."""

import csv
import io
import subprocess

import pytest
from django.urls import reverse

from common import roles
from common.boardpack import board_pack
from dues.close.boardpack_summary import figure_facts, pack_summary, untraced_numbers

pytestmark = pytest.mark.django_db


def test_board_pack_has_every_section_and_a_traced_summary(month_with_revenue):
    pack = board_pack(month_with_revenue)

    assert [s.key for s in pack.sections] == [
        "renewals",
        "cash",
        "reviews",
        "receivables",
        "revenue",
        "adjustments",
    ]
    revenue = next(s for s in pack.sections if s.key == "revenue")
    values = {f.key: f.value for f in revenue.figures}
    assert values["deferred_opening"] == "$200.00"
    assert values["recognised"] == "$17.00"  # (200 - 30) over the ten months Mar..Dec
    assert values["deferred_adjusted"] == "$30.00"
    assert values["deferred_closing"] == "$153.00"
    assert "<svg" in revenue.chart
    assert untraced_numbers(pack.summary, figure_facts(pack)) == []
    assert pack_summary(pack).lines == pack.summary  # no model configured
    assert any("lift" in line or "hold-out" in line for line in pack.summary)


def test_board_pack_csv_lists_every_figure(client, make_user, month_with_revenue):
    client.force_login(make_user(roles.FINANCE))
    response = client.get(reverse("dues:revenue:boardpack_csv", args=["2026-03"]))
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert response["Content-Disposition"] == 'attachment; filename="board-pack-2026-03.csv"'
    closing = next(r for r in rows if r["figure"] == "deferred_closing")
    assert (closing["section"], closing["value"]) == ("revenue", "$153.00")
    assert {r["section"] for r in rows} >= {"renewals", "cash", "reviews", "receivables"}


def test_board_pack_pdf_renders_its_charts(client, make_user, month_with_revenue, tmp_path):
    client.force_login(make_user(roles.MANAGER))
    response = client.get(reverse("dues:revenue:boardpack_pdf", args=["2026-03"]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    pdf = tmp_path / "pack.pdf"
    pdf.write_bytes(response.content)
    subprocess.run(["pdftoppm", "-png", "-r", "60", str(pdf), str(tmp_path / "page")], check=True)
    pages = sorted(tmp_path.glob("page-*.png"))
    assert len(pages) >= 2
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True).stdout
    assert "Deferred dues revenue by month" in text  # the chart's title, drawn in the PDF
    assert "$153.00" in text
    from pathlib import Path

    keep = Path("test-artifacts/boardpack")
    keep.mkdir(parents=True, exist_ok=True)
    for page in pages:
        (keep / page.name).write_bytes(page.read_bytes())


def test_a_month_that_is_not_one_is_refused_with_what_to_write(client, make_user):
    client.force_login(make_user(roles.FINANCE))
    response = client.get(reverse("dues:revenue:boardpack"), {"month": "March"})
    assert response.status_code == 400
    assert "“March” is not a month; write it like 2026-11." in response.content.decode()
