"""App configuration for imis_client."""

from django.apps import AppConfig


class ImisClientConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "imis_client"
    verbose_name = "iMIS connection"

    def app_role_owns(self) -> list[str]:
        """Tables the app's database role must own (see common's db_app_role): an initial sync
        drops and rebuilds the mirror tables' secondary indexes."""
        from imis_client.models import MirrorModel

        return sorted(
            m._meta.db_table
            for m in self.get_models()
            if issubclass(m, MirrorModel) and not m._meta.abstract
        )

    def ready(self) -> None:
        from imis_client import jobs, navigation  # noqa: F401  (registers jobs, pages, cards)
