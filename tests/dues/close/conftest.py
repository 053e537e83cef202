"""Fixtures of the close tests: billing's sandbox association (chapter and subscription items)."""

from tests.dues.billing.conftest import (  # noqa: F401  (fixtures)
    billing_association,
    billing_mirror,
    billing_sandbox,
)
