"""Impact figures of a set of villages over a period: what shoppers paid the villages' sellers,
what reached the farmers, which households sold, and what promotion brought.

Every money figure is a signed sum of ledger entries (`impact.sources`), so each one can be traced
to the entries behind it (`impact.trace`) and equals the ledger's sums. A county, a province, an
NGO or the whole country is the union of its villages (`villages_of`): figures are never averaged
over villages, they are recomputed over the union.

`figures()`, `series()` and `per_village()` read the daily roll-up tables (`impact.rollup`, kept
by a Celery task and refreshed before reading); `source="ledger"` computes the same figures
straight from the ledger, for tests and for checking the roll-up."""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import asdict, dataclass, fields
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from core.money import FEN
from farmers.models import Village

from .periods import Period, buckets, grain

RATIO_PLACES = Decimal("0.0001")
# Poverty lines and baseline incomes are per person per year; a period gets days/365 of them.
DAYS_PER_YEAR = Decimal(365)


@dataclass(frozen=True)
class FigureDefinition:
    key: str
    label: object  # a lazy translation
    unit: str  # "money" (CNY, Decimal to the fen) | "count" (int) | "ratio" (Decimal to 4 places, or None)
    iris: str  # the IRIS+ metric it reports, or ""
    definition: str  # exactly what is counted (English, for auditors and the drill-down pages)


def _figure(key, label, unit, iris, definition):
    return key, FigureDefinition(key, label, unit, iris, " ".join(definition.split()))


FIGURES: dict[str, FigureDefinition] = dict(
    [
        _figure(
            "gross_sales",
            _("Sales"),
            "money",
            "",
            """What shoppers paid the villages' sellers: the credits to the sellers' payable
            accounts in the ledger's payment transactions (key payment:…), goods and shipping,
            before the platform's fee; on the day the payment was booked.""",
        ),
        _figure(
            "refunds",
            _("Refunds"),
            "money",
            "",
            """What was taken back from the villages' sellers for refunds: the debits to their
            payable accounts in refund transactions (key refund:…), goods and any shipping
            refunded, before the fee given back; on the day the refund was booked.""",
        ),
        _figure("net_sales", _("Sales after refunds"), "money", "", "gross_sales − refunds."),
        _figure(
            "farmer_income",
            _("Farmers' income"),
            "money",
            "",
            """What the villages' sellers earned: every entry on their payable accounts in a
            transaction of an order (payment, platform fee, refund, fee returned), negated; that is
            sales, less the platform's fee, less refunds, plus the fee given back with them.""",
        ),
        _figure(
            "paid_out",
            _("Paid out to farmers"),
            "money",
            "PI7852",
            """Payments to smallholders (IRIS+ PI7852): the money that left the platform's cash
            accounts in payouts confirmed paid (key payout-paid:…) to the villages' sellers, on the
            day confirmed, less money the bank sent back for a paid payout (key
            payout-returned:…) on the day it came back. A payout that fails before it is paid
            never counts; one paid and then sent back counts once and is taken off again.""",
        ),
        _figure(
            "farmers_share",
            _("Farmers' share of each yuan"),
            "ratio",
            "PI8632",
            """paid_out ÷ gross_sales (after IRIS+ PI8632, the share of the final price reaching
            farmers). None when there were no sales.""",
        ),
        _figure(
            "households_with_sale",
            _("Households with a sale"),
            "count",
            "",
            """Farmers of the villages with at least one payment booked on their own payable
            account in the period. A cooperative's sales count in the money but not here: the
            ledger does not say which member grew the goods.""",
        ),
        _figure(
            "poor_households_with_sale",
            _("Registered poor households with a sale"),
            "count",
            "",
            "The households with a sale that are registered poor households (建档立卡), as marked now.",
        ),
        _figure(
            "new_households",
            _("New households reached"),
            "count",
            "",
            "Households with a sale whose first sale ever was booked in the period.",
        ),
        _figure(
            "payout_per_household",
            _("Paid out per household"),
            "money",
            "",
            "paid_out ÷ households_with_sale, to the fen. None when no household sold.",
        ),
        _figure(
            "payout_per_person",
            _("Paid out per person"),
            "money",
            "",
            """paid_out ÷ the people in the households with a sale (each farmer's household size),
            to the fen. None when no household sold.""",
        ),
        _figure(
            "payout_per_person_vs_poverty_line",
            _("Paid out per person against the poverty line"),
            "ratio",
            "",
            """paid_out ÷ Σ over the households with a sale of (people × their village's poverty
            line × days in the period ÷ 365): for one village, payout per person ÷ the poverty
            line prorated to the period. None when it is zero.""",
        ),
        _figure(
            "payout_per_person_vs_baseline_income",
            _("Paid out per person against the baseline income"),
            "ratio",
            "",
            """As the poverty-line figure, with the village's baseline income per person per year.
            None when no baseline income is recorded.""",
        ),
        _figure(
            "promotion_spend",
            _("Promotion spend"),
            "money",
            "",
            """What sponsors were billed for clicks on the villages' goods: the credits to the
            promotion income account in click transactions (key promotion-click-…), the click's
            product giving the village; on the day the click was billed.""",
        ),
        _figure(
            "promoted_orders",
            _("Orders from promotion"),
            "count",
            "",
            """Orders credited to a campaign's click (promotion.OrderAttribution with a campaign)
            that paid one of the villages' sellers in the period (their payment booked then).""",
        ),
        _figure(
            "promoted_income",
            _("Farmers' income from promotion"),
            "money",
            "",
            """farmer_income counted only on orders credited to a campaign's click: the sellers'
            payable entries in those orders' transactions (so a later refund lowers it).""",
        ),
        _figure(
            "relief_return",
            _("Farmers' income per promotion yuan"),
            "ratio",
            "",
            "promoted_income ÷ promotion_spend. None when nothing was spent.",
        ),
    ]
)


