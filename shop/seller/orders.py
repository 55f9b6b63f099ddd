"""The seller's orders (/farmer/orders/): the parcels a farmer or cooperative manager sends, by state,
with what to pack, where to send it, and the forms that mark a parcel shipped or delivered.

The rules (who may ship, paid first unless cash on delivery, not twice, not once cancelled) are
`shop.orders`'; these views parse the forms, call it, and show its errors beside the parcel.
Server-rendered and without JavaScript, like the other seller pages.
"""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from payments import gateways
from shop import orders as order_services
from shop import permissions
from shop.models import Fulfilment, FulfilmentStatus

from .order_forms import ParcelActionForm, ShipForm
from .views import PAGE_SIZE, seller_required

S = FulfilmentStatus
TABS = (S.UNFULFILLED, S.SHIPPED, S.DELIVERED)
# What each tab holds. "To ship" leaves out parcels of cancelled or refunded orders: nothing to send.
TAB_FILTERS = {
    S.UNFULFILLED: Q(status=S.UNFULFILLED) & ~Q(order__status__in=order_services.CLOSED),
    S.SHIPPED: Q(status=S.SHIPPED),
    S.DELIVERED: Q(status=S.DELIVERED),
}


def _parcels(user):
    """The user's parcels, without the duplicate rows the seller joins can make (so counts are right)."""
    return Fulfilment.objects.filter(pk__in=permissions.fulfilments_to_ship(user).values("pk"))


def _with_contents(queryset):
    return queryset.select_related("order", "farmer").prefetch_related("lines")


def _tab_of(value) -> str:
    return value if value in TABS else S.UNFULFILLED


def _page_of(value) -> int | None:
    value = value or ""
    return int(value) if value.isdigit() and int(value) >= 1 else None


def _list_url(tab: str, page: int | None) -> str:
    query = {"state": tab} if tab != S.UNFULFILLED else {}
    if page and page > 1:
        query["page"] = page
    url = reverse("seller:orders")
    return f"{url}?{urlencode(query)}" if query else url


def _payment(order) -> str:
    """paid; cod (offline and not yet paid: the courier collects, so it may ship); unpaid (wait)."""
    if order.paid_at:
        return "paid"
    return "cod" if gateways.get(order.payment_method).ships_before_payment else "unpaid"


def _row(fulfilment, user, failed: ParcelActionForm | None) -> dict:
    order = fulfilment.order
    payment = _payment(order)
    closed = order.status in order_services.CLOSED
    if fulfilment.status == S.CANCELLED or (fulfilment.status == S.UNFULFILLED and closed):
        state = "closed"  # not to be sent (a parcel already sent stays as it was)
    elif fulfilment.status == S.UNFULFILLED:
        state = "ship" if payment != "unpaid" else "wait"
    else:
        state = fulfilment.status
    mine = failed if failed is not None and failed.fulfilment.pk == fulfilment.pk else None
    ship_form = None
    if state == "ship":
        ship_form = mine if isinstance(mine, ShipForm) else ShipForm(fulfilment=fulfilment)
    return {
        "parcel": fulfilment,
        "order": order,
        "state": state,
        "payment": payment,
        "ship_form": ship_form,
        "can_deliver": state == S.SHIPPED,
        "errors": mine.non_field_errors() if mine is not None else [],
        "own": fulfilment.farmer_id is not None and fulfilment.farmer.user_id == user.pk,
    }


# --- The list -----------------------------------------------------------------------------------


@seller_required
def orders(request):
    return _render_orders(request, _tab_of(request.GET.get("state")), request.GET.get("page"))


def _render_orders(request, tab: str, page_number, failed: ParcelActionForm | None = None, status: int = 200):
    """The tab's parcels, newest order first. `failed` is a refused form: shown with its errors on its
    parcel, or above the list when that parcel is not on this page (it may have left the tab)."""
    parcels = _parcels(request.user)
    queryset = _with_contents(parcels.filter(TAB_FILTERS[tab])).order_by("-order__created_at", "-order_id", "pk")
    page = Paginator(queryset, PAGE_SIZE).get_page(page_number)
    rows = [_row(fulfilment, request.user, failed) for fulfilment in page.object_list]
    failed_row = None
    if failed is not None and all(row["parcel"].pk != failed.fulfilment.pk for row in rows):
        fulfilment = _with_contents(Fulfilment.objects.filter(pk=failed.fulfilment.pk)).first()
        failed_row = _row(fulfilment, request.user, failed) if fulfilment else None
    counts = parcels.aggregate(**{value: Count("pk", filter=TAB_FILTERS[value]) for value in TABS})
    context = {
        "page": page,
        "rows": rows,
        "failed_row": failed_row,
        "tab": tab,
        "tab_label": S(tab).label,
        "tabs": [{"state": value, "label": S(value).label, "count": counts[value]} for value in TABS],
        "show_seller": any(not row["own"] for row in rows),
    }
    return render(request, "seller/orders.html", context, status=status)


# --- Actions ------------------------------------------------------------------------------------


def _parcel_for(request, pk) -> Fulfilment:
    """One of the user's parcels (staff: any); someone else's is a 404, so it is not even confirmed."""
    parcels = Fulfilment.objects.all() if request.user.is_staff else _parcels(request.user)
    return get_object_or_404(parcels.select_related("order", "farmer__cooperative", "cooperative"), pk=pk)


def _back(request) -> tuple[str, int | None]:
    return _tab_of(request.POST.get("state")), _page_of(request.POST.get("page"))


@seller_required
@require_POST
def order_ship(request, pk):
    fulfilment = _parcel_for(request, pk)
    tab, page = _back(request)
    form = ShipForm(request.POST, fulfilment=fulfilment)
    if form.is_valid():
        try:
            shipped = order_services.ship_fulfilment(
                request.user, fulfilment, form.carrier_name(), form.cleaned_data["tracking_number"]
            )
        except ValidationError as exc:
            form.add_service_error(exc)
        else:
            messages.success(
                request,
                _("Order %(number)s: marked as shipped with %(carrier)s, tracking number %(tracking)s.")
                % {"number": fulfilment.order.number, "carrier": shipped.carrier, "tracking": shipped.tracking_number},
            )
            return redirect(_list_url(tab, page))
    return _render_orders(request, tab, page, failed=form, status=400)


@seller_required
@require_POST
def order_deliver(request, pk):
    fulfilment = _parcel_for(request, pk)
    tab, page = _back(request)
    form = ParcelActionForm(request.POST, fulfilment=fulfilment)
    try:
        order_services.deliver_fulfilment(request.user, fulfilment)
    except ValidationError as exc:
        form.is_valid()  # a form without fields: only so that it can carry the service's errors
        form.add_service_error(exc)
        return _render_orders(request, tab, page, failed=form, status=400)
    messages.success(request, _("Order %(number)s: marked as delivered.") % {"number": fulfilment.order.number})
    return redirect(_list_url(tab, page))


@seller_required
def order_slip(request, pk):
    """A printable slip for one parcel (A6, or A4 with the lines below each other): where it goes,
    what is in it, and for each line a QR code of its provenance page, to put in the box."""
    fulfilment = _parcel_for(request, pk)
    if not permissions.can_ship(request.user, fulfilment):  # _parcel_for's query says the same; the rule is this
        raise PermissionDenied
    lines = fulfilment.lines.filter(refunded_at__isnull=True)  # a refunded line is not in the box
    return render(request, "seller/order_slip.html", {"parcel": fulfilment, "order": fulfilment.order, "lines": lines})
