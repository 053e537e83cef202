"""Registries that apps fill at startup: navigation entries and home-page attention cards.

common imports no app; each app registers its own entries in AppConfig.ready().
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
        if self.permission is None:
            return True
        if isinstance(self.permission, tuple):
            return any(user.has_perm(p) for p in self.permission)
        return user.has_perm(self.permission)

    @property
    def url(self) -> str:
        return reverse(self.url_name)


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


def register_nav(item: NavItem) -> None:
    _NAV.register(item.url_name, item)


def register_attention(provider: AttentionProvider, *, permission: str | None = None) -> None:
    _ATTENTION.register((permission, provider), (permission, provider))


def register_status(provider: Callable[[], list[dict]]) -> None:
    """A provider returns rows of {label, value, tone, url} for the system status panel."""
    _STATUS.register(provider, provider)


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
        if permission is None or user.has_perm(permission):
            cards.extend(provider(user))
    return cards


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
