"""Registries that apps fill at startup: navigation entries, home-page attention cards, status
rows, the panels of the member page, and the pages that common's own pages link to.

common imports no app; each app registers its own entries in AppConfig.ready(). A page of one
app shows what other apps contribute through these registries, never by naming their URLs.
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.urls import reverse

from common.registry import Registry


@dataclass(frozen=True)
class NavItem:
    label: str
    url_name: str
    permission: str | tuple[str, ...] | None  # None: everyone; a tuple: any one of them
    order: int = 100
    section: str = "Work"

    def visible_to(self, user) -> bool:
        return user_may(user, self.permission)

    @property
    def url(self) -> str:
        return reverse(self.url_name)


def user_may(user, permission: str | tuple[str, ...] | None) -> bool:
    """None: everyone; a tuple: any one of them."""
    if permission is None:
        return True
    if isinstance(permission, tuple):
        return any(user.has_perm(p) for p in permission)
    return user.has_perm(permission)


@dataclass(frozen=True)
class MemberPanel:
    """A section another app adds to the member page, for the people who may see it.

    ``template`` is the app's own template; it receives what ``context(request, member_id)``
    returns as ``panel``.
    """

    name: str
    template: str
    context: Callable[[object, str], dict]
    permission: str | tuple[str, ...] | None
    order: int = 100


@dataclass(frozen=True)
class AttentionCard:
    """Something on a person's home page: a count and where to deal with it."""

    title: str
    count: int
    url: str
    detail: str = ""
    tone: str = "info"  # info | warn | danger | ok


AttentionProvider = Callable[[object], list[AttentionCard]]

_NAV: Registry[NavItem] = Registry("navigation entry for URL")
_ATTENTION: Registry[tuple[str | None, AttentionProvider]] = Registry("home-card provider")
_STATUS: Registry[Callable[[], list[dict]]] = Registry("status provider")
_MEMBER_PANELS: Registry[MemberPanel] = Registry("member-page panel")
_PAGES: Registry[str] = Registry("page")


def register_nav(item: NavItem) -> None:
    _NAV.register(item.url_name, item)


def register_attention(provider: AttentionProvider, *, permission: str | None = None) -> None:
    _ATTENTION.register((permission, provider), (permission, provider))


def register_status(provider: Callable[[], list[dict]]) -> None:
    """A provider returns rows of {label, value, tone, url} for the system status panel."""
    _STATUS.register(provider, provider)


def register_member_panel(panel: MemberPanel) -> MemberPanel:
    return _MEMBER_PANELS.register(panel.name, panel)


def register_page(name: str, url_name: str) -> None:
    """Name the URL of a page common's own pages link to: ``("member", ...)`` takes a member id."""
    _PAGES.register(name, url_name)


def nav_for(user) -> list[tuple[str, list[NavItem]]]:
    """The entries this person may use, grouped by section in a stable order."""
    sections: dict[str, list[NavItem]] = {}
    for item in sorted(_NAV.all(), key=lambda i: (i.order, i.label)):
        if item.visible_to(user):
            sections.setdefault(item.section, []).append(item)
    return list(sections.items())


def attention_for(user) -> list[AttentionCard]:
    cards: list[AttentionCard] = []
    for permission, provider in _ATTENTION.all():
        if user_may(user, permission):
            cards.extend(provider(user))
    return cards


def member_panels_for(request, member_id: str) -> list[dict]:
    """The panels this person may see on a member's page, in order, each with its context."""
    panels = sorted(_MEMBER_PANELS.all(), key=lambda p: (p.order, p.name))
    return [
        {"name": p.name, "template": p.template, "context": p.context(request, member_id)}
        for p in panels
        if user_may(request.user, p.permission)
    ]


def page_url(name: str, *args) -> str:
    """The URL of a registered page, or "" while no app has registered one of that name."""
    if name not in _PAGES:
        return ""
    return reverse(_PAGES.get(name), args=args)


def status_rows() -> list[dict]:
    rows: list[dict] = []
    for provider in _STATUS.all():
        rows.extend(provider())
    return rows


register_nav(NavItem("Home", "home", None, order=0, section="Work"))
register_nav(NavItem("Jobs", "common:job_list", "common.view_jobs", order=900, section="System"))
register_nav(
    NavItem("Audit", "common:audit_list", "common.view_audit", order=940, section="System")
)
register_nav(NavItem("API docs", "api_docs", "common.view_api_docs", order=950, section="System"))
register_nav(
    NavItem("Users & roles", "admin:index", "auth.change_user", order=990, section="System")
)
