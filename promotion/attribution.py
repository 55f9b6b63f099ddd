"""Attribution: an order is credited to the last billable click its shopper made (by account or
by browser cookie) within ATTRIBUTION_WINDOW before the order was placed."""

import datetime

from django.db.models import Q

from .models import Click, ClickOutcome, OrderAttribution

ATTRIBUTION_WINDOW = datetime.timedelta(days=7)


def last_billable_click(viewer_keys, user_id: int | None, at: datetime.datetime) -> Click | None:
    keys = set(viewer_keys)
    if user_id:
        keys.add(f"u:{user_id}")
    match = Q(viewer_key__in=keys)
    if user_id:
        match |= Q(user_id=user_id)
    return (
        Click.objects.filter(match, outcome=ClickOutcome.BILLED, created_at__gte=at - ATTRIBUTION_WINDOW)
        .filter(created_at__lte=at)
        .order_by("-created_at", "-id")
        .first()
    )


def attribute_order(order, viewer_keys=()) -> OrderAttribution | None:
    """Called in the order's own transaction; at most one attribution per order."""
    click = last_billable_click(viewer_keys, order.user_id, order.created_at)
    if click is None:
        return None
    attribution, _created = OrderAttribution.objects.get_or_create(
        order=order, defaults={"click": click, "campaign_id": click.campaign_id}
    )
    return attribution