@dataclass(frozen=True)
class Figures:
    """The figures of one set of villages over one period (see FIGURES for each definition)."""

    gross_sales: Decimal
    refunds: Decimal
    net_sales: Decimal
    farmer_income: Decimal
    paid_out: Decimal
    farmers_share: Decimal | None
    households_with_sale: int
    poor_households_with_sale: int
    new_households: int
    payout_per_household: Decimal | None
    payout_per_person: Decimal | None
    payout_per_person_vs_poverty_line: Decimal | None
    payout_per_person_vs_baseline_income: Decimal | None
    promotion_spend: Decimal
    promoted_orders: int
    promoted_income: Decimal
    relief_return: Decimal | None

    def __getitem__(self, key: str):
        return getattr(self, key)

    def as_dict(self) -> dict:
        return asdict(self)


if [f.name for f in fields(Figures)] != list(FIGURES):
    raise ImportError("Figures and FIGURES list the same keys in one order")


# --- Scopes -----------------------------------------------------------------------------------

SCOPES = ("village", "county", "province", "ngo", "all")


def villages_of(scope: tuple[str, int | None]) -> QuerySet:
    """The ids of the villages of a scope: ("village", id), ("county", id), ("province", id),
    ("ngo", id) or ("all", None). A values queryset, to be passed as `villages`."""
    kind, pk = scope
    villages = Village.objects.all()
    if kind == "village":
        villages = villages.filter(pk=pk)
    elif kind == "county":
        villages = villages.filter(county_id=pk)
    elif kind == "province":
        villages = villages.filter(county__province_id=pk)
    elif kind == "ngo":
        villages = villages.filter(ngos=pk)
    elif kind != "all":
        raise ValueError(f"unknown scope {kind!r}")
    return villages.order_by().values_list("pk", flat=True)


def village_ids(villages) -> QuerySet | list[int]:
    """`villages` as something `village__in=` takes: a queryset of ids, or a list of ids."""
    if isinstance(villages, QuerySet):
        if villages.model is Village and villages._iterable_class.__name__ == "ModelIterable":
            return villages.order_by().values_list("pk", flat=True)
        return villages
    if isinstance(villages, Iterable):
        return [int(getattr(village, "pk", village)) for village in villages]
    raise TypeError("villages: a queryset or an iterable of Village ids")


# --- Assembling figures from their parts -------------------------------------------------------


@dataclass
class Parts:
    """What a set of figures is computed from: money in fen by key, the households that sold
    (farmer ids) and the promoted orders (order ids). Parts of disjoint village sets or days add
    up by union, which is why the roll-ups can be summed."""

    fen: dict[str, int]
    farmers: set[int]
    orders: set[int]

    @classmethod
    def empty(cls) -> "Parts":
        return cls(defaultdict(int), set(), set())


@dataclass(frozen=True)
class FarmerFacts:
    poor: bool
    people: int
    poverty_line: Decimal
    baseline_income: Decimal
    first_sale: date | None


