"""Who may open what, generated from the URL confs.

Every route (named or not, the admin's included) must declare a permission: ``permission_required``
(PermissionRequiredMixin), ``permission_any`` (any one of them, the review queues), a DRF view's
``required_permission`` under RolePermission, or a place in PUBLIC or SIGNED_IN below. Every role
and an anonymous visitor then get, route by route, the status that declaration implies. MATRIX
states separately which roles each route is meant for, and the declarations must admit exactly
those; it also names the objects the URLs point at (placeholder ids elsewhere).
"""

import importlib
from dataclasses import dataclass

import pytest
from django.contrib.auth.mixins import PermissionRequiredMixin
from django.contrib.auth.models import Group, Permission
from django.test import Client
from django.urls import NoReverseMatch, URLPattern, URLResolver, get_resolver, reverse
from django.urls.resolvers import RoutePattern
from rest_framework.views import APIView

from common import roles
from common.api.permissions import RolePermission
from common.models import JobRun
from tests.conftest import PASSWORD

M, F, MG, A = roles.MEMBERSHIP, roles.FINANCE, roles.MANAGER, roles.ADMINISTRATOR
EVERY_ROLE = {M, F, MG, A}

# (url name, kwargs, method, roles intended[, deny code or codes]): who each route is for, and the
# objects its URL points at. Every named URL must appear here or in PUBLIC/SIGNED_IN.
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
EXTRA_MODULES = (
    "tests.reviews.drafting_access",
    "tests.renewals.access",
    "tests.dues.access",
    "tests.dues.billing.access",
    "tests.dues.close.access",
)
APP_ACCESS = [importlib.import_module(m) for m in EXTRA_MODULES]
MATRIX += [row for module in APP_ACCESS for row in module.MATRIX]
# --- The routes, generated from the URL confs ------------------------------------------------

# Routes that answer without sign-in: the login page, sign-out, the health check, and the payment
# webhooks (they authenticate each request by its signature). Nothing else may join this list
# without a reason written beside it.
PUBLIC = {
    "login",
    "logout",
    "healthz",
    "/webhooks/stripe/",
    "/webhooks/authorizenet/",
    # the admin site's own sign-in and sign-out pages
    "admin:login",
    "admin:logout",
}
# Pages for anyone signed in, whatever their role (Django's own password views have no
# permission to declare).
SIGNED_IN = {"home", "password_change", "password_change_done"}
ADMIN_NAMESPACE = "admin"
INT_PLACEHOLDER = 999_999_999  # an id no test creates: found only after the permission check
STR_PLACEHOLDER = "no-such-0"


@dataclass(frozen=True)
class Route:
    """One URL pattern: its name (its path when unnamed), view and URL keyword arguments."""

    name: str
    path: str
    callback: object
    named: bool
    kwargs: tuple[tuple[str, str], ...]  # (name, converter or "regex")

    @property
    def view_class(self):
        return getattr(self.callback, "view_class", None) or getattr(self.callback, "cls", None)

    @property
    def is_admin(self) -> bool:
        return self.path.startswith(ADMIN_NAMESPACE + "/")


def _kwargs(pattern) -> list[tuple[str, str]]:
    if isinstance(pattern.pattern, RoutePattern):
        return [(name, type(conv).__name__) for name, conv in pattern.pattern.converters.items()]
    return [(name, "regex") for name in pattern.pattern.regex.groupindex]


def walk(resolver=None, prefix="", path="", inherited=()) -> list[Route]:
    resolver = resolver or get_resolver()
    found = []
    for pattern in resolver.url_patterns:
        here = path + str(pattern.pattern)
        kwargs = [*inherited, *_kwargs(pattern)]
        if isinstance(pattern, URLResolver):
            ns = f"{prefix}{pattern.namespace}:" if pattern.namespace else prefix
            found += walk(pattern, ns, here, kwargs)
        elif isinstance(pattern, URLPattern):
            name = prefix + pattern.name if pattern.name else "/" + here
            found.append(Route(name, here, pattern.callback, bool(pattern.name), tuple(kwargs)))
    return found


ROUTES = walk()


