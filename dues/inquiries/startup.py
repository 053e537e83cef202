"""Registrations of inquiries, imported once from DuesConfig.ready(): review kinds and menu."""

from dues.inquiries import navigation  # noqa: F401  (menu entries, home card)
from dues.inquiries.kinds import KINDS
from reviews.kinds import register_kind

for _kind in KINDS:
    register_kind(_kind)
