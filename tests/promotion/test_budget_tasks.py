"""The periodic tasks: pacing's housekeeping (ending, exhausting, the click-rate estimate), the
controller's single steps, and the reconciliation of Redis's live counters with the Spend ledger."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from promotion import budget, pacing, tasks
from promotion.budget import RECONCILE_QUIET_SECONDS, RedisBudget, _keys
from promotion.clock import budget_day, day_start
from promotion.models import CampaignDay, CampaignState, ClickOutcome
from promotion.serving import choose
from tests import factories as f
from tests.promotion.clicking import click

pytestmark = pytest.mark.django_db


def test_beat_runs_the_budget_tasks_every_minute_and_the_feed_figures_every_five(settings):
    schedule = {
        entry["task"]: entry["schedule"]
        for entry in settings.CELERY_BEAT_SCHEDULE.values()
        if entry["task"].startswith("promotion.")
    }
    assert schedule == {
        "promotion.tasks.pace_campaigns": 60.0,
        "promotion.tasks.reconcile_budgets": 60.0,
        "promotion.tasks.fold_feed_stats": 300.0,
    }


# --- pacing's housekeeping --------------------------------------------------------------------


def test_pace_ends_campaigns_past_their_end_and_leaves_drafts_alone():
    now = timezone.now()
    schedule = {"starts_at": now - datetime.timedelta(days=2), "ends_at": now - datetime.timedelta(minutes=1)}
    over = f.campaign(**schedule)
    paused_over = f.campaign(state=CampaignState.PAUSED, **schedule)
    draft_over = f.campaign(state=CampaignState.DRAFT, **schedule)
    running = f.campaign(ends_at=now + datetime.timedelta(days=1))
    assert tasks.pace_campaigns.delay().get() == 1  # only `running` was paced
    states = {c: c.__class__.objects.get(pk=c.pk).state for c in (over, paused_over, draft_over, running)}
    assert states == {
        over: CampaignState.ENDED,
        paused_over: CampaignState.ENDED,
        draft_over: CampaignState.DRAFT,
        running: CampaignState.ACTIVE,
    }


def test_pace_marks_exhausted_a_campaign_whose_total_cap_cannot_pay_its_bid():
    product = f.product()
    campaign = f.campaign(products=[product], bid=Decimal("1.00"), total_cap=Decimal("2.50"))
    still_able = f.campaign(products=[product], bid=Decimal("1.00"), total_cap=Decimal("2.50"))
    assert click(campaign, product).outcome == ClickOutcome.BILLED
    assert click(still_able, product).outcome == ClickOutcome.BILLED
    campaign.bid = Decimal("2.00")  # the sponsor raised the bid: 1.00 spent + 2.00 > 2.50
    campaign.save(update_fields=["bid"])
    pacing.pace(timezone.now())
    campaign.refresh_from_db()
    still_able.refresh_from_db()
    assert campaign.state == CampaignState.EXHAUSTED
    assert still_able.state == CampaignState.ACTIVE


def test_pace_renews_the_predicted_click_rate_smoothed_toward_the_prior():
    product = f.product()
    fresh = f.campaign(products=[product], predicted_ctr=0.5)
    seasoned = f.campaign(products=[product], predicted_ctr=0.5)
    now = timezone.now()
    for n in range(4):
        assert click(seasoned, product, viewer=f"v:{n}", now=now).outcome == ClickOutcome.BILLED
    CampaignDay.objects.update_or_create(campaign=seasoned, day=budget_day(now), defaults={"impressions": 60})
    CampaignDay.objects.create(campaign=seasoned, day=budget_day(now) - datetime.timedelta(days=1), impressions=40)
    pacing.pace(now)
    fresh.refresh_from_db()
    seasoned.refresh_from_db()
    prior = pacing.PRIOR_CLICKS / pacing.PRIOR_IMPRESSIONS
    assert fresh.predicted_ctr == pytest.approx(prior)
    # 4 billed clicks in 100 impressions over two days, pulled toward the prior by 50 impressions.
    assert seasoned.predicted_ctr == pytest.approx((4 + 1) / (100 + 50))
    assert prior < seasoned.predicted_ctr < 4 / 100


# --- single controller steps ------------------------------------------------------------------

NOON = day_start(datetime.date(2025, 3, 12)) + datetime.timedelta(hours=12)
FLAT = pacing.traffic_shape([1] * 24)


def step(rate, spent_today_fen, recent_fen, now=NOON):
    return pacing.next_rate(
        pacing.Pace(
            rate=rate,
            daily_cap_fen=24_000,
            bid_fen=100,
            spent_today_fen=spent_today_fen,
            recent_fen=recent_fen,
            window=pacing.WINDOW,
        ),
        now,
        FLAT,
    )


def test_on_plan_at_the_plans_pace_the_rate_moves_by_one_small_step():
    # Noon: 120.00 of 240.00 planned; the plan's pace is 5.00 in 30 minutes.
    assert step(0.5, 12_000, 400) == pytest.approx(0.5 * (1 + pacing.STEP))
    assert step(0.5, 12_000, 600) == pytest.approx(0.5 * (1 - pacing.STEP))


def test_far_ahead_the_rate_falls_fast_far_behind_it_climbs_at_the_bounded_catch_up():
    assert step(0.5, 20_000, 5_000) == pytest.approx(0.5 * (1 - pacing.MAX_STEP))
    # 10.00 spent of 120.00 planned, nothing lately: the target is CATCH_UP × the plan's pace, no more.
    assert step(0.2, 1_000, 0) == pytest.approx(0.2 * (1 + pacing.STEP * pacing.CATCH_UP))
    assert step(1.0, 0, 0) == pacing.MAX_RATE
    assert step(pacing.MIN_RATE, 24_000, 5_000) == pacing.MIN_RATE


def test_a_campaign_that_spent_its_daily_cap_keeps_its_rate_for_tomorrow():
    product = f.product()
    campaign = f.campaign(products=[product], daily_cap=Decimal("2.00"), serving_rate=0.3)
    now = timezone.now()
    for n in range(2):
        assert click(campaign, product, viewer=f"v:{n}", now=now).outcome == ClickOutcome.BILLED
    pacing.pace(now)
    campaign.refresh_from_db()
    assert campaign.serving_rate == 0.3


def test_the_traffic_shape_is_clipped_so_no_hour_is_planned_above_the_peak_share():
    shape = pacing.traffic_shape([0.5] * 7 + [1] * 13 + [2] * 4)
    assert sum(shape) == pytest.approx(1)
    assert max(shape) == pytest.approx(pacing.PEAK_SHARE / 24)
    assert shape[0] < shape[8] < shape[22]
    assert pacing.traffic_shape(None) == pytest.approx([1 / 24] * 24)
    for wrong in ([1] * 23, [-1] + [1] * 23, [0] * 24):
        with pytest.raises(ValueError):
            pacing.traffic_shape(wrong)


# --- reconciling Redis with the ledger --------------------------------------------------------


def counters(client, campaign, now) -> tuple[int | None, int | None]:
    keys = _keys(campaign.pk, budget_day(now))
    return tuple(None if v is None else int(v) for v in client.mget(keys["total"], keys["day"]))


def test_counters_lost_from_redis_are_reseeded_from_the_ledger_and_the_cap_holds(on_redis):
    product = f.product()
    campaign = f.campaign(products=[product], bid=Decimal("1.00"), daily_cap=Decimal("3.00"))
    now = timezone.now()
    for n in range(2):
        assert click(campaign, product, viewer=f"v:{n}", now=now).outcome == ClickOutcome.BILLED
    keys = _keys(campaign.pk, budget_day(now))
    on_redis.delete(keys["total"], keys["day"], keys["last"])  # Redis restarted without its data
    outcomes = [click(campaign, product, viewer=f"w:{n}", now=now).outcome for n in range(3)]
    assert outcomes == [ClickOutcome.BILLED, ClickOutcome.OVER_BUDGET, ClickOutcome.OVER_BUDGET]
    assert budget.ledger_spent_fen(campaign.pk) == 300
    assert counters(on_redis, campaign, now) == (300, 300)


def test_a_redis_counter_below_the_ledger_is_raised_at_once(on_redis):
    product = f.product()
    campaign = f.campaign(products=[product], bid=Decimal("1.00"), daily_cap=Decimal("3.00"))
    now = timezone.now()
    for n in range(2):
        click(campaign, product, viewer=f"v:{n}", now=now)
    keys = _keys(campaign.pk, budget_day(now))
    on_redis.set(keys["total"], 0)
    on_redis.set(keys["day"], 0)  # e.g. restored from an old snapshot
    budget.reconcile_campaigns(now + datetime.timedelta(seconds=1))  # right after a debit: raising is always safe
    assert counters(on_redis, campaign, now) == (200, 200)
    outcomes = [click(campaign, product, viewer=f"w:{n}", now=now).outcome for n in range(2)]
    assert outcomes == [ClickOutcome.BILLED, ClickOutcome.OVER_BUDGET]


def test_a_redis_counter_above_the_ledger_is_lowered_only_after_the_quiet_period(on_redis):
    product = f.product()
    campaign = f.campaign(products=[product], bid=Decimal("1.00"))
    now = timezone.now()
    click(campaign, product, viewer="v:1", now=now)
    # A debit whose database write failed (or is not committed yet): Redis counts it, the ledger not.
    assert RedisBudget().charge(campaign, "v:2", now).outcome == ClickOutcome.BILLED
    assert counters(on_redis, campaign, now) == (200, 200)
    budget.reconcile_campaigns(now + datetime.timedelta(seconds=RECONCILE_QUIET_SECONDS - 1))
    assert counters(on_redis, campaign, now) == (200, 200)
    budget.reconcile_campaigns(now + datetime.timedelta(seconds=RECONCILE_QUIET_SECONDS))
    assert counters(on_redis, campaign, now) == (100, 100)
    campaign.refresh_from_db()
    assert campaign.spent_fen == 100  # the database counters shown in the admin follow the ledger
    assert CampaignDay.objects.get(campaign=campaign, day=budget_day(now)).spent_fen == 100


def test_impressions_counted_in_redis_are_folded_in_once_including_yesterdays(on_redis):
    product = f.product()
    now = timezone.now()
    campaign = f.campaign(products=[product], starts_at=now - datetime.timedelta(days=3))
    yesterday = now - datetime.timedelta(days=1)
    for at in (yesterday, now, now, now):
        assert choose(1, at)
    assert budget.reconcile_campaigns(now) >= 1
    assert budget.reconcile_campaigns(now) >= 1  # a second run finds nothing new
    impressions = dict(CampaignDay.objects.filter(campaign=campaign).values_list("day", "impressions"))
    assert impressions == {budget_day(yesterday): 1, budget_day(now): 3}
    choose(1, now)
    tasks.reconcile_budgets.delay()  # the task itself, at the real time
    assert CampaignDay.objects.get(campaign=campaign, day=budget_day(now)).impressions == 4


def test_on_the_database_path_reconcile_has_nothing_to_move(settings):
    settings.PROMOTION_BUDGET_BACKEND = "database"
    product = f.product()
    campaign = f.campaign(products=[product])
    now = timezone.now()
    click(campaign, product, now=now)
    choose(1, now)
    assert budget.reconcile_campaigns(now) == 1
    campaign.refresh_from_db()
    assert campaign.spent_fen == 100
    assert CampaignDay.objects.get(campaign=campaign, day=budget_day(now)).impressions == 1
