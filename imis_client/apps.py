"""App configuration for imis_client."""

from django.apps import AppConfig


class ImisClientConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "imis_client"
    verbose_name = "iMIS connection"

    def ready(self) -> None:
        from imis_client import jobs, navigation  # noqa: F401  (registers jobs, pages, cards)
