"""App configuration for reviews."""

from django.apps import AppConfig


class ReviewsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "reviews"
    verbose_name = "Reviews"

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from reviews import boardpack, navigation  # noqa: F401  (queue page, card, board pack)
        from reviews.drafting.signals import seed_drafting_defaults

        post_migrate.connect(seed_drafting_defaults, sender=self, dispatch_uid="drafting_seed")
