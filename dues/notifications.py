"""Staff notices of payments: the daily hold summary to the finance lead."""

from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.utils import timezone

from common.audit import audit_record
from common.money import format_money
from dues import selectors


def hold_summary_send(*, now=None) -> int:
    """Email what will post to iMIS (and what else is on hold) to DUES_FINANCE_LEAD_EMAIL.

    Returns the number of messages sent: none when nobody is named or nothing is on hold.
    """
    recipient = settings.DUES_FINANCE_LEAD_EMAIL
    summary = selectors.hold_summary(now=now)
    if not recipient or not summary["payments"]:
        return 0
    day = timezone.localtime(summary["now"])
    subject = (
        f"Payments on hold {day:%Y-%m-%d}: {len(summary['soon'])} post to iMIS in the next 24 h "
        f"({format_money(summary['soon_total'])})"
    )
    body = render_to_string("dues/email/hold_summary.txt", summary)
    sent = send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [recipient])
    audit_record(
        action="dues.hold_summary_sent",
        summary=f"Hold summary sent to {recipient}",
        actor_name="system",
        data={"payments": len(summary["payments"])},
    )
    return sent
