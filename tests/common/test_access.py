"""Who may open what: every named URL against every role, anonymous visitors, and the API."""

import importlib

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from common import roles
from common.models import JobRun
from tests.conftest import PASSWORD

M, F, MG, A = roles.MEMBERSHIP, roles.FINANCE, roles.MANAGER, roles.ADMINISTRATOR
EVERY_ROLE = {M, F, MG, A}

# (url name, kwargs, method, roles allowed). Every named URL must appear here or in PUBLIC/ADMIN.
MATRIX = [
    ("home", {}, "get", EVERY_ROLE),
    ("password_change", {}, "get", EVERY_ROLE),
    ("password_change_done", {}, "get", EVERY_ROLE),
    ("common:job_list", {}, "get", {MG, A}),
    ("common:job_detail", {"pk": "JOB"}, "get", {MG, A}),
    ("common:job_start", {}, "post", {A}),
    ("common:job_cancel", {"pk": "JOB"}, "post", {A}),
    ("common:job_retry", {"pk": "JOB"}, "post", {A}),
    ("api_docs", {}, "get", EVERY_ROLE),
    ("api_schema", {}, "get", EVERY_ROLE),
    ("api:common:me", {}, "get", EVERY_ROLE),
    ("api:common:job-list", {}, "get", {MG, A}),
    ("api:common:job-detail", {"pk": "JOB"}, "get", {MG, A}),
    ("common:audit_list", {}, "get", {MG, A}),
    ("common:audit_export", {}, "get", {MG, A}),
    ("imis_client:member_list", {}, "get", EVERY_ROLE),
    ("imis_client:member_detail", {"imis_id": "MEMBER"}, "get", EVERY_ROLE),
    ("imis_client:sync_status", {}, "get", {MG, A}),
    ("imis_client:sync_start", {}, "post", {A}),
    ("imis_client:sync_problems", {}, "get", {MG, A}),
    ("imis_client:outbox", {}, "get", {A}),
    ("imis_client:outbox_retry", {"pk": "WRITE"}, "post", {A}),
    ("imis_client:outbox_cancel", {"pk": "WRITE"}, "post", {A}),
    ("api:imis_client:member-list", {}, "get", EVERY_ROLE),
    ("api:imis_client:member-detail", {"imis_id": "MEMBER"}, "get", EVERY_ROLE),
    ("api:imis_client:sync-run-list", {}, "get", {MG, A}),
    ("api:imis_client:sync-run-detail", {"pk": "RUN"}, "get", {MG, A}),
    ("api:reviews:review-item-list", {}, "get", EVERY_ROLE),
    # An item outside the caller's queues is not found rather than forbidden: no leak.
    ("api:reviews:review-item-detail", {"pk": "ITEM"}, "get", {F, MG}, 404),
    ("api:reviews:review-item-decide", {"pk": "ITEM"}, "post", {F, MG}, 404),
    # Retry and reverse answer 409 for an item in the wrong state, after the access check.
    ("api:reviews:review-item-retry", {"pk": "ITEM"}, "post", set(), (404, 409)),
    ("api:reviews:review-item-reverse", {"pk": "ITEM"}, "post", set(), (404, 409)),
    ("reviews:queue", {}, "get", {M, F, MG}),
    ("reviews:governance", {}, "get", {MG}),
    ("reviews:metrics", {}, "get", {MG}),
    ("reviews:manager", {}, "get", {MG}),
    ("api:reviews:review-metrics", {}, "get", {MG}),
    ("reviews:bulk_accept", {}, "post", {M, F, MG}),
    # Outside one's queues an item is not found; with no queue at all, the page is forbidden.
    ("reviews:item", {"pk": "ITEM"}, "get", {F, MG}, (403, 404)),
    ("reviews:decide", {"pk": "ITEM"}, "post", {F, MG}, (403, 404)),
    ("reviews:retry", {"pk": "ITEM"}, "post", {F, MG}, (403, 404)),
    ("reviews:reverse", {"pk": "ITEM"}, "post", {F, MG}, (403, 404)),
    ("reviews:communications", {}, "get", {M, F, MG}),
]
# Each app keeps its own rows beside its tests, so that apps grow without editing this file.
EXTRA_MODULES = ("tests.reviews.drafting_access", "tests.renewals.access", "tests.dues.access")
APP_ACCESS = [importlib.import_module(m) for m in EXTRA_MODULES]
MATRIX += [row for module in APP_ACCESS for row in module.MATRIX]
PUBLIC = {"login", "logout", "healthz"}
ADMIN_NAMESPACE = "admin"


def all_url_names(resolver=None, prefix="") -> set[str]:
    resolver = resolver or get_resolver()
    names = set()
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            ns = f"{prefix}{pattern.namespace}:" if pattern.namespace else prefix
            names |= all_url_names(pattern, ns)
        elif isinstance(pattern, URLPattern) and pattern.name:
            names.add(prefix + pattern.name)
    return names


