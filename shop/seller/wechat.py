"""Binding the WeChat that payouts go to (/farmer/wechat/, 绑定微信收款): the farmer (or a
cooperative's manager, for the cooperative) opens the page inside WeChat, presses the button, and
WeChat's OAuth (snsapi_base: nothing to approve) tells us their openid, which
`payments.payout_destinations.bind_wechat` keeps. Opened elsewhere, the page shows a QR code of its
own address to scan with WeChat. Shown only when the operator turned WeChat payouts on."""

import segno
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core import wechat_oauth
from farmers.models import Cooperative, Farmer
from payments import payout_destinations, payout_methods
from shop.checkout import seller_key

from .views import seller_required

PURPOSE = "payout-wechat:"


def offered() -> bool:
    """WeChat payouts are on and WeChat's OAuth can tell us openids."""
    return (
        "wechat_transfer" in payout_methods.registry
        and payout_methods.get("wechat_transfer").is_configured()
        and wechat_oauth.is_configured()
    )


def in_wechat(request) -> bool:
    return "MicroMessenger" in request.headers.get("User-Agent", "")


def _seller(key: str):
    kind, _sep, pk = (key or "").partition("-")
    model = {"farmer": Farmer, "cooperative": Cooperative}.get(kind)
    return model.objects.filter(pk=pk).first() if model is not None and pk.isdigit() else None


def _bindable(user, key: str):
    """The seller named by `key` if `user` may bind its WeChat; 403 otherwise (or no such seller:
    the answer does not tell)."""
    seller = _seller(key)
    if seller is None or not payout_destinations.may_bind_wechat(user, seller):
        raise PermissionDenied(_("Only the farmer themself, or a manager of the cooperative, binds its WeChat."))
    return seller


def _page(request, error: str = "", status: int = 200):
    sellers = payout_destinations.bindable_sellers(request.user)
    rows = []
    for seller in sellers:
        destination = payout_destinations.destination_of(seller)
        bound = destination is not None and destination.wechat_bound
        rows.append(
            {
                "key": seller_key(seller),
                "seller": seller,
                "is_cooperative": isinstance(seller, Cooperative),
                "bound_at": destination.wechat_bound_at if bound else None,
            }
        )
    page_url = request.build_absolute_uri(reverse("seller:wechat"))
    inside = in_wechat(request)
    context = {"rows": rows, "in_wechat": inside, "page_url": page_url, "error": error}
    if not inside:
        svg = segno.make(page_url, error="m").svg_inline(omitsize=True, svgclass="qr", lineclass=None)
        context["qr"] = mark_safe(svg)  # noqa: S308 - segno's own markup; the URL is encoded as modules
    return render(request, "seller/wechat.html", context, status=status)


@seller_required
def wechat_page(request):
    if not offered():
        raise Http404
    return _page(request)


@seller_required
@require_POST
def wechat_start(request):
    """To WeChat's OAuth, with a state tied to this session and naming whose WeChat is bound."""
    if not offered():
        raise Http404
    seller = _bindable(request.user, request.POST.get("seller", ""))
    state = wechat_oauth.new_state(request.session, PURPOSE + seller_key(seller))
    callback = request.build_absolute_uri(reverse("seller:wechat_callback"))
    return redirect(wechat_oauth.authorize_url(callback, state))


@seller_required
def wechat_callback(request):
    """WeChat sends the browser back here with a one-time code and our state. A state this session
    did not start (forged, replayed, expired, from another browser) binds nothing."""
    if not offered():
        raise Http404
    purpose = wechat_oauth.check_state(request.session, request.GET.get("state", ""))
    if purpose is None or not purpose.startswith(PURPOSE):
        return _page(request, _("This link has expired or is not yours. Press the button to bind again."), 400)
    seller = _bindable(request.user, purpose.removeprefix(PURPOSE))
    try:
        openid = wechat_oauth.openid_for_code(request.GET.get("code", ""))
        payout_destinations.bind_wechat(request.user, seller, openid)
    except wechat_oauth.WeChatOAuthError:
        return _page(request, _("WeChat did not tell us who you are. Please try again."), 400)
    except ValidationError as error:
        return _page(request, " ".join(error.messages), 400)
    messages.success(request, _("WeChat bound: payouts now go to this WeChat's balance."))
    return redirect("seller:wechat")
