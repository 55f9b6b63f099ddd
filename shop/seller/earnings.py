"""The seller's earnings page (/farmer/earnings/): what they sold, what each order paid them after
the platform's fee and refunds, what the platform owes them and when it is paid, and the payouts
with their bank references. The figures are `shop.earnings`'; this view picks whose statement and
which period, and pages the lists.

A farmer sees their own statement. A cooperative manager sees the cooperative's, with each
member's sales below it, and may open a member's own statement (`?seller=farmer-12`). Anyone else
with nothing to sell gets 403 (`seller_required`); a seller the user may not act for, 403 too.
Server-rendered and without JavaScript, like the other seller pages.
"""

from datetime import timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.shortcuts import render
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _

from farmers.models import Cooperative, Farmer
from shop import earnings, permissions
from shop.checkout import seller_key

from .views import PAGE_SIZE, seller_required
from .wechat import in_wechat, offered

PAYOUTS_PAGE_SIZE = 10
PERIODS = {
    "all": _("All time"),
    "month": _("This month"),
    "last_month": _("Last month"),
    "year": _("This year"),
}


def _period(name: str) -> earnings.Period:
    today = timezone.localdate()
    if name == "month":
        return earnings.month_of(today)
    if name == "last_month":
        return earnings.month_of(today.replace(day=1) - timedelta(days=1))
    if name == "year":
        return earnings.Period(today.replace(month=1, day=1), today.replace(month=12, day=31))
    return earnings.Period()


def _chosen(user, key: str | None, sellers: list):
    """The seller named by `key` ("farmer-12", "cooperative-3"), default the user's first; 403
    for a seller the user may not act for (or no such seller: the answer does not tell)."""
    if not key:
        return sellers[0] if sellers else None
    kind, _sep, pk = key.partition("-")
    model = {"farmer": Farmer, "cooperative": Cooperative}.get(kind)
    seller = model.objects.filter(pk=pk).first() if model is not None and pk.isdigit() else None
    if seller is None or not permissions.can_see_earnings(user, seller):
        raise PermissionDenied(_("You may not see this seller's earnings."))
    return seller


@seller_required
def earnings_page(request):
    sellers = permissions.statement_sellers(request.user)
    seller = _chosen(request.user, request.GET.get("seller"), sellers)
    period_name = request.GET.get("period") if request.GET.get("period") in PERIODS else "all"
    context = {"sellers": [(seller_key(s), s) for s in sellers], "period_name": period_name}
    if seller is None:
        return render(request, "seller/earnings.html", context)
    period = _period(period_name)
    key = seller_key(seller)
    parcels = earnings.with_earnings_relations(earnings.seller_parcels(seller).filter(period.bounds()))
    page = Paginator(parcels, PAGE_SIZE).get_page(request.GET.get("page"))
    payouts_page = Paginator(earnings.seller_payouts(seller).select_related("account"), PAYOUTS_PAGE_SIZE).get_page(
        request.GET.get("payouts_page")
    )
    is_cooperative = key.startswith("cooperative-")
    context.update(
        {
            "seller": seller,
            "seller_key": key,
            "is_cooperative": is_cooperative,
            "show_picker": len(sellers) > 1,
            "periods": [
                {"name": name, "label": label, "query": _query(key, sellers, period=name)}
                for name, label in PERIODS.items()
            ],
            "period_label": PERIODS[period_name],
            "totals": earnings.sales_totals(seller, period),
            "balance": earnings.balance(seller),
            "hold_days": earnings.hold_days(),
            "minimum": earnings.payout_minimum(),
            "page": page,
            "rows": [earnings.parcel_earnings(parcel) for parcel in page.object_list],
            "payouts_page": payouts_page,
            "members": earnings.members_sales(seller, period) if is_cooperative else [],
            "page_query": _query(key, sellers, period=period_name),
            "wechat_offered": offered(),
            "in_wechat": in_wechat(request),
            # For WeixinJSBridge's requestMerchantTransfer (确认收款): ours, not secrets.
            "wechat_ids": {"mchId": settings.WECHATPAY_MCHID, "appId": settings.WECHATPAY_APPID},
        }
    )
    return render(request, "seller/earnings.html", context)


def _query(key: str, sellers: list, **params) -> str:
    """The query string of this statement's links (the seller only when it is not the default)."""
    if not sellers or seller_key(sellers[0]) != key:
        params = {"seller": key, **params}
    if params.get("period") == "all":
        params.pop("period")
    return urlencode(params)
