"""App configuration for renewals."""

from django.apps import AppConfig


class RenewalsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "renewals"
    verbose_name = "Renewals"

    def ready(self) -> None:
        from renewals import boardpack, jobs, navigation  # noqa: F401  (jobs, pages, board pack)
        from renewals.kinds import register_kinds

        register_kinds()
