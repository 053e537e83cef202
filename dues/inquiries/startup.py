"""Registrations of inquiries, imported once from DuesConfig.ready(): review kinds and menu."""

from dues.inquiries import (  # noqa: F401  (metrics, menu, e-mail link, dunning pause, plans)
    collections_hooks,
    metrics,
    navigation,
    portal,
)
from dues.inquiries.kinds import KINDS
from reviews.kinds import register_kind

for _kind in KINDS:
    register_kind(_kind)
