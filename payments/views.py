import json
import logging

import stripe
from django.conf import settings
from django.http import HttpResponseBadRequest, HttpResponseNotFound, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from . import stripe_events
from .gateways.stripe import verify_signature

logger = logging.getLogger(__name__)


@csrf_exempt
@require_POST
def stripe_webhook(request):
    """Stripe's calls. Only a body signed with our endpoint secret, recently, is read at all; a
    signed body that is not an event is refused (400), and any well-signed event is acknowledged
    (200), including types we do not handle, so Stripe stops retrying them."""
    if not settings.STRIPE_WEBHOOK_SECRET:
        return HttpResponseNotFound("Stripe is not configured.")
    try:
        verify_signature(request.body, request.headers.get("Stripe-Signature", ""))
    except (stripe.SignatureVerificationError, UnicodeDecodeError) as error:
        logger.warning("Stripe webhook rejected: %s", error)
        return HttpResponseBadRequest("Bad signature.")
    try:
        event = json.loads(request.body)
    except (ValueError, RecursionError):
        return HttpResponseBadRequest("Not JSON.")
    if not stripe_events.is_event(event):
        return HttpResponseBadRequest("Not a Stripe event.")
    outcome = stripe_events.handle(event)
    logger.info("Stripe event %s (%s): %s", event["id"], event["type"], outcome)
    return JsonResponse({"received": True, "outcome": outcome})
