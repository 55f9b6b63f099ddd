"""Villages ranked for an NGO: by need (where poverty is deepest, so help should go first) and by
progress (where the money reaching farmers moves them furthest, and grows). The measures are
plain ratios of the village's baseline and its figures; the rankings sort on them, villages
whose measure is unknown (no households recorded, no sales) last."""

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from farmers.models import Village

from .figures import Figures, per_village
from .periods import Period

PLACES = Decimal("0.0001")


def _ratio(numerator, divisor) -> Decimal | None:
    if not divisor:
        return None
    return (Decimal(numerator) / Decimal(divisor)).quantize(PLACES, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class VillageRow:
    village: Village
    figures: Figures
    previous: Figures

    @property
    def poor_share(self) -> Decimal | None:
        """Registered poor households ÷ households (None when no households are recorded)."""
        return _ratio(self.village.poor_households, self.village.households)

    @property
    def income_vs_poverty_line(self) -> Decimal | None:
        """Baseline income ÷ poverty line, per person per year: below 1 means under the line.
        None when either is not recorded (0)."""
        if not self.village.baseline_income:
            return None
        return _ratio(self.village.baseline_income, self.village.poverty_line)

    @property
    def payout_vs_poverty_line(self) -> Decimal | None:
        return self.figures.payout_per_person_vs_poverty_line

    @property
    def paid_out_growth(self) -> Decimal | None:
        """(paid out − paid out the period before) ÷ paid out the period before; None when
        nothing was paid out before (growth from nothing has no ratio)."""
        return _ratio(self.figures.paid_out - self.previous.paid_out, self.previous.paid_out)


def village_rows(villages, period: Period) -> list[VillageRow]:
    """A row for each of `villages` (a Village queryset), with this and the previous period's figures."""
    villages = list(villages.select_related("county__province"))
    ids = [village.pk for village in villages]
    now, before = per_village(ids, period), per_village(ids, period.previous())
    return [VillageRow(village, now[village.pk], before[village.pk]) for village in villages]


def _unknown_last(value, descending: bool):
    if value is None:
        return (1, Decimal(0))
    return (0, -value if descending else value)


def by_need(rows: list[VillageRow]) -> list[VillageRow]:
    """The largest share of registered poor households first; among equals, the lowest baseline
    income against the poverty line."""
    return sorted(
        rows,
        key=lambda row: (
            _unknown_last(row.poor_share, descending=True),
            _unknown_last(row.income_vs_poverty_line, descending=False),
            row.village.pk,
        ),
    )


def by_progress(rows: list[VillageRow]) -> list[VillageRow]:
    """The highest payout per person against the poverty line first; among equals, the fastest
    growth of the money paid out over the period before."""
    return sorted(
        rows,
        key=lambda row: (
            _unknown_last(row.payout_vs_poverty_line, descending=True),
            _unknown_last(row.paid_out_growth, descending=True),
            row.village.pk,
        ),
    )
