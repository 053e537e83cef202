"""Registrations of billing, imported once from DuesConfig.ready(): menu entries, the credit-memo
review kind, background jobs and the drafting facts."""

from dues.billing import jobs, navigation  # noqa: F401  (job kinds, menu entries)
