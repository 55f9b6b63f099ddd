"""The drill-down: the ledger entries, orders and farmers behind each figure, so that every
figure can be checked by hand. For a money figure, SIGN × the sum of `entries_behind` is the
figure (`impact.figures.FIGURES` says which transactions count)."""

from django.db.models import QuerySet, Value

from farmers.models import Farmer
from payments.models import Entry
from shop.models import Order

from . import sources
from .figures import FIGURES, village_ids
from .periods import Period

# Money figures that are not a sum of their own entries, and the figures they are made of.
DERIVED_MONEY = {"net_sales": ("gross_sales", "refunds")}
HOUSEHOLD_FIGURES = ("households_with_sale", "poor_households_with_sale", "new_households")


def sign(key: str) -> int:
    """What the entries of `key` are multiplied by to give the figure."""
    return sources.SIGN[key]


def _entries(key: str, villages, period: Period):
    return sources.in_period(sources.money_entries(key), period).filter(village__in=village_ids(villages))


def entries_behind(key: str, villages, period: Period) -> QuerySet:
    """The ledger entries behind a money figure, with their transaction and order loaded, oldest
    first, each annotated with `figure_sign`: Σ amount × figure_sign is the figure. For net_sales,
    the entries of gross_sales and of refunds together."""
    if key in DERIVED_MONEY:
        # net_sales = −Σ payment entries − Σ refund entries on the payables: every entry counts negated.
        ids = []
        for part in DERIVED_MONEY[key]:
            ids += list(_entries(part, villages, period).values_list("pk", flat=True))
        return (
            Entry.objects.filter(pk__in=ids)
            .annotate(figure_sign=Value(-1))
            .select_related("transaction", "transaction__order", "account")
            .order_by("transaction__created_at", "pk")
        )
    if FIGURES[key].unit != "money" or key not in sources.SIGN:
        raise ValueError(f"{key} is not a sum of ledger entries")
    return (
        _entries(key, villages, period)
        .annotate(figure_sign=Value(sources.SIGN[key]))
        .select_related("transaction", "transaction__order", "account")
        .order_by("transaction__created_at", "pk")
    )


def orders_behind(key: str, villages, period: Period) -> QuerySet:
    """The orders whose transactions are behind a figure (money figures booked on orders, and
    promoted_orders). Payouts and clicks belong to no order: their figures have none."""
    if key == "promoted_orders":
        entries = sources.in_period(sources.promoted_order_entries(), period).filter(village__in=village_ids(villages))
    elif key in HOUSEHOLD_FIGURES:
        entries = sources.in_period(sources.household_entries(), period).filter(village__in=village_ids(villages))
    else:
        entries = entries_behind(key, villages, period)
    return Order.objects.filter(pk__in=entries.filter(transaction__order__isnull=False).values("transaction__order_id"))


def farmers_behind(key: str, villages, period: Period) -> QuerySet:
    """The households (farmers) counted by a household figure."""
    entries = sources.in_period(sources.household_entries(), period).filter(village__in=village_ids(villages))
    farmers = Farmer.objects.filter(pk__in=entries.values("account__farmer_id"))
    if key == "households_with_sale":
        return farmers
    if key == "poor_households_with_sale":
        return farmers.filter(is_registered_poor=True)
    if key == "new_households":
        start, _end = period.bounds()
        earlier = sources.household_entries().filter(transaction__created_at__lt=start)
        return farmers.exclude(pk__in=earlier.values("account__farmer_id"))
    raise ValueError(f"{key} does not count households")
