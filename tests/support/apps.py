"""Registers test-only background jobs when the test settings are in use."""

from django.apps import AppConfig


class SupportConfig(AppConfig):
    name = "tests.support"
    label = "test_support"

    def ready(self) -> None:
        from tests.support import jobs, kinds  # noqa: F401
