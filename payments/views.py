import json
import logging

import stripe
from django.conf import settings
from django.http import HttpResponse, HttpResponseBadRequest, HttpResponseNotFound
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from core.responses import JsonResponse

from . import alipay_events, gateways, stripe_events, wechat_transfer_events, wechatpay_client, wechatpay_events
from .gateways import GatewayError
from .gateways.alipay import NotifyRefused
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


def _wechat_fail(status: int, message: str) -> JsonResponse:
    """WeChat Pay's documented refusal: 4xx/5xx with {"code": "FAIL", "message": …}; it retries."""
    return JsonResponse({"code": "FAIL", "message": message}, status=status)


def _wechat_notify(request, handle, what: str):
    """A WeChat Pay notify checked (`wechatpay_client.verify_notify`), then handled by `handle`."""
    try:
        notify = wechatpay_client.verify_notify(request.headers, request.body)
    except wechatpay_client.NotifyRefused as error:
        logger.warning("%s refused: %s", what, error)
        return _wechat_fail(401, "签名错误")
    except wechatpay_client.NotifyMalformed as error:
        logger.warning("%s unreadable: %s", what, error)
        return _wechat_fail(400, "报文错误")
    except GatewayError as error:
        logger.warning("%s not checked (platform certificates): %s", what, error)
        return _wechat_fail(503, "暂时无法处理")
    outcome = handle(notify)
    logger.info("%s %s (%s): %s", what, notify["id"], notify["event_type"], outcome)
    return HttpResponse(status=204)


@csrf_exempt
@require_POST
def wechatpay_notify(request):
    """WeChat Pay's payment and refund notifies. Only a notify whose signature verifies, signed in
    the last five minutes, is read; one that does not verify is refused (401), one that cannot be
    read (not JSON, fields missing, a resource that does not decrypt) too (400). Any verified notify
    is acknowledged with 204, as WeChat Pay documents, including types we do not handle."""
    if not wechatpay_client.is_configured():
        return HttpResponseNotFound("WeChat Pay is not configured.")
    return _wechat_notify(request, wechatpay_events.handle, "WeChat Pay notify")


@csrf_exempt
@require_POST
def alipay_notify(request):
    """Alipay's async notify (form-encoded). Alipay stops repeating a notify only when the answer
    is the plain text "success", so every well-signed notify gets it once handled, including one
    for a trade we do not know; anything not signed by Alipay for our APPID, or not well formed,
    gets 400 "fail" and changes nothing."""
    gateway = gateways.get("alipay") if "alipay" in gateways.registry else None
    if gateway is None or not gateway.is_configured():
        return HttpResponseNotFound("Alipay is not configured.")
    try:
        fields = gateway.verified_notify(request.body, request.content_type, request.content_params)
        outcome = alipay_events.handle(fields)
    except (NotifyRefused, alipay_events.MalformedNotify) as error:
        logger.warning("Alipay notify rejected: %s", error)
        return HttpResponseBadRequest("fail", content_type="text/plain")
    except gateways.GatewayError as error:  # our keys cannot be read: Alipay retries later
        logger.error("Alipay notify not handled: %s", error)
        return HttpResponse("fail", status=503, content_type="text/plain")
    logger.info("Alipay notify %s (%s): %s", fields["notify_id"], fields.get("trade_status", ""), outcome)
    return HttpResponse("success", content_type="text/plain")


@csrf_exempt
@require_POST
def wechatpay_transfer_notify(request):
    """WeChat Pay's notify of a payout transfer's final state (MCHTRANSFER.BILL.FINISHED), checked
    as the payment notifies are (`wechatpay_client.verify_notify`: signature, serial, five minutes,
    the resource decrypted), and answered as they are: 401, 400 or 503 refused (WeChat Pay sends it
    again), 204 once booked."""
    if not wechat_transfer.configured():
        return HttpResponseNotFound("WeChat payouts are not configured.")
    return _wechat_notify(request, wechat_transfer_events.handle, "WeChat transfer notify")
