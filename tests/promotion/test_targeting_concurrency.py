"""A frequency cap under real concurrency: one reader (one viewer cookie) opens the feed 32 times at
the same moment, each request in its own thread, test client and database connection, against a
campaign capped at 3 a day: exactly 3 of those pages show it, on both budget backends (Redis's
script, with the real server; the database's conditional UPDATE, on PostgreSQL: SQLite serialises
writers and would hide the race)."""

import pytest
from django.test import Client
from django.utils import timezone

from promotion import budget
from promotion.budget import _keys, repeat_key
from promotion.clock import budget_day
from promotion.models import CampaignDay, CampaignViewerDay
from tests import factories as f
from tests.concurrency.threads import run_together

pytestmark = [pytest.mark.postgres, pytest.mark.slow, pytest.mark.timeout(90)]

REQUESTS = 32
CAP = 3
COOKIE = "0123456789abcdef0123456789abcdef"


@pytest.fixture(params=["redis", "database"])
def budget_backend(request, require_postgres, transactional_db, settings):
    if request.param == "redis":
        settings.REDIS_URL = request.getfixturevalue("require_redis")
    settings.PROMOTION_BUDGET_BACKEND = request.param
    settings.FEED_PROMOTED_EVERY = 5
    return request.param


def open_feed() -> bool:
    """One request of the reader; whether its page showed the promoted slot."""
    client = Client()
    client.cookies["shanhuo_viewer"] = COOKIE
    response = client.get("/feed/")
    assert response.status_code == 200
    return response.content.decode().count('href="/r/') == 1


def test_thirty_two_pages_at_once_show_a_campaign_capped_at_three_exactly_three_times(budget_backend):
    campaign = f.campaign(products=[f.product()], frequency_cap=CAP)
    for _ in range(25):  # newer goods: the promoted ones are not reached organically on the page
        f.product()

    shown = run_together([open_feed] * REQUESTS, timeout=60)

    assert sum(shown) == CAP
    day = budget_day(timezone.now())
    if budget_backend == "redis":
        client = budget.redis_client()
        keys = _keys(campaign.pk, day)
        assert int(client.get(keys["reader"] + repeat_key(f"c:{COOKIE}"))) == CAP
        assert int(client.get(keys["impressions"])) == CAP
    else:
        assert CampaignViewerDay.objects.get(campaign=campaign).impressions == CAP
        assert CampaignDay.objects.get(campaign=campaign, day=day).impressions == CAP
    # Another reader still sees it.
    other = Client()
    other.cookies["shanhuo_viewer"] = "f" * 32
    assert other.get("/feed/").content.decode().count('href="/r/') == 1
