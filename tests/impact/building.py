"""Building impact cases through the real services: orders placed, paid, shipped and delivered,
refunded, paid out; then their ledger transactions moved to the moment the case says."""

import datetime
import zoneinfo
from itertools import count

from django.utils import timezone

from payments import shopper_payments
from payments.models import LedgerTransaction
from shop.checkout import complete_checkout
from shop.models import Fulfilment
from shop.orders import deliver_fulfilment, ship_fulfilment
from tests import factories as f
from tests.shop import buying

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
_tracking = count(1)


def at(year, month, day, hour=12, minute=0) -> datetime.datetime:
    return datetime.datetime(year, month, day, hour, minute, tzinfo=SHANGHAI)


class Clock:
    """Moves every ledger transaction booked since the last call to a chosen moment."""

    def __init__(self):
        self.seen = LedgerTransaction.objects.order_by("-pk").values_list("pk", flat=True).first() or 0

    def book_at(self, moment: datetime.datetime) -> None:
        new = LedgerTransaction.objects.filter(pk__gt=self.seen)
        last = new.order_by("-pk").values_list("pk", flat=True).first()
        if last:
            new.update(created_at=moment)
            self.seen = last


def shipper(fulfilment):
    if fulfilment.farmer_id:
        return fulfilment.farmer.user
    return fulfilment.cooperative.managers.first()


def sell(items, operator, viewer_keys=()):
    """An order of `items` [(variant, quantity)], paid offline, every parcel shipped and delivered
    (dated a month back so that payouts may pay it)."""
    checkout = buying.ready_checkout(items)
    order = complete_checkout(None, checkout, "offline", list(viewer_keys))
    shopper_payments.confirm_offline_payment(operator, order.payment)
    for fulfilment in order.fulfilments.select_related("farmer__user", "cooperative"):
        ship_fulfilment(shipper(fulfilment), fulfilment, "顺丰", f"SF{next(_tracking):010d}")
        deliver_fulfilment(shipper(fulfilment), fulfilment)
    Fulfilment.objects.filter(order=order).update(delivered_at=timezone.now() - datetime.timedelta(days=30))
    return order


def cooperative_with_manager(village):
    return f.cooperative(village_=village, manager=f.user())
