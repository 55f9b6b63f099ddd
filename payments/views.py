import json
import logging
import time

import stripe
from django.conf import settings
from django.http import HttpResponse, HttpResponseBadRequest, HttpResponseNotFound, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from . import stripe_events, wechat_transfer_events
from .gateways.stripe import verify_signature
from .payout_methods import wechat_transfer

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


def _wechat_refusal(message: str, status: int = 400) -> JsonResponse:
    """WeChat Pay's form of "not taken, send it again later"."""
    return JsonResponse({"code": "FAIL", "message": message}, status=status)


@csrf_exempt
@require_POST
def wechatpay_transfer_notify(request):
    """WeChat Pay's notify of a transfer's final state. Read only when signed by WeChat Pay (its
    platform certificate or public key, checked by `wechatpayv3`), recently, with a resource that
    decrypts with our APIv3 key; anything else is refused (400) and never a 500. Answered 204 once
    booked, as WeChat Pay expects."""
    if not wechat_transfer.configured():
        return HttpResponseNotFound("WeChat payouts are not configured.")
    timestamp = request.headers.get("Wechatpay-Timestamp", "")
    if not timestamp.isdigit() or abs(time.time() - int(timestamp)) > settings.WECHATPAY_NOTIFY_TOLERANCE:
        return _wechat_refusal("stale or missing timestamp")
    try:
        body = request.body.decode("utf-8")
        notify = wechat_transfer.client().callback(request.headers, body)
    except Exception as error:  # noqa: BLE001  (wechatpayv3 raises bare Exception on what it cannot read)
        logger.warning("WeChat transfer notify rejected: %s", error)
        return _wechat_refusal("unreadable")
    if not wechat_transfer_events.is_notify(notify):
        logger.warning("WeChat transfer notify rejected: bad signature or resource")
        return _wechat_refusal("bad signature")
    outcome = wechat_transfer_events.handle(notify)
    logger.info("WeChat transfer notify %s (%s): %s", notify["id"], notify["event_type"], outcome)
    return HttpResponse(status=204)
