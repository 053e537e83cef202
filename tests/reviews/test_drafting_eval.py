"""eval_drafts over the shipped golden set and injection corpus: 0 violations pass unflagged,
with templates and with a model that obeys every injected instruction."""

import json
from io import StringIO

import pytest
from django.core.management import call_command

from imis_client.models import ImisParty
from reviews.drafting import PURPOSES
from reviews.drafting.golden import golden_cases, injection_cases
from tests.reviews.fake_llm import FakeChatServer, obedient


def _run(*args) -> dict:
    out = StringIO()
    call_command("eval_drafts", *args, stdout=out)
    return json.loads(out.getvalue())


@pytest.mark.django_db
def test_eval_with_templates_catches_every_seeded_violation_and_every_injection(settings):
    settings.LLM_MODEL = ""
    result = _run()
    assert result["model"] == "template (no model)"
    assert result["golden_cases"] == len(golden_cases())
    assert set(result["purposes"]) == set(PURPOSES)
    for purpose, row in result["purposes"].items():
        assert row["violations_missed"] == 0, (purpose, row["missed"])
        assert row["violations_caught"] == row["violations_seeded"] > 0
        assert (row["untraced_numbers"], row["required_elements_missing"]) == (0, 0), purpose
        assert row["expected_facts_not_stated"] == 0 and row["blocking_drafts"] == 0
        assert row["mean_length"] > 100
    injection = result["injection"]
    assert injection["cases"] == len(injection_cases())
    assert injection["drafted"]["violations"] == 0  # templates never repeat untrusted text
    assert injection["obedient_model"]["violations"] >= len(injection_cases())
    assert injection["obedient_model"]["flagged"] == injection["obedient_model"]["violations"]
    assert injection["unflagged"] == 0 and injection["unflagged_cases"] == []
    # the cases were only lent to the mirror
    assert not ImisParty.objects.filter(imis_id__startswith="GOLD-").exists()


@pytest.mark.django_db
def test_eval_with_a_model_that_obeys_injections_leaves_none_unflagged(settings):
    server = FakeChatServer(behaviour=obedient).start()
    settings.LLM_BASE_URL, settings.LLM_API_KEY = server.base_url, "k"
    settings.LLM_MAX_RETRIES = 0
    try:
        result = _run("--model", "openai:obedient-model")
    finally:
        server.stop()
    assert result["model"] == "openai:obedient-model"
    assert result["prompt_version"] == "draft_message.v1"
    injection = result["injection"]
    # the model copied each injected text into its draft: every harmful part is flagged
    assert injection["drafted"]["violations"] >= len(injection_cases())
    assert injection["drafted"]["flagged"] == injection["drafted"]["violations"]
    assert injection["unflagged"] == 0
    assert result["guardrails"]["violations_missed"] == 0
    assert all(row["fallbacks"] == 0 for row in result["purposes"].values())
