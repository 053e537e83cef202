"""Registries that apps fill at startup: navigation entries and home-page attention cards.

common imports no app; each app registers its own entries in AppConfig.ready().
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.urls import reverse


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

_NAV: list[NavItem] = []
_ATTENTION: list[tuple[str | None, AttentionProvider]] = []
_STATUS: list[Callable[[], list[dict]]] = []


def register_nav(item: NavItem) -> None:
    if all(existing.url_name != item.url_name for existing in _NAV):
        _NAV.append(item)


def register_attention(provider: AttentionProvider, *, permission: str | None = None) -> None:
    if (permission, provider) not in _ATTENTION:
        _ATTENTION.append((permission, provider))


def register_status(provider: Callable[[], list[dict]]) -> None:
    """A provider returns rows of {label, value, tone, url} for the system status panel."""
    if provider not in _STATUS:
        _STATUS.append(provider)


def nav_for(user) -> list[tuple[str, list[NavItem]]]:
    """The entries this person may use, grouped by section in a stable order."""
    sections: dict[str, list[NavItem]] = {}
    for item in sorted(_NAV, key=lambda i: (i.order, i.label)):
        if item.visible_to(user):
            sections.setdefault(item.section, []).append(item)
    return list(sections.items())


def attention_for(user) -> list[AttentionCard]:
    cards: list[AttentionCard] = []
    for permission, provider in _ATTENTION:
        if permission is None or user.has_perm(permission):
            cards.extend(provider(user))
    return cards


def status_rows() -> list[dict]:
    rows: list[dict] = []
    for provider in _STATUS:
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
