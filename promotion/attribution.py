"""Attribution: an order is credited to its shopper's last touch (by account or by browser
cookie) within ATTRIBUTION_WINDOW before the order was placed: the last billable click on a
promoted slot, or the last creditable visit through a link another shopper shared, whichever came
later. A share brings no campaign and no charge; a tie goes to the click, which was paid for."""

import datetime

from django.db.models import Q

from .models import Click, ClickOutcome, OrderAttribution, ShareVisit, ShareVisitOutcome

ATTRIBUTION_WINDOW = datetime.timedelta(days=7)


def _same_viewer(viewer_keys, user_id: int | None) -> Q:
    keys = set(viewer_keys)
    if user_id:
        keys.add(f"u:{user_id}")
    match = Q(viewer_key__in=keys)
    if user_id:
        match |= Q(user_id=user_id)
    return match


def last_billable_click(viewer_keys, user_id: int | None, at: datetime.datetime) -> Click | None:
    return (
        Click.objects.filter(
            _same_viewer(viewer_keys, user_id), outcome=ClickOutcome.BILLED, created_at__gte=at - ATTRIBUTION_WINDOW
        )
        .filter(created_at__lte=at)
        .order_by("-created_at", "-id")
        .first()
    )


def last_credited_visit(viewer_keys, user_id: int | None, at: datetime.datetime) -> ShareVisit | None:
    return (
        ShareVisit.objects.filter(
            _same_viewer(viewer_keys, user_id),
            outcome=ShareVisitOutcome.CREDITED,
            created_at__gte=at - ATTRIBUTION_WINDOW,
        )
        .filter(created_at__lte=at)
        .order_by("-created_at", "-id")
        .first()
    )


def attribute_order(order, viewer_keys=()) -> OrderAttribution | None:
    """Called in the order's own transaction; at most one attribution per order."""
    click = last_billable_click(viewer_keys, order.user_id, order.created_at)
    visit = last_credited_visit(viewer_keys, order.user_id, order.created_at)
    if visit is not None and (click is None or visit.created_at > click.created_at):
        touch = {"share_visit": visit}
    elif click is not None:
        touch = {"click": click, "campaign_id": click.campaign_id}
    else:
        return None
    attribution, _created = OrderAttribution.objects.get_or_create(order=order, defaults=touch)
    return attribution
