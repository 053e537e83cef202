"""App configuration for common."""

from django.apps import AppConfig


class CommonConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "common"
    verbose_name = "Common"

    def ready(self) -> None:
        from common import jobs, navigation, signals  # noqa: F401  (registers jobs, nav, signals)
