"""Figures' parts computed straight from the ledger (`impact.sources`): the reference the roll-up
is checked against, and what tests compare. One query per money figure, one for the households,
one for the promoted orders, whatever the grouping."""

from collections import defaultdict
from datetime import date

from django.db.models import DateField, F, Min
from django.db.models.functions import TruncMonth
from django.utils import timezone

from farmers.models import Farmer
from payments.ledger import fen_sum

from . import sources
from .figures import FarmerFacts, Parts
from .periods import Period, local_zone


def _group(group: str | None):
    if group is None:
        return None
    if group == "village":
        return F("village")
    if group == "day":
        return sources.local_day()
    if group == "month":
        return TruncMonth("transaction__created_at", tzinfo=local_zone(), output_field=DateField())
    raise ValueError(f"unknown grouping {group!r}")


def _scoped(queryset, villages, period: Period):
    return sources.in_period(queryset, period).filter(village__in=villages)


def parts(villages, period: Period, group: str | None) -> dict:
    expression = _group(group)
    grouping = {} if expression is None else {"group": expression}
    result: dict = defaultdict(Parts.empty)
    for key in sources.MONEY_KEYS:
        rows = (
            _scoped(sources.money_entries(key), villages, period)
            .annotate(**grouping)
            .values(*grouping)
            .annotate(fen=fen_sum("amount"))
            .order_by()
        )
        for row in rows:
            result[row.get("group")].fen[key] += sources.SIGN[key] * (row["fen"] or 0)
    households = (
        _scoped(sources.household_entries(), villages, period)
        .annotate(**grouping)
        .values_list("group" if grouping else "account__farmer_id", "account__farmer_id")
        .distinct()
        .order_by()
    )
    for group_key, farmer in households:
        result[group_key if grouping else None].farmers.add(farmer)
    orders = (
        _scoped(sources.promoted_order_entries(), villages, period)
        .annotate(**grouping)
        .values_list("group" if grouping else "transaction__order_id", "transaction__order_id")
        .distinct()
        .order_by()
    )
    for group_key, order in orders:
        result[group_key if grouping else None].orders.add(order)
    return dict(result)


def first_sales(farmers) -> dict[int, date]:
    rows = (
        sources.household_entries()
        .filter(account__farmer__in=farmers)
        .values("account__farmer_id")
        .annotate(first=Min("transaction__created_at"))
        .order_by()
    )
    zone = local_zone()
    return {row["account__farmer_id"]: timezone.localtime(row["first"], zone).date() for row in rows}


def facts_of(farmers, first: dict[int, date]) -> dict[int, FarmerFacts]:
    rows = Farmer.objects.filter(pk__in=farmers).values_list(
        "pk", "is_registered_poor", "household_size", "village__poverty_line", "village__baseline_income"
    )
    return {
        pk: FarmerFacts(poor=poor, people=people, poverty_line=line, baseline_income=baseline, first_sale=first.get(pk))
        for pk, poor, people, line, baseline in rows
    }


def farmer_facts(farmers: set[int]) -> dict[int, FarmerFacts]:
    if not farmers:
        return {}
    farmers = list(farmers)
    return facts_of(farmers, first_sales(farmers))
