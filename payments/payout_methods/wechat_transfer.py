"""WeChat balance transfers (商家转账, "transfer to the user"): a payout sent to the WeChat balance
(零钱) of the farmer who bound their WeChat (`PayoutDestination.wechat_openid`; for a cooperative,
the manager who bound it), through WeChat Pay API v3's current transfer API, POST
/v3/fund-app/mch-transfer/transfer-bills, through the client every WeChat Pay call shares
(`payments.wechatpay_client`: `wechatpayv3` signs our requests and verifies WeChat Pay's answers;
docs/decisions.md, wxpayout).

The transfer's number at WeChat Pay (out_bill_no) is derived from the payout (`out_bill_no`), so a
send repeated after a timeout or a 5xx asks for the same transfer again and WeChat Pay never makes
two. WeChat Pay takes a transfer first (ACCEPTED, PROCESSING) and, in its user-confirmation mode,
waits for the farmer to confirm receipt on their phone (WAIT_USER_CONFIRM, with a package for
WeixinJSBridge's requestMerchantTransfer; our earnings page shows 确认收款) before it moves the
money (TRANSFERING, then SUCCESS); a farmer who does not confirm within 24 hours gets nothing and
the transfer ends FAIL. Those middle states keep the payout on its way; SUCCESS pays it (the
transfer_bill_no as reference); FAIL and CANCELLED fail it, and the money goes back to the payable
for the next run (`payouts.record_failed`), as for a refused Stripe transfer."""

import json
import logging
import re
from decimal import Decimal

from django.conf import settings
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from core.money import to_fen

from .. import wechatpay_client
from ..gateways.base import GatewayError
from .base import PayoutMethod, SendError, SendOutcome

logger = logging.getLogger(__name__)

TRANSFER_PATH = "/v3/fund-app/mch-transfer/transfer-bills"
# WeChat Pay requires the payee's real name (encrypted) from this amount on, in fen (2,000 yuan).
NAME_REQUIRED_FEN = 200_000
PAID = "SUCCESS"
ENDED = {"FAIL", "CANCELLED"}
# Taken, not finished: the payout stays on its way and is asked about again.
UNDER_WAY = {"ACCEPTED", "PROCESSING", "WAIT_USER_CONFIRM", "TRANSFERING", "CANCELING"}
# The farmer may (again) open WeChat's confirmation page in these states.
AWAITING_FARMER = {"WAIT_USER_CONFIRM", "TRANSFERING"}
# Answers that refuse this request for good: WeChat Pay made no transfer of it (checked by asking).
REFUSED_STATUSES = {400}


def configured() -> bool:
    """The operator turned WeChat payouts on, WeChat Pay's merchant keys are set
    (`wechatpay_client.is_configured`) and a transfer scene is. Without them the method is skipped
    and sellers are paid as before."""
    return bool(
        settings.WECHATPAY_PAYOUTS_ENABLED and wechatpay_client.is_configured() and settings.WECHATPAY_TRANSFER_SCENE_ID
    )


def notify_url() -> str:
    """Where WeChat Pay posts the transfer's final state (https, no query string)."""
    return settings.WECHATPAY_NOTIFY_BASE.rstrip("/") + reverse("payments:wechatpay-transfer-notify")


def out_bill_no(payout) -> str:
    """WeChat Pay's number for this payout's transfer: letters and digits only, at most 32, unique
    per merchant (the seller's account and the payout's number among theirs, under a prefix of this
    database's own)."""
    return f"{settings.WECHATPAY_OUT_BILL_PREFIX}{payout.account_id}N{payout.sequence}"


def payout_for(bill_no: str):
    """The payout an out_bill_no names, or None (another database's, or not ours)."""
    from payments.models import Payout

    match = re.fullmatch(rf"{re.escape(settings.WECHATPAY_OUT_BILL_PREFIX)}(\d{{1,12}})N(\d{{1,9}})", bill_no or "")
    if match is None:
        return None
    return Payout.objects.filter(account_id=int(match[1]), sequence=int(match[2]), method="wechat_transfer").first()


def _report_infos() -> list:
    try:
        infos = json.loads(settings.WECHATPAY_TRANSFER_REPORT_INFOS or "[]")
    except ValueError as error:
        raise SendError(f"WECHATPAY_TRANSFER_REPORT_INFOS is not JSON: {error}") from error
    return infos if isinstance(infos, list) else []


def _limit() -> Decimal | None:
    return Decimal(settings.WECHATPAY_TRANSFER_MAX) if settings.WECHATPAY_TRANSFER_MAX else None


def _text(answer: dict, key: str) -> str:
    value = answer.get(key)
    return value if isinstance(value, str) else ""


def _call(action: str, request) -> tuple[int, dict]:
    """One signed call through the shared client (`wechatpay_client.call`): WeChat Pay's own answer
    below 500, or SendError when there is none to trust (the network, a 5xx, our keys, an answer
    whose signature does not verify): tried again later with the same out_bill_no."""
    try:
        return wechatpay_client.call(request)
    except GatewayError as error:
        logger.warning("WeChat transfer %s: %s", action, error)
        raise SendError(str(error)) from error


