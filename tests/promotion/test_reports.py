"""Sponsors' reports (promotion.reports): each day's spend, impressions, clicks by outcome, and the
paid orders credited to the campaign with their goods and the farmers' income, by Asia/Shanghai
day; the same figures whatever the database, in five queries whatever the number of days."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from promotion.models import ClickOutcome, OrderAttribution
from promotion.reports import DEFAULT_DAYS, MAX_DAYS, campaign_report, check_range, default_range, totals_for
from tests import factories as f
from tests.promotion.reporting import at, two_days

pytestmark = pytest.mark.django_db


def _row(figures):
    return (
        figures.spend,
        figures.impressions,
        figures.billed_clicks,
        figures.unbilled_clicks,
        figures.orders,
        figures.revenue,
        figures.farmer_income,
    )


def test_each_day_of_the_known_history(settings):
    story = two_days(settings)
    assert OrderAttribution.objects.filter(campaign=story.campaign).count() == 3  # the unpaid one too

    report = campaign_report(story.campaign, story.day_a, story.today)

    assert [d.day for d in report.days] == [story.day_a, story.day_b, story.today]
    day_a, day_b, today = report.days
    # Two billed clicks (one at 23:30 Shanghai), a repeat and a bot's; order 1: 60.00 less 6.00 fee.
    assert _row(day_a) == (Decimal("1.00"), 40, 2, 2, 1, Decimal("60.00"), Decimal("54.00"))
    assert (day_a.clicks_by_outcome[ClickOutcome.REPEAT], day_a.clicks_by_outcome[ClickOutcome.BOT]) == (1, 1)
    # The 00:30 click is day B in Shanghai (16:30 UTC of day A). Order 2 without its refunded line;
    # order 3 was never paid.
    assert _row(day_b) == (Decimal("0.50"), 25, 1, 0, 1, Decimal("30.00"), Decimal("27.00"))
    assert _row(today) == (Decimal("0.00"), 0, 0, 0, 0, Decimal("0.00"), Decimal("0.00"))
    assert _row(report.totals) == (Decimal("1.50"), 65, 3, 2, 2, Decimal("90.00"), Decimal("81.00"))
    assert report.totals.clicks == 5 and set(report.totals.clicks_by_outcome) == set(ClickOutcome.values)
    assert all(isinstance(x, Decimal) for x in (report.totals.spend, report.totals.revenue))


def test_a_range_counts_only_its_days(settings):
    story = two_days(settings)
    report = campaign_report(story.campaign, story.day_b, story.day_b)
    assert [d.day for d in report.days] == [story.day_b]
    assert _row(report.totals) == (Decimal("0.50"), 25, 1, 0, 1, Decimal("30.00"), Decimal("27.00"))


def test_totals_cover_each_campaigns_life_by_the_same_rules(settings):
    story = two_days(settings)
    totals = totals_for([story.campaign.pk, story.other.pk])
    assert _row(totals[story.campaign.pk]) == _row(campaign_report(story.campaign, story.day_a, story.today).totals)
    # The other campaign's click (0.70) and impressions stay its own; it brought no order.
    assert _row(totals[story.other.pk]) == (Decimal("0.70"), 1000, 1, 0, 0, Decimal("0.00"), Decimal("0.00"))


def test_a_fully_refunded_order_brings_nothing(settings):
    from payments.models import Payment
    from payments.shopper_payments import refund_payment
    from shop.models import Order

    story = two_days(settings)
    second = Order.objects.filter(attribution__campaign=story.campaign, paid_at__isnull=False).latest("created_at")
    refund_payment(f.staff_user(), Payment.objects.get(order=second))  # the rest: status becomes refunded
    day_b = campaign_report(story.campaign, story.day_b, story.day_b).totals
    assert (day_b.orders, day_b.revenue, day_b.farmer_income) == (0, Decimal("0.00"), Decimal("0.00"))
    assert day_b.spend == Decimal("0.50")  # the click was still paid for


@pytest.mark.parametrize("days", [1, 60])
def test_a_report_costs_five_queries_whatever_its_days(settings, django_assert_num_queries, days):
    story = two_days(settings)
    with django_assert_num_queries(5):
        report = campaign_report(story.campaign, story.today - datetime.timedelta(days=days - 1), story.today)
    assert len(report.days) == days


def test_totals_of_many_campaigns_cost_five_queries(django_assert_num_queries):
    campaigns = [f.campaign() for _ in range(6)]
    with django_assert_num_queries(5):
        totals_for(c.pk for c in campaigns)


def test_a_range_must_run_forward_and_not_too_long():
    day = datetime.date(2025, 3, 1)
    with pytest.raises(ValidationError) as backwards:
        check_range(day, day - datetime.timedelta(days=1))
    assert backwards.value.error_dict["end"][0].code == "invalid_range"
    with pytest.raises(ValidationError) as long:
        check_range(day, day + datetime.timedelta(days=MAX_DAYS))
    assert long.value.error_dict["end"][0].code == "range_too_long"
    check_range(day, day + datetime.timedelta(days=MAX_DAYS - 1))


def test_the_default_range_is_the_campaigns_life_or_its_last_days():
    today = datetime.date(2025, 6, 30)
    young = f.campaign(starts_at=at(datetime.date(2025, 6, 21), 9))
    assert default_range(young, today) == (datetime.date(2025, 6, 21), today)
    old = f.campaign(starts_at=at(datetime.date(2025, 1, 1), 9))
    assert default_range(old, today) == (today - datetime.timedelta(days=DEFAULT_DAYS - 1), today)
    ended = f.campaign(starts_at=at(datetime.date(2025, 5, 1), 9), ends_at=at(datetime.date(2025, 5, 10), 18))
    assert default_range(ended, today) == (datetime.date(2025, 5, 1), datetime.date(2025, 5, 10))
    later = f.campaign(starts_at=at(datetime.date(2025, 7, 5), 0))
    assert default_range(later, today) == (datetime.date(2025, 7, 5), datetime.date(2025, 7, 5))


def test_days_are_shanghai_days_whatever_the_servers_zone(settings):
    settings.TIME_ZONE = "UTC"
    story = two_days(settings)
    report = campaign_report(story.campaign, story.day_a, story.day_b)
    assert [d.billed_clicks for d in report.days] == [2, 1]
