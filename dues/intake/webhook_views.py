"""The payment providers' webhook endpoints: verify, store once, answer at once.

They sit under /webhooks/, which the login middleware leaves to the signature; they are exempt
from CSRF (providers sign instead). Work per request is bounded: a size cap, one HMAC, one
INSERT .. ON CONFLICT and one queue row; everything else happens in a worker.
"""

import logging
import time

from django.conf import settings
from django.http import JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from dues.intake import events, webhooks

log = logging.getLogger(__name__)

MAX_BODY_BYTES = 256 * 1024  # Stripe's and Authorize.Net's events are a few kilobytes


def _receive(request, *, source: str, secret: str, verify, header: str) -> JsonResponse:
    if not secret:
        log.error("%s webhook refused: its secret is not configured", source)
        return JsonResponse({"error": f"{source} webhooks are not configured here."}, status=503)
    length = request.META.get("CONTENT_LENGTH") or "0"
    if not length.isdigit() or int(length) > MAX_BODY_BYTES:
        return JsonResponse({"error": "The body is too large for a payment event."}, status=413)
    body = request.body
    try:
        event = verify(
            body,
            request.headers.get(header),
            secret,
            now=time.time(),
            tolerance=settings.DUES_WEBHOOK_TOLERANCE_SECONDS,
        )
    except webhooks.WebhookRejected as exc:
        log.warning("%s webhook rejected: %s", source, exc)
        return JsonResponse({"error": str(exc)}, status=400)
    created = events.webhook_event_receive(source=source, event=event, body=body)
    return JsonResponse({"received": True, "duplicate": not created}, status=200)


@csrf_exempt
@require_POST
def stripe_webhook(request):
    return _receive(
        request,
        source="stripe",
        secret=settings.STRIPE_WEBHOOK_SECRET,
        header="Stripe-Signature",
        verify=lambda body, sig, key, **kw: webhooks.stripe_verify(body, sig, secret=key, **kw),
    )


@csrf_exempt
@require_POST
def authorizenet_webhook(request):
    return _receive(
        request,
        source="authorizenet",
        secret=settings.AUTHORIZENET_SIGNATURE_KEY,
        header="X-ANET-Signature",
        verify=lambda body, sig, secret, **kw: webhooks.anet_verify(body, sig, key=secret, **kw),
    )
