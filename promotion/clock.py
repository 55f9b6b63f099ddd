"""Time for promotion: "a day" of a daily budget is a day in Asia/Shanghai, whatever the server's
zone, and every service takes `now` so that tests inject time instead of sleeping."""

import datetime
from zoneinfo import ZoneInfo

BUDGET_ZONE = ZoneInfo("Asia/Shanghai")


def budget_day(now: datetime.datetime) -> datetime.date:
    return now.astimezone(BUDGET_ZONE).date()


def day_start(day: datetime.date) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time(), tzinfo=BUDGET_ZONE)


def fraction_of_day(now: datetime.datetime) -> float:
    """How much of the budget day has passed, 0.0 at midnight to 1.0 at the next."""
    local = now.astimezone(BUDGET_ZONE)
    start = day_start(local.date())
    return (local - start).total_seconds() / 86400