def _yuan(fen: int) -> Decimal:
    return (Decimal(fen) / 100).quantize(FEN)


def _ratio(numerator: Decimal, divisor: Decimal) -> Decimal | None:
    if not divisor:
        return None
    return (numerator / divisor).quantize(RATIO_PLACES, rounding=ROUND_HALF_UP)


def _per(amount: Decimal, count) -> Decimal | None:
    if not count:
        return None
    return (amount / count).quantize(FEN, rounding=ROUND_HALF_UP)


def assemble(parts: Parts, facts: dict[int, FarmerFacts], period: Period) -> Figures:
    money = {key: _yuan(parts.fen.get(key, 0)) for key in ("gross_sales", "refunds", "farmer_income")}
    paid_out = _yuan(parts.fen.get("paid_out", 0))
    spend = _yuan(parts.fen.get("promotion_spend", 0))
    promoted_income = _yuan(parts.fen.get("promoted_income", 0))
    sold = [facts[pk] for pk in parts.farmers]
    people = sum(fact.people for fact in sold)
    share_of_year = Decimal(period.days) / DAYS_PER_YEAR
    poverty = sum((fact.people * fact.poverty_line for fact in sold), Decimal(0)) * share_of_year
    baseline = sum((fact.people * fact.baseline_income for fact in sold), Decimal(0)) * share_of_year
    return Figures(
        gross_sales=money["gross_sales"],
        refunds=money["refunds"],
        net_sales=money["gross_sales"] - money["refunds"],
        farmer_income=money["farmer_income"],
        paid_out=paid_out,
        farmers_share=_ratio(paid_out, money["gross_sales"]),
        households_with_sale=len(sold),
        poor_households_with_sale=sum(1 for fact in sold if fact.poor),
        new_households=sum(1 for fact in sold if fact.first_sale and period.contains(fact.first_sale)),
        payout_per_household=_per(paid_out, len(sold)),
        payout_per_person=_per(paid_out, people),
        payout_per_person_vs_poverty_line=_ratio(paid_out, poverty),
        payout_per_person_vs_baseline_income=_ratio(paid_out, baseline),
        promotion_spend=spend,
        promoted_orders=len(parts.orders),
        promoted_income=promoted_income,
        relief_return=_ratio(promoted_income, spend),
    )


# --- The public reads --------------------------------------------------------------------------


def _source(source: str):
    if source == "ledger":
        from . import ledger_source

        return ledger_source
    if source == "rollup":
        from . import rollup

        rollup.refresh_if_stale()
        return rollup
    raise ValueError(f"unknown source {source!r}")


def figures(villages, period: Period, *, source: str = "rollup") -> Figures:
    """The figures of the union of `villages` (a queryset or iterable of Village ids) over `period`."""
    reader = _source(source)
    parts = reader.parts(village_ids(villages), period, group=None)
    part = parts.get(None, Parts.empty())
    return assemble(part, reader.farmer_facts(part.farmers), period)


def figures_from_ledger(villages, period: Period) -> Figures:
    """The same figures computed straight from the ledger (slow on a large database)."""
    return figures(villages, period, source="ledger")


def series(villages, period: Period, *, source: str = "rollup") -> list[tuple[Period, Figures]]:
    """The figures of each point of the period's chart (`periods.buckets`), in order; a fixed
    number of queries whatever the number of points."""
    points = buckets(period)
    cut = grain(period)
    reader = _source(source)
    parts = reader.parts(village_ids(villages), period, group=cut)
    everyone = set().union(*(part.farmers for part in parts.values())) if parts else set()
    facts = reader.farmer_facts(everyone)
    result = []
    for point in points:
        key = point.start if cut == "day" else point.start.replace(day=1)
        result.append((point, assemble(parts.get(key, Parts.empty()), facts, point)))
    return result


def per_village(villages, period: Period, *, source: str = "rollup") -> dict[int, Figures]:
    """The figures of each village on its own (for rankings), in a fixed number of queries. Every
    village asked for is in the answer, with zeros when nothing happened there."""
    reader = _source(source)
    ids = village_ids(villages)
    all_ids = list(Village.objects.filter(pk__in=ids).values_list("pk", flat=True))
    parts = reader.parts(ids, period, group="village")
    everyone = set().union(*(part.farmers for part in parts.values())) if parts else set()
    facts = reader.farmer_facts(everyone)
    return {pk: assemble(parts.get(pk, Parts.empty()), facts, period) for pk in all_ids}
