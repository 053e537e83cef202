"""App configuration for renewals."""

from django.apps import AppConfig


class RenewalsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "renewals"
    verbose_name = "Renewals"

    def ready(self) -> None:
        from renewals import jobs, navigation  # noqa: F401  (registers jobs, pages, home cards)
        from renewals.kinds import register_kinds

        register_kinds()
