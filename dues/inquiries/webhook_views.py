"""The inbound-email webhook: an inbound-parse service posts each email to members' address as
JSON, signed with HMAC-SHA256 over the body (INQUIRY_WEBHOOK_SECRET). A bad signature gets 403
and nothing is written; work per request is one HMAC, one thread lookup and a queue row."""

import logging

from django.conf import settings
from django.http import JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from dues.inquiries import intake, services

log = logging.getLogger(__name__)

MAX_BODY_BYTES = 5 * 1024 * 1024  # attachments come as names, not content


@csrf_exempt
@require_POST
def inbound_email_webhook(request):
    secret = settings.INQUIRY_WEBHOOK_SECRET
    if not secret:
        log.error("inbound email refused: INQUIRY_WEBHOOK_SECRET is not configured")
        return JsonResponse({"error": "Inbound email is not configured here."}, status=503)
    length = request.META.get("CONTENT_LENGTH") or "0"
    if not length.isdigit() or int(length) > MAX_BODY_BYTES:
        return JsonResponse({"error": "The body is too large for an email."}, status=413)
    body = request.body
    if not intake.verify(body, request.headers.get(intake.SIGNATURE_HEADER), secret=secret):
        log.warning("inbound email rejected: bad or missing signature")
        return JsonResponse({"error": "The signature does not match the body."}, status=403)
    try:
        inbound = intake.parse(body)
    except intake.InboundRejected as exc:
        return JsonResponse({"error": str(exc)}, status=400)
    inquiry, created = services.inquiry_receive_email(inbound=inbound)
    return JsonResponse({"received": True, "inquiry": inquiry.pk, "duplicate": not created})
