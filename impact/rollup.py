"""The daily roll-up: the figures' parts per village and Asia/Shanghai day (`impact.models`),
kept by `refresh()` so that a village-month or an NGO's dashboard reads a few hundred rows instead
of the ledger.

`refresh()` finds the days touched since it last ran: the days of ledger transactions with a
higher id than the last one it read, or booked within OVERLAP before its last run (a transaction
that took an id earlier but committed after that run was invisible to it: the overlap catches
it), and the days of the transactions of orders credited to a click since then. Each such day is
rebuilt whole from the ledger (`impact.sources`) with INSERT … SELECT, for every village at once:
set-based SQL, so a rebuild of two years on a large database is a handful of statements. A
refresh runs under a lock of the one `RollupState` row (one at a time), inside one transaction
(a reader sees the days before or after, never half), and repeating it changes nothing."""

import logging
from collections import defaultdict
from datetime import date, timedelta

from django.db import connection, transaction
from django.db.models import F, IntegerField, Min, Q, Sum, Value
from django.db.models.functions import Cast, Round, TruncDate, TruncMonth
from django.utils import timezone

from payments.models import LedgerTransaction
from promotion.models import OrderAttribution

from . import ledger_source, sources
from .figures import FarmerFacts, Parts
from .models import HouseholdDay, PromotedOrderDay, RollupState, VillageDay
from .periods import Period, local_zone

logger = logging.getLogger(__name__)

# How long a ledger transaction may take between taking its id and committing and still be
# counted by the next refresh. Longer ones are caught by the nightly full rebuild.
OVERLAP = timedelta(minutes=15)


# --- Refreshing -------------------------------------------------------------------------------


def _runs(days: list[date]) -> list[tuple[date, date]]:
    """Sorted days as runs of consecutive days (first, last)."""
    runs: list[list[date]] = []
    for day in sorted(set(days)):
        if runs and day == runs[-1][1] + timedelta(days=1):
            runs[-1][1] = day
        else:
            runs.append([day, day])
    return [(first, last) for first, last in runs]


def _booked_within(runs) -> Q:
    q = Q()
    for first, last in runs:
        start, end = Period(first, last).bounds()
        q |= Q(transaction__created_at__gte=start, transaction__created_at__lt=end)
    return q


def _days_within(runs) -> Q:
    q = Q()
    for first, last in runs:
        q |= Q(day__gte=first, day__lte=last)
    return q


def _insert_select(model, queryset, columns: list[str]) -> None:
    """INSERT INTO model's table (columns) SELECT … of the queryset, whose selected values are,
    in order, those columns (Django 5.2 keeps the order given to values())."""
    sql, params = queryset.query.sql_with_params()
    table = connection.ops.quote_name(model._meta.db_table)
    names = ", ".join(connection.ops.quote_name(model._meta.get_field(name).column) for name in columns)
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {table} ({names}) {sql}", params)


def _signed_fen(key: str):
    fen = Cast(Round(F("amount") * 100), IntegerField())
    return Sum(fen * Value(sources.SIGN[key]), output_field=IntegerField())


def _rebuild(runs: list[tuple[date, date]] | None) -> None:
    """Rebuild the given runs of days (None: every day) from the ledger."""
    booked = Q() if runs is None else _booked_within(runs)
    days = Q() if runs is None else _days_within(runs)
    for model in (VillageDay, HouseholdDay, PromotedOrderDay):
        model.objects.filter(days).delete()
    for key in sources.MONEY_KEYS:
        rows = (
            sources.money_entries(key)
            .filter(booked, village__isnull=False)
            .annotate(day=sources.local_day(), figure=Value(key))
            .values("village", "day", "figure")
            .annotate(fen=_signed_fen(key))
            .filter(~Q(fen=0))
            .order_by()
        )
        _insert_select(VillageDay, rows, ["village", "day", "figure", "fen"])
    households = (
        sources.household_entries()
        .filter(booked, village__isnull=False)
        .annotate(day=sources.local_day(), farmer=F("account__farmer_id"))
        .values("village", "day", "farmer")
        .distinct()
        .order_by()
    )
    _insert_select(HouseholdDay, households, ["village", "day", "farmer"])
    orders = (
        sources.promoted_order_entries()
        .filter(booked, village__isnull=False)
        .annotate(day=sources.local_day(), the_order=F("transaction__order_id"))
        .values("village", "day", "the_order")
        .distinct()
        .order_by()
    )
    _insert_select(PromotedOrderDay, orders, ["village", "day", "order"])


