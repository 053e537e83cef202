"""The renewals tests' generated association, synced over HTTP into the mirror once per session
(tests.renewals.conftest), reused here: the late-payment model reads the same mirror."""

from tests.renewals.conftest import AS_OF, association, sandbox_mirror  # noqa: F401
