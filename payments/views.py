import json
import logging

import stripe
from django.conf import settings
from django.http import HttpResponseBadRequest, HttpResponseNotFound, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from . import stripe_events
from .gateways.stripe import construct_event

logger = logging.getLogger(__name__)


@csrf_exempt
@require_POST
def stripe_webhook(request):
    """Stripe's calls. Only a body signed with our endpoint secret, recently, is acted on; any
    well-signed event is acknowledged (200), including types we do not handle, so Stripe stops
    retrying them."""
    if not settings.STRIPE_WEBHOOK_SECRET:
        return HttpResponseNotFound("Stripe is not configured.")
    signature = request.headers.get("Stripe-Signature", "")
    try:
        construct_event(request.body, signature)
        event = json.loads(request.body)
    except stripe.SignatureVerificationError as error:
        logger.warning("Stripe webhook rejected: %s", error)
        return HttpResponseBadRequest("Bad signature.")
    except ValueError:
        return HttpResponseBadRequest("Not JSON.")
    data = event.get("data") if isinstance(event, dict) else None
    if not isinstance(event.get("id") if data else None, str) or not isinstance(data.get("object"), dict):
        return HttpResponseBadRequest("Not a Stripe event.")
    outcome = stripe_events.handle(event)
    logger.info("Stripe event %s (%s): %s", event["id"], event.get("type"), outcome)
    return JsonResponse({"received": True, "outcome": outcome})
