"""Reporting periods: a month, a quarter, a year or a range of days, in Asia/Shanghai days.

A period is inclusive of both its days; `bounds()` turns it into the half-open range of aware
datetimes [start 00:00, end + 1 day 00:00) that ledger times are compared with, so a transaction
at 23:59:59 on the last day counts and one at 00:00 the next day does not."""

import calendar
import re
import zoneinfo
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from core.errors import field_error

KINDS = ("month", "quarter", "year", "range")
# A range longer than this is refused: a year or a quarter is the way to ask for more.
MAX_RANGE_DAYS = 3 * 366
# A range up to this many days is charted day by day, a longer one month by month.
DAILY_BUCKETS_UP_TO = 62

_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_QUARTER = re.compile(r"^(\d{4})-[Qq]([1-4])$")
_YEAR = re.compile(r"^(\d{4})$")
_RANGE = re.compile(r"^(\d{4}-\d{2}-\d{2})\.\.(\d{4}-\d{2}-\d{2})$")


def local_zone() -> zoneinfo.ZoneInfo:
    return zoneinfo.ZoneInfo(settings.TIME_ZONE)


def _month_end(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


@dataclass(frozen=True)
class Period:
    start: date
    end: date  # inclusive
    kind: str = "range"

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"unknown period kind {self.kind!r}")
        if self.end < self.start:
            raise ValueError("a period ends on or after its start")

    # --- Constructors ---------------------------------------------------------------------------

    @classmethod
    def month(cls, year: int, month: int) -> "Period":
        return cls(date(year, month, 1), _month_end(year, month), "month")

    @classmethod
    def quarter(cls, year: int, quarter: int) -> "Period":
        first = 3 * (quarter - 1) + 1
        return cls(date(year, first, 1), _month_end(year, first + 2), "quarter")

    @classmethod
    def year(cls, year: int) -> "Period":
        return cls(date(year, 1, 1), date(year, 12, 31), "year")

    @classmethod
    def day(cls, day: date) -> "Period":
        return cls(day, day, "range")

    # --- Reading --------------------------------------------------------------------------------

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def __str__(self) -> str:
        """The period in the form `parse_period` reads back."""
        if self.kind == "month":
            return f"{self.start:%Y-%m}"
        if self.kind == "quarter":
            return f"{self.start.year}-Q{(self.start.month - 1) // 3 + 1}"
        if self.kind == "year":
            return f"{self.start.year}"
        return f"{self.start.isoformat()}..{self.end.isoformat()}"

    @property
    def label(self) -> str:
        """For people: 2026年3月, 2026年第1季度, 2026年, 2026年1月5日至2026年2月10日."""
        if self.kind == "month":
            return _("%(month)s %(year)d") % {"year": self.start.year, "month": _month_name(self.start.month)}
        if self.kind == "quarter":
            quarter = (self.start.month - 1) // 3 + 1
            return _("Q%(quarter)d %(year)d") % {"year": self.start.year, "quarter": quarter}
        if self.kind == "year":
            return _("Year %(year)d") % {"year": self.start.year}
        if self.start == self.end:
            return _day_label(self.start)
        return _("%(start)s to %(end)s") % {"start": _day_label(self.start), "end": _day_label(self.end)}

    def bounds(self) -> tuple[datetime, datetime]:
        """[start 00:00, end + 1 day 00:00) as aware datetimes in the local zone (Asia/Shanghai)."""
        zone = local_zone()
        return (
            datetime.combine(self.start, time.min, tzinfo=zone),
            datetime.combine(self.end + timedelta(days=1), time.min, tzinfo=zone),
        )

    def previous(self) -> "Period":
        """The period of the same kind just before: the month, quarter or year before; for a
        range, the same number of days ending the day before it starts."""
        if self.kind == "month":
            before = self.start - timedelta(days=1)
            return Period.month(before.year, before.month)
        if self.kind == "quarter":
            before = self.start - timedelta(days=1)
            return Period.quarter(before.year, (before.month - 1) // 3 + 1)
        if self.kind == "year":
            return Period.year(self.start.year - 1)
        end = self.start - timedelta(days=1)
        return Period(end - timedelta(days=self.days - 1), end, "range")

    def contains(self, day: date) -> bool:
        return self.start <= day <= self.end


def _month_name(month: int) -> str:
    names = {
        1: pgettext("month in a period label", "January"),
        2: pgettext("month in a period label", "February"),
        3: pgettext("month in a period label", "March"),
        4: pgettext("month in a period label", "April"),
        5: pgettext("month in a period label", "May"),
        6: pgettext("month in a period label", "June"),
        7: pgettext("month in a period label", "July"),
        8: pgettext("month in a period label", "August"),
        9: pgettext("month in a period label", "September"),
        10: pgettext("month in a period label", "October"),
        11: pgettext("month in a period label", "November"),
        12: pgettext("month in a period label", "December"),
    }
    return names[month]


def _day_label(day: date) -> str:
    return _("%(month)s %(day)d, %(year)d") % {"year": day.year, "month": _month_name(day.month), "day": day.day}


def _invalid(message) -> Exception:
    return field_error("period", message, "invalid_period")


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise _invalid(_("%(day)s is not a date in the calendar.") % {"day": text}) from None


def parse_period(text) -> Period:
    """Read a period: "2026-03" (a month), "2026-Q1" (a quarter), "2026" (a year) or
    "2026-01-05..2026-02-10" (a range of days, both included, at most three years). Anything
    else is refused with a ValidationError on the field "period" (code "invalid_period")."""
    text = (text or "").strip() if isinstance(text, str) else ""
    if match := _MONTH.match(text):
        year, month = int(match[1]), int(match[2])
        if not 1 <= month <= 12 or year < 1:
            raise _invalid(_("There is no month %(period)s.") % {"period": text})
        return Period.month(year, month)
    if match := _QUARTER.match(text):
        if int(match[1]) < 1:
            raise _invalid(_("There is no year %(year)s.") % {"year": match[1]})
        return Period.quarter(int(match[1]), int(match[2]))
    if match := _YEAR.match(text):
        if int(match[1]) < 1:
            raise _invalid(_("There is no year %(year)s.") % {"year": match[1]})
        return Period.year(int(match[1]))
    if match := _RANGE.match(text):
        start, end = _date(match[1]), _date(match[2])
        if end < start:
            raise _invalid(_("The last day comes before the first day."))
        if (end - start).days + 1 > MAX_RANGE_DAYS:
            raise _invalid(_("A range can be at most three years long."))
        return Period(start, end, "range")
    raise _invalid(
        _("Write a month (2026-03), a quarter (2026-Q1), a year (2026) or two days (2026-01-05..2026-02-10).")
    )


def grain(period: Period) -> str:
    """How the period's chart is cut: "day" or "month" (see `buckets`)."""
    if period.kind == "month" or (period.kind == "range" and period.days <= DAILY_BUCKETS_UP_TO):
        return "day"
    return "month"


def buckets(period: Period) -> list[Period]:
    """The points of a chart of the period: a year or a quarter by month, a month by day, a range
    by day when it is at most 62 days long and else by month (the first and last months cut to
    the range)."""
    if grain(period) == "day":
        return [Period.day(period.start + timedelta(days=n)) for n in range(period.days)]
    result = []
    first = period.start
    while first <= period.end:
        month_end = _month_end(first.year, first.month)
        last = min(month_end, period.end)
        whole = first.day == 1 and last == month_end
        result.append(Period.month(first.year, first.month) if whole else Period(first, last, "range"))
        first = last + timedelta(days=1)
    return result
