"""Periods: what parse_period reads and refuses, their labels, bounds in Shanghai days, the period
before, and the points of a chart."""

from datetime import date, datetime, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from impact.periods import Period, buckets, local_zone, parse_period


@pytest.mark.parametrize(
    ("text", "start", "end", "kind"),
    [
        ("2026-03", date(2026, 3, 1), date(2026, 3, 31), "month"),
        ("2024-02", date(2024, 2, 1), date(2024, 2, 29), "month"),
        ("2026-Q1", date(2026, 1, 1), date(2026, 3, 31), "quarter"),
        ("2026-q4", date(2026, 10, 1), date(2026, 12, 31), "quarter"),
        ("2026", date(2026, 1, 1), date(2026, 12, 31), "year"),
        (" 2026-01-05..2026-02-10 ", date(2026, 1, 5), date(2026, 2, 10), "range"),
        ("2026-01-05..2026-01-05", date(2026, 1, 5), date(2026, 1, 5), "range"),
    ],
)
def test_periods_are_read(text, start, end, kind):
    assert parse_period(text) == Period(start, end, kind)
    assert parse_period(str(parse_period(text))) == parse_period(text)


@pytest.mark.parametrize(
    "text",
    [
        "",
        None,
        "2026-13",
        "2026-00",
        "2026-Q5",
        "26",
        "2026-3",
        "2026-02-30..2026-03-01",
        "2026-03-01..2026-02-01",
        "2020-01-01..2023-01-10",
        "March",
    ],
)
def test_bad_periods_are_refused_on_the_period_field(text):
    with pytest.raises(ValidationError) as refused:
        parse_period(text)
    (error,) = refused.value.error_dict["period"]
    assert error.code == "invalid_period" and error.message


def test_a_range_of_three_years_is_allowed_and_one_day_more_is_not():
    assert parse_period("2020-01-01..2022-12-31").days == 1096
    with pytest.raises(ValidationError):
        parse_period("2020-01-01..2023-01-04")


def test_labels_in_chinese():
    with translation.override("zh-hans"):
        assert parse_period("2026-03").label == "2026年3月"
        assert parse_period("2026-Q1").label == "2026年第1季度"
        assert parse_period("2026").label == "2026年"
        assert parse_period("2026-01-05..2026-02-10").label == "2026年1月5日至2026年2月10日"
    with translation.override("en"):
        assert parse_period("2026-03").label == "March 2026"


def test_bounds_are_shanghai_days():
    start, end = parse_period("2026-03").bounds()
    assert start == datetime(2026, 3, 1, tzinfo=local_zone()) and end == datetime(2026, 4, 1, tzinfo=local_zone())
    assert start.utcoffset() == timedelta(hours=8)


def test_the_period_before():
    assert parse_period("2026-01").previous() == parse_period("2025-12")
    assert parse_period("2026-Q1").previous() == parse_period("2025-Q4")
    assert parse_period("2026").previous() == parse_period("2025")
    assert parse_period("2026-01-05..2026-01-14").previous() == parse_period("2025-12-26..2026-01-04")


def test_buckets():
    assert [str(b) for b in buckets(parse_period("2026"))] == [f"2026-{m:02d}" for m in range(1, 13)]
    assert [str(b) for b in buckets(parse_period("2026-Q2"))] == ["2026-04", "2026-05", "2026-06"]
    march = buckets(parse_period("2026-03"))
    assert len(march) == 31 and march[0] == Period.day(date(2026, 3, 1)) and march[-1].end == date(2026, 3, 31)
    assert len(buckets(parse_period("2026-01-01..2026-03-03"))) == 62  # 62 days: day by day
    long = buckets(parse_period("2026-01-05..2026-03-10"))
    assert [str(b) for b in long] == ["2026-01-05..2026-01-31", "2026-02", "2026-03-01..2026-03-10"]
