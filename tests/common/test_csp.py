"""Content-Security-Policy: every page carries the strict policy, and no template needs more."""

import re

import pytest
from django.test import Client
from django.urls import reverse

from common import roles
from tests.conftest import ROOT

STRICT = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' data:",
    "object-src": "'none'",
    "base-uri": "'self'",
    "frame-ancestors": "'none'",
    "form-action": "'self'",
}


def directives(header: str) -> dict[str, str]:
    parts = (part.strip().split(" ", 1) for part in header.split(";") if part.strip())
    return {name: value for name, value in parts}


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("role", "url_name"),
    [
        (None, "login"),
        (roles.MANAGER, "home"),
        (roles.FINANCE, "api_docs"),
        (roles.ADMINISTRATOR, "admin:index"),
    ],
)
def test_pages_carry_the_strict_policy_without_unsafe_inline(client, make_user, role, url_name):
    if role:
        client.force_login(make_user(role))
    response = client.get(reverse(url_name))
    assert response.status_code == 200
    header = response["Content-Security-Policy"]
    assert directives(header) == STRICT
    assert "unsafe-inline" not in header and "unsafe-eval" not in header


@pytest.mark.django_db
def test_a_json_response_carries_the_policy_too():
    response = Client().get(reverse("healthz"))
    assert directives(response["Content-Security-Policy"]) == STRICT


INLINE_HANDLER = re.compile(r"\son[a-z]+\s*=", re.IGNORECASE)
STYLE_ATTRIBUTE = re.compile(r"\sstyle\s*=", re.IGNORECASE)
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\ssrc=)[^>]*>", re.IGNORECASE)


def test_no_template_has_an_inline_handler_style_attribute_or_inline_script():
    # the browser test reports what the policy refuses on the pages it visits; this catches the
    # pages and branches it does not reach
    found = []
    for path in sorted((ROOT / "templates").rglob("*.html")):
        text = path.read_text(encoding="utf-8")
        for pattern, what in (
            (INLINE_HANDLER, "inline event handler"),
            (STYLE_ATTRIBUTE, "style attribute"),
            (INLINE_SCRIPT, "inline script"),
        ):
            for match in pattern.finditer(text):
                line = text.count("\n", 0, match.start()) + 1
                found.append(f"{path.relative_to(ROOT)}:{line}: {what}")
    assert found == []