@dataclass(frozen=True)
class Declared:
    """What a route declares: ``public``, ``signed_in``, ``all`` or ``any`` of ``perms``,
    ``per_method`` (a DRF view's {method: codename or None}) or ``admin`` (the admin site)."""

    kind: str
    perms: tuple = ()
    per_method: tuple = ()


def declaration(route: Route) -> Declared | None:
    """The permission a route declares, read from its view; None when it declares none."""
    if route.name in PUBLIC:
        return Declared("public")
    if route.is_admin:
        return Declared("admin")  # the admin site: active staff, then each model's permissions
    if route.name in SIGNED_IN:
        return Declared("signed_in")
    view = route.view_class
    if view is None:
        return None
    if issubclass(view, APIView):
        classes = view.permission_classes
        if not any(issubclass(c, RolePermission) for c in classes) or not hasattr(
            view, "required_permission"
        ):
            return None
        required = view.required_permission
        if isinstance(required, dict):
            return Declared("per_method", per_method=tuple(sorted(required.items())))
        return Declared("signed_in") if required is None else Declared("all", (required,))
    if issubclass(view, PermissionRequiredMixin) and view.permission_required:
        required = view.permission_required
        return Declared("all", (required,) if isinstance(required, str) else tuple(required))
    if getattr(view, "permission_any", None):
        return Declared("any", tuple(view.permission_any))
    return None


def request_method(route: Route) -> str:
    """GET, unless the view only takes POST (a view function is asked with GET first)."""
    actions = getattr(route.callback, "actions", None)
    if actions:
        return "get" if "get" in actions else sorted(actions)[0]
    view = route.view_class
    if view is not None and not hasattr(view, "get") and hasattr(view, "post"):
        return "post"
    return "get"


def role_holds(declared: Declared, perms: set[str], method: str) -> bool:
    """Whether a role whose group holds ``perms`` passes the declaration."""
    if declared.kind in ("public", "signed_in", "admin"):
        return True  # the admin site admits by the staff flag, which check() reads from the role
    if declared.kind == "all":
        return set(declared.perms) <= perms
    if declared.kind == "any":
        return bool(set(declared.perms) & perms)
    if declared.kind == "per_method":
        table = dict(declared.per_method)
        required = table.get(method.upper(), table.get("*"))
        return required is None or required in perms
    raise AssertionError(f"no role rule for {declared.kind}")


def group_perms() -> dict[str, set[str]]:
    return {
        role: {
            f"{app}.{codename}"
            for app, codename in Group.objects.get(name=role).permissions.values_list(
                "content_type__app_label", "codename"
            )
        }
        for role in roles.ROLES
    }


def test_every_route_declares_a_permission():
    # a new view without permission_required, required_permission, permission_any, or a place in
    # PUBLIC or SIGNED_IN fails here, by name
    undeclared = [f"{r.name} ({r.path})" for r in ROUTES if declaration(r) is None]
    assert undeclared == [], f"declare a permission on these routes' views: {undeclared}"


@pytest.mark.django_db
def test_every_declared_permission_exists():
    existing = {
        f"{app}.{codename}"
        for app, codename in Permission.objects.values_list("content_type__app_label", "codename")
    }
    declared = set()
    for route in ROUTES:
        d = declaration(route)
        declared |= set(d.perms) | {p for _, p in d.per_method if p}
    assert declared - existing == set()


def test_only_the_login_health_and_signed_webhook_routes_are_public():
    # what the login middleware lets through: views that opt out (DRF's do, and answer 401
    # themselves through RolePermission, which the matrix checks) and the webhooks' prefix
    opted_out = {
        r.name
        for r in ROUTES
        if not getattr(r.callback, "login_required", True)
        and not (r.view_class and issubclass(r.view_class, APIView))
    }
    signed = {r.name for r in ROUTES if r.path.startswith("webhooks/")}
    assert opted_out | signed <= PUBLIC
    assert {r.name for r in ROUTES} >= PUBLIC


def _placeholder(name: str, converter: str):
    return INT_PLACEHOLDER if converter == "IntConverter" else STR_PLACEHOLDER


