"""App configuration for dues: payments in, matched, applied, held and posted."""

from django.apps import AppConfig


class DuesConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "dues"
    verbose_name = "Dues"

    def ready(self) -> None:
        from dues import jobs, navigation  # noqa: F401  (job kinds, menu entries, home cards)
        from dues.kinds import PAYMENT_APPLICATION
        from reviews.kinds import register_kind

        register_kind(PAYMENT_APPLICATION)
