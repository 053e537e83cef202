"""App configuration for dues: payments in, matched, applied, held and posted."""

from django.apps import AppConfig


class DuesConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "dues"
    verbose_name = "Dues"

    def ready(self) -> None:
        from dues import jobs, navigation  # noqa: F401  (job kinds, menu entries, home cards)
        from dues.billing import startup  # noqa: F401  (billing: memo kind, menu, jobs, facts)
        from dues.close import startup as close_startup  # noqa: F401  (close: entry and recognition kinds, menus)
        from dues.collections import jobs as _collection_jobs  # noqa: F401
        from dues.collections import startup as _dunning  # noqa: F401  (dunning: kinds, menu, job)
        from dues.inquiries import startup as _inquiries  # noqa: F401  (inquiry kinds, menu)
        from dues.kinds import PAYMENT_APPLICATION
        from dues.selectors import pending_payment_notice, pending_payment_notices
        from reviews.drafting import register_fact_provider
        from reviews.kinds import register_kind

        register_kind(PAYMENT_APPLICATION)
        # Reminders for an invoice that a payment probably settles are blocked at drafting.
        register_fact_provider(pending_payment_notice, many=pending_payment_notices)
