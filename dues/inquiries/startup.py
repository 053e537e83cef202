"""Registrations of inquiries, imported once from DuesConfig.ready(): review kinds and menu."""

from dues.inquiries import metrics, navigation, portal  # noqa: F401  (metrics, menu, e-mail link)
from dues.inquiries.kinds import KINDS
from reviews.kinds import register_kind

for _kind in KINDS:
    register_kind(_kind)