def _touched_days(state: RollupState) -> list[date]:
    recent = Q(pk__gt=state.last_transaction_id)
    if state.scanned_at is not None:
        recent |= Q(created_at__gte=state.scanned_at - OVERLAP)
    attributed = OrderAttribution.objects.filter(
        Q(pk__gt=state.last_attribution_id)
        | (Q(created_at__gte=state.scanned_at - OVERLAP) if state.scanned_at else Q(pk__in=[]))
    ).values("order_id")
    touched = LedgerTransaction.objects.filter(recent | Q(order__in=attributed))
    day = TruncDate("created_at", tzinfo=local_zone())
    return list(touched.annotate(day=day).values_list("day", flat=True).distinct().order_by())


def refresh(*, full: bool = False, wait: bool = True) -> int | None:
    """Bring the roll-up up to date; returns how many days were rebuilt (None: every day, or not
    run because another refresh holds the lock and `wait` is False)."""
    RollupState.objects.get_or_create(pk=1)
    with transaction.atomic():
        locked = RollupState.objects.select_for_update(skip_locked=not wait).filter(pk=1).first()
        if locked is None:
            return None
        state = locked
        started = timezone.now()
        last_transaction = LedgerTransaction.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
        last_attribution = OrderAttribution.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
        if full or state.scanned_at is None:
            _rebuild(None)
            rebuilt = None
        else:
            days = _touched_days(state)
            if days:
                _rebuild(_runs(days))
            rebuilt = len(days)
        state.last_transaction_id = max(last_transaction, state.last_transaction_id)
        state.last_attribution_id = max(last_attribution, state.last_attribution_id)
        state.scanned_at = started
        state.refreshed_at = timezone.now()
        state.save()
    logger.info("impact roll-up refreshed: %s days", "all" if rebuilt is None else rebuilt)
    return rebuilt


def is_stale() -> bool:
    """Anything booked or credited since the last refresh (two indexed look-ups)."""
    state = RollupState.objects.filter(pk=1).first()
    if state is None or state.scanned_at is None:
        return True
    return (
        LedgerTransaction.objects.filter(pk__gt=state.last_transaction_id).exists()
        or OrderAttribution.objects.filter(pk__gt=state.last_attribution_id).exists()
    )


def refresh_if_stale() -> None:
    """Called by every read: cheap when nothing changed; when another refresh is running, read
    what is there rather than wait for it."""
    if is_stale():
        refresh(wait=False)


# --- Reading ----------------------------------------------------------------------------------


def _group(group: str | None):
    if group is None:
        return {}
    expression = {"village": F("village_id"), "day": F("day"), "month": TruncMonth("day")}[group]
    return {"group": expression}


def parts(villages, period: Period, group: str | None) -> dict:
    grouping = _group(group)
    result: dict = defaultdict(Parts.empty)
    scope = {"village__in": villages, "day__gte": period.start, "day__lte": period.end}
    money = (
        VillageDay.objects.filter(**scope)
        .annotate(**grouping)
        .values(*grouping, "figure")
        .annotate(fen=Sum("fen"))
        .order_by()
    )
    for row in money:
        result[row.get("group")].fen[row["figure"]] += row["fen"]
    for model, field, attribute in ((HouseholdDay, "farmer_id", "farmers"), (PromotedOrderDay, "order_id", "orders")):
        rows = model.objects.filter(**scope).annotate(**grouping).order_by()
        if grouping:
            pairs = rows.values_list("group", field).distinct()
        else:
            pairs = ((None, pk) for pk in rows.values_list(field, flat=True).distinct())
        for group_key, pk in pairs:
            getattr(result[group_key], attribute).add(pk)
    return dict(result)


def farmer_facts(farmers: set[int]) -> dict[int, FarmerFacts]:
    if not farmers:
        return {}
    farmers = list(farmers)
    first = dict(
        HouseholdDay.objects.filter(farmer__in=farmers)
        .values("farmer_id")
        .annotate(first=Min("day"))
        .order_by()
        .values_list("farmer_id", "first")
    )
    return ledger_source.facts_of(farmers, first)
