"""The board pack's summary written by a chat model (a local OpenAI-compatible server over real
HTTP): used when every number is one of the figures, refused for an untraced number, replaced by
the deterministic summary when the model fails; the page and the PDF say which was used."""

import io
import json
from datetime import date

import pytest
from django.urls import reverse
from pypdf import PdfReader

from common import roles
from common.boardpack import BoardPack, Figure, Section, board_pack
from dues.close.boardpack_summary import (
    FIGURES,
    MODEL,
    figure_facts,
    pack_summary,
    untraced_numbers,
)
from tests.reviews.fake_llm import FakeChatServer

pytestmark = pytest.mark.django_db

FAITHFUL = (
    "In March 2026 deferred dues revenue moved from $200.00 to $153.00.\n"
    "$17.00 was recognised and $30.00 adjusted; the journal differs by $0.00."
)


def _answer(body: str):
    return lambda request: {"body": body, "figures_used": ["revenue.recognised"]}


@pytest.fixture
def fake_llm(settings):
    server = FakeChatServer(behaviour=_answer(FAITHFUL)).start()
    settings.LLM_MODEL = "openai:local-test-model"
    settings.LLM_BASE_URL = server.base_url
    settings.LLM_API_KEY = "test-key"
    settings.LLM_TIMEOUT_S = 5
    settings.LLM_MAX_RETRIES = 0
    settings.LLM_STRUCTURED_OUTPUT = "json_schema"
    yield server
    server.stop()


def _page(client, make_user) -> str:
    client.force_login(make_user(roles.FINANCE))
    response = client.get(reverse("dues:revenue:boardpack"), {"month": "2026-03"})
    assert response.status_code == 200
    return response.content.decode()


def test_pack_summary_by_a_faithful_model_is_shown_and_says_so(
    client, make_user, month_with_revenue, fake_llm
):
    # when finance opens March's board pack with a model configured
    text = _page(client, make_user)
    # then the model's summary is the one shown, and the page says who wrote it
    assert "<p>In March 2026 deferred dues revenue moved from $200.00 to $153.00.</p>" in text
    assert (
        "Summary written by the language model openai:local-test-model from the figures below; "
        "every number in it was checked against them."
    ) in text
    assert "Every number in the summary is one of the figures below." in text
    assert "Cash application matched" not in text  # the deterministic summary is not shown
    # and only the pack's figures went to the model: no member or invoice of the month
    request = fake_llm.requests[-1]
    sent = json.dumps(request["messages"])
    assert "revenue.deferred_closing | Closing deferred revenue | $153.00" in sent
    assert "I1" not in sent and "M1" not in sent


def test_pack_summary_with_an_untraced_number_is_refused_for_the_deterministic_one(
    client, make_user, month_with_revenue, fake_llm
):
    fake_llm.behaviour = _answer(FAITHFUL + "\nThe renewal rate was 97 %, a record.")
    text = _page(client, make_user)
    assert "renewal rate was 97 %" not in text
    assert "Cash application matched" in text  # the deterministic summary
    assert (
        "Summary made from the figures (no model): the model&#x27;s summary was refused because "
        "it states “97 %”, which is not among the figures."
    ) in text


def test_pack_summary_falls_back_when_the_model_does_not_answer(
    month_with_revenue, fake_llm, settings
):
    settings.LLM_TIMEOUT_S = 0.3
    fake_llm.delay = 1.0
    pack = board_pack(month_with_revenue)
    summary = pack_summary(pack)
    assert summary.written_by == FIGURES and summary.lines == pack.summary
    assert summary.provenance == (
        "Summary made from the figures (no model): the model gave no summary: the model did not "
        "answer within 0.3 s (1 attempt)."
    )


def test_pack_summary_of_a_model_that_answers_nonsense_falls_back(month_with_revenue, fake_llm):
    fake_llm.behaviour = lambda request: "Here is your summary!"
    summary = pack_summary(board_pack(month_with_revenue))
    assert summary.written_by == FIGURES
    assert "the model's answer was not the requested structure" in summary.fallback_reason


def test_board_pack_pdf_says_the_model_wrote_its_summary(
    client, make_user, month_with_revenue, fake_llm
):
    client.force_login(make_user(roles.MANAGER))
    response = client.get(reverse("dues:revenue:boardpack_pdf", args=["2026-03"]))
    assert response.status_code == 200
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
    text = " ".join(text.split())
    assert "In March 2026 deferred dues revenue moved from $200.00 to $153.00." in text
    assert "Summary written by the language model openai:local-test-model" in text
    assert pack_summary(board_pack(month_with_revenue)).written_by == MODEL


def test_figure_facts_trace_the_figures_and_never_a_labels_number_as_an_amount():
    # given a pack whose labels and notes carry numbers of their own
    pack = BoardPack(
        date(2026, 11, 1),
        [
            Section(
                "receivables",
                "Receivables",
                [
                    Figure("receivables", "Open receivables", "$1,234.50"),
                    Figure("aging_over_90", "Aging Over 90 days", "$80.00"),
                    Figure("dso", "Days sales outstanding", "41 days", "as of 30 Nov 2026"),
                    Figure("difference", "Difference to the journal", "-$5.00"),
                ],
            ),
            Section(
                "renewals",
                "Renewals",
                [
                    Figure("renewal_rate", "Renewal rate", "84.2 %", "12 of 40 decided"),
                    Figure("lift", "Lift", "+2.1 points"),
                ],
            ),
        ],
    )
    facts = figure_facts(pack)
    faithful = [
        "Receivables stood at $1,234.50, with $80.00 over 90 days past due as of 30 Nov 2026.",
        "DSO was 41 days; the journal differs by -$5.00.",
        "Members renewed at 84.2% (12 of 40 decided), a lift of +2.1 points in November 2026.",
    ]
    assert untraced_numbers(faithful, facts) == []
    # a label's or a note's number is not an amount, and no other number passes
    invented = ["Renewals reached 97 %, $90 more than 84.3% of $1,234.00, DSO 42 days."]
    assert untraced_numbers(invented, facts) == ["97 %", "$90", "84.3%", "$1,234.00", "42"]
