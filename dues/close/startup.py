"""Registrations of the month-end close's revenue side, imported once from DuesConfig.ready()."""

from dues.close import navigation  # noqa: F401  (menu entries)
from dues.close.recognition_entries import REVENUE_RECOGNITION
from reviews.kinds import register_kind

register_kind(REVENUE_RECOGNITION)