class WeChatTransfer(PayoutMethod):
    label = _("WeChat balance transfer")
    cash_gateway = "wechatpay"
    sends_itself = True

    def is_configured(self) -> bool:
        return configured()

    def reaches(self, destination) -> bool:
        return destination is not None and bool(destination.wechat_openid)

    def takes(self, destination, amount) -> bool:
        """Within the operator's limit, and with the payee's name from 2,000 yuan on."""
        if not self.reaches(destination):
            return False
        limit = _limit()
        if limit is not None and amount > limit:
            return False
        return to_fen(amount) < NAME_REQUIRED_FEN or bool(destination.wechat_holder_name)

    def destination_text(self, destination) -> str:
        # The openid is what the transfer goes to, frozen with the payout so that a retry asks for
        # exactly the same transfer even if the farmer binds another WeChat meanwhile. Operators
        # only: the seller's pages never show it.
        return destination.wechat_openid

    def _holder_name(self, payout) -> str | None:
        from payments.models import PayoutDestination

        if to_fen(payout.amount) < NAME_REQUIRED_FEN:
            return None
        seller = {"farmer_id": payout.farmer_id} if payout.farmer_id else {"cooperative_id": payout.cooperative_id}
        destination = PayoutDestination.objects.filter(**seller).first()
        return destination.wechat_holder_name if destination is not None else None

    def send(self, payout) -> SendOutcome:
        fen = to_fen(payout.amount)
        name = self._holder_name(payout)
        if fen >= NAME_REQUIRED_FEN and not name:
            return SendOutcome(paid=False, reason=gettext("WeChat needs the payee's name for 2,000 yuan or more."))
        with translation.override("zh-hans"):
            remark = gettext("Shanhuo payout no. %(number)s") % {"number": payout.sequence}
        params = {
            "out_bill_no": out_bill_no(payout),
            "transfer_scene_id": settings.WECHATPAY_TRANSFER_SCENE_ID,
            "openid": payout.destination,
            "transfer_amount": fen,
            "transfer_remark": remark[:32],
            "user_name": name,
            "user_recv_perception": settings.WECHATPAY_TRANSFER_PERCEPTION or None,
            "transfer_scene_report_infos": _report_infos(),
            "notify_url": notify_url(),
        }
        code, answer = _call("create", lambda wxpay: wxpay.mch_transfer_bills(**params))
        if code == 200:
            return self._outcome(payout, answer)
        if code in REFUSED_STATUSES:
            # Refused as asked (a parameter, the scene, a limit). WeChat Pay says never to give up a
            # number before its query says the transfer failed or does not exist, so ask first.
            reason = f"{_text(answer, 'code')}: {_text(answer, 'message')}".strip(": ")
            logger.warning("WeChat transfer of payout %s refused: %s", payout.pk, reason)
            found, state = self._query(payout)
            if not found:
                return SendOutcome(paid=False, reason=(reason or gettext("WeChat Pay refused the transfer."))[:255])
            return state
        # 429 FREQUENCY_LIMITED, 403 NOT_ENOUGH (our account is short), 401/403 our keys or product
        # (a 5xx is SendError already): not the farmer's doing; tried again with the same out_bill_no.
        logger.warning("WeChat transfer of payout %s not made now: %s %s", payout.pk, code, answer)
        raise SendError(f"WeChat Pay answered {code} {_text(answer, 'code')}")

    def query(self, payout) -> SendOutcome:
        found, outcome = self._query(payout)
        if not found:
            raise SendError(f"WeChat Pay has no transfer {out_bill_no(payout)}")
        return outcome

    def _query(self, payout) -> tuple[bool, SendOutcome | None]:
        """(False, None) when WeChat Pay has no transfer of this payout; else (True, its outcome)."""
        number = out_bill_no(payout)
        code, answer = _call("query", lambda wxpay: wxpay.mch_transfer_bills_query(out_bill_no=number))
        if code == 404 and _text(answer, "code") == "NOT_FOUND":
            return False, None
        if code != 200:
            raise SendError(f"WeChat Pay's query answered {code} {_text(answer, 'code')}")
        return True, self._outcome(payout, answer)

    def _outcome(self, payout, answer: dict) -> SendOutcome:
        """What an answer (create, query or notify) says of the payout."""
        return outcome_of(payout, answer)


def outcome_of(payout, answer: dict) -> SendOutcome:
    """WeChat Pay's word on a transfer (its create or query answer, or a notify's resource) as an
    outcome for the payout. An answer about another transfer, or for another amount, is not
    trusted: SendError, and a person looks (logged)."""
    if _text(answer, "out_bill_no") != out_bill_no(payout):
        logger.error("WeChat transfer answer for %r, not payout %s", answer.get("out_bill_no"), payout.pk)
        raise SendError("WeChat Pay answered about another transfer")
    amount = answer.get("transfer_amount")
    if amount is not None and amount != to_fen(payout.amount):
        logger.error("WeChat transfer of payout %s: %r fen at WeChat Pay, %s here", payout.pk, amount, payout.amount)
        raise SendError("WeChat Pay's amount differs from the payout's")
    state = _text(answer, "state")
    if state == PAID:
        return SendOutcome(paid=True, reference=_text(answer, "transfer_bill_no")[:80] or out_bill_no(payout))
    if state in ENDED:
        reason = _text(answer, "fail_reason") or state
        return SendOutcome(paid=False, reason=f"WeChat {state}: {reason}"[:255])
    if state in UNDER_WAY:
        package = _text(answer, "package_info") or (payout.confirm_package if state in AWAITING_FARMER else "")
        return SendOutcome(
            paid=False, pending=True, state=state, confirm_package=package if state in AWAITING_FARMER else ""
        )
    logger.error("WeChat transfer of payout %s: unknown state %r", payout.pk, state)
    raise SendError(f"WeChat Pay's state {state!r} is not known here")