def route_url(route: Route, objects: dict) -> str:
    if not route.named:
        return route.name
    known = INTENDED_KWARGS.get(route.name, {})
    kwargs = {
        name: objects.get(known[name], known[name]) if name in known else _placeholder(name, conv)
        for name, conv in route.kwargs
    }
    try:
        return reverse(route.name, kwargs=kwargs)
    except NoReverseMatch:
        # a regex that admits only some values (the admin's app labels): the first app it lists
        return reverse(route.name, kwargs={**kwargs, "app_label": "auth"})


def _to_login(response, login: str) -> bool:
    return response.status_code == 302 and response["Location"].startswith(login)


def check(route: Route, role: str | None, response, allowed: bool) -> str | None:
    """Why this response is wrong for this role on this route, or None."""
    status = response.status_code
    declared = declaration(route)
    login, admin_login = reverse("login"), reverse("admin:login")
    if status >= 500:
        return f"{status}"
    if declared.kind == "public":
        # answered: a page, a 400 for an unsigned webhook, or sign-out's redirect to the login
        return f"refused with {status}" if status in (401, 403) else None
    if declared.kind == "admin":
        # the admin site lets in active staff (administrators) only, and sends the rest to a login
        if role == roles.ADMINISTRATOR:
            return "sent to the admin login" if _to_login(response, admin_login) else None
        if _to_login(response, admin_login) or (role is None and _to_login(response, login)):
            return None
        return f"{status}, not a login page"
    if role is None:
        return None if status in (401, 403) or _to_login(response, login) else f"{status}"
    if allowed:
        if status in (401, 403) or _to_login(response, login):
            return f"refused with {status}"
        return None
    return None if status == 403 else f"{status}, not 403"


@pytest.mark.parametrize("route", ROUTES, ids=[r.name for r in ROUTES])
def test_every_role_and_anonymous_get_what_the_route_declares(make_user, objects, settings, route):
    """One request per role: a role holding the declared permission is served (200, a redirect
    that is not to the login page, or 404 for a placeholder id, which comes only after the
    permission check); one without it gets 403; anonymous visitors go to the login page or get
    401/403; only the public routes answer them."""
    settings.STRIPE_WEBHOOK_SECRET = settings.AUTHORIZENET_SIGNATURE_KEY = "configured"
    perms = group_perms()
    method = request_method(route)
    url = route_url(route, objects)
    wrong = []
    for role in (None, *roles.ROLES):
        client = Client()
        if role:
            client.force_login(make_user(role, username=f"matrix-{roles.ROLES.index(role)}"))
        response = getattr(client, method)(url)
        if response.status_code == 405 and method == "get":
            response = client.post(url)  # a view function that takes only POST
        allowed = role is None or role_holds(declaration(route), perms[role], method)
        if (why := check(route, role, response, allowed)) is not None:
            wrong.append(f"{role or 'anonymous'}: {why}")
    assert wrong == [], f"{method.upper()} {url}: {wrong}"


# --- The roles each declaration admits, against the roles intended (MATRIX) ----------------

INTENDED_KWARGS = {name: kwargs for name, kwargs, *_ in MATRIX}


@pytest.mark.django_db
@pytest.mark.parametrize("row", MATRIX, ids=[m[0] for m in MATRIX])
def test_declared_permissions_admit_exactly_the_intended_roles(row):
    # MATRIX says who should open what; a changed declaration or grant that admits someone else
    # fails here (rows with a deny code are scoped by object too: their roles are a subset)
    name, _, method, intended, *deny = row
    (route,) = [r for r in ROUTES if r.name == name]
    perms = group_perms()
    admitted = {r for r in roles.ROLES if role_holds(declaration(route), perms[r], method)}
    if deny:
        assert set(intended) <= admitted, name
    else:
        assert admitted == set(intended), name


def test_matrix_covers_every_named_url():
    covered = {name for name, *_ in MATRIX} | PUBLIC | SIGNED_IN
    missing = {r.name for r in ROUTES if r.named and not r.is_admin and r.name not in covered}
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


def _username(role):
    from tests.conftest import ROLE_USERNAMES

    return ROLE_USERNAMES[role]


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