def test_matrix_covers_every_named_url():
    covered = {name for name, *_ in MATRIX} | PUBLIC
    missing = {
        n for n in all_url_names() if n not in covered and not n.startswith(ADMIN_NAMESPACE + ":")
    }
    assert missing == set(), f"add these URLs to the access matrix: {sorted(missing)}"


@pytest.fixture
def objects(db):
    """One of each object the matrix's URLs point at."""
    from django.utils import timezone

    from imis_client.models import ImisParty, OutboxWrite, SyncRun
    from reviews.models import ReviewItem

    now = timezone.now()
    extra = {}
    for module in APP_ACCESS:
        extra.update(module.objects())
    return extra | {
        "JOB": JobRun.objects.create(
            kind="common.housekeeping", label="Housekeeping", status="failed"
        ).pk,
        "MEMBER": ImisParty.objects.create(
            imis_id="10001", name="Zoë O'Brien", raw={}, raw_hash=1, synced_at=now
        ).imis_id,
        "WRITE": OutboxWrite.objects.create(
            reference="DD-1",
            entity="AI_Audit_Log",
            method="POST",
            path="/api/AI_Audit_Log",
            body={},
            state="failed",
            next_attempt_at=now,
        ).pk,
        "RUN": SyncRun.objects.create(status="succeeded").pk,
        "ITEM": ReviewItem.objects.create(
            kind="tests.note", queue="finance", title="Note", payload={"text": "x"}
        ).pk,
    }


def _url(name, kwargs, objects):
    return reverse(name, kwargs={k: objects.get(v, v) for k, v in kwargs.items()})


ROWS = [(*m, 403)[:5] for m in MATRIX]


@pytest.mark.parametrize("role", sorted(EVERY_ROLE))
@pytest.mark.parametrize(
    ("name", "kwargs", "method", "allowed", "deny"), ROWS, ids=[m[0] for m in MATRIX]
)
def test_role_url_matrix_allows_exactly_the_declared_roles(
    client, make_user, objects, role, name, kwargs, method, allowed, deny
):
    # given a signed-in person holding one role
    make_user(role)
    client.login(username=_username(role), password=PASSWORD)
    url = _url(name, kwargs, objects)
    # when they open the URL
    data = {"kind": "common.housekeeping", "decision": "reject", "reason": "duplicate"}
    response = getattr(client, method)(url, data if method == "post" else {})
    # then it is served when the role allows it, and refused (403, or 404 where named) otherwise
    if role in allowed:
        assert response.status_code in (200, 302), (name, role, response.status_code)
        if response.status_code == 302:
            assert "/accounts/login/" not in response["Location"]
    else:
        assert response.status_code in (deny if isinstance(deny, tuple) else (deny,)), (
            name,
            role,
            response.status_code,
        )


def _username(role):
    from tests.conftest import ROLE_USERNAMES

    return ROLE_USERNAMES[role]


@pytest.mark.parametrize(
    ("name", "kwargs", "method", "allowed", "deny"), ROWS, ids=[m[0] for m in MATRIX]
)
def test_anonymous_visitor_is_sent_to_login_or_refused(
    client, objects, name, kwargs, method, allowed, deny
):
    url = _url(name, kwargs, objects)
    response = getattr(client, method)(url)
    if name.startswith("api:") or name == "api_schema":
        # the API answers for itself: 401 with no data
        assert response.status_code == 401
        assert b"results" not in response.content
        assert b"paths" not in response.content
    else:
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))


def test_admin_site_is_for_administrators_only(client, make_user):
    make_user(A)
    make_user(F)
    client.login(username=_username(F), password=PASSWORD)
    assert client.get(reverse("admin:auth_user_changelist")).status_code == 302  # admin login
    client.login(username=_username(A), password=PASSWORD)
    assert client.get(reverse("admin:auth_user_changelist")).status_code == 200


def test_user_without_role_sees_only_home(client, make_user):
    make_user(None)
    client.login(username="norole", password=PASSWORD)
    response = client.get(reverse("home"))
    assert response.status_code == 200
    assert "You hold no role yet" in response.content.decode()
    assert client.get(reverse("common:job_list")).status_code == 403


def test_api_token_authenticates_and_role_still_applies(client, make_user):
    from rest_framework.authtoken.models import Token

    finance = make_user(F)
    token = Token.objects.create(user=finance)
    headers = {"HTTP_AUTHORIZATION": f"Token {token.key}"}
    me = client.get(reverse("api:common:me"), **headers)
    assert me.status_code == 200
    assert me.json()["roles"] == [F]
    assert client.get(reverse("api:common:job-list"), **headers).status_code == 403
    bad = client.get(reverse("api:common:me"), HTTP_AUTHORIZATION="Token not-a-real-token")
    assert bad.status_code == 401
