"""Budget caps under real concurrency: 64 clients click a campaign's promoted links at the same
moment, through /r/<token>, each from its own thread, test client (its own cookie, so its own
viewer) and database connection; the rows are committed (`transactional_db`).

Run on PostgreSQL against both budget backends: Redis's Lua check-and-debit (with the real Redis
server) and the database's conditional UPDATE. SQLite serialises writers and would hide what
these tests look for. Each client clicks several fresh tokens, so far more billable clicks arrive
than the budget can pay: billed spend must be exactly the cap, never more.
"""

import datetime
from decimal import Decimal

import pytest
from django.db.models import Count
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from payments import ledger
from promotion import tokens
from promotion.budget import ledger_spent_fen
from promotion.models import CampaignDay, CampaignState, Click, ClickOutcome, Spend
from tests import factories as f
from tests.concurrency.threads import run_together

pytestmark = [pytest.mark.postgres, pytest.mark.slow, pytest.mark.timeout(90)]

CLIENTS = 64
CLICKS_PER_CLIENT = 3
BROWSER = "Mozilla/5.0 (Linux; Android 12; Redmi 9A) AppleWebKit/537.36 Chrome/120 Mobile Safari/537.36"


@pytest.fixture(params=["redis", "database"])
def budget_backend(request, require_postgres, transactional_db, settings):
    if request.param == "redis":
        settings.REDIS_URL = request.getfixturevalue("require_redis")
    settings.PROMOTION_BUDGET_BACKEND = request.param
    return request.param


def click_many(campaign, product, how_many: int) -> list[int]:
    """One client: `how_many` clicks on fresh tokens; each click a new viewer (fresh cookies)."""
    client = Client(HTTP_USER_AGENT=BROWSER)
    statuses = []
    for _ in range(how_many):
        client.cookies.clear()
        response = client.get(f"/r/{tokens.issue(campaign.pk, product.pk, timezone.now())}")
        statuses.append(response.status_code)
        assert response["Location"] == reverse("shop:product", args=[product.slug])
    return statuses


def outcomes(campaign) -> dict[str, int]:
    rows = Click.objects.filter(campaign=campaign).values("outcome").annotate(n=Count("id"))
    return {row["outcome"]: row["n"] for row in rows}


@pytest.mark.parametrize("cap", ["total", "daily"])
def test_sixty_four_clients_never_spend_past_a_budget_of_a_hundred_clicks(budget_backend, cap):
    product = f.product()
    budget = Decimal("37.00")  # 100 clicks at 0.37: not a round number of yuan
    caps = {"total_cap": budget, "daily_cap": Decimal("1000.00")}
    if cap == "daily":
        caps = {"total_cap": Decimal("5000.00"), "daily_cap": budget}
    campaign = f.campaign(products=[product], bid=Decimal("0.37"), **caps)

    results = run_together([lambda: click_many(campaign, product, CLICKS_PER_CLIENT)] * CLIENTS, timeout=60)

    assert all(status == 302 for statuses in results for status in statuses)
    counted = outcomes(campaign)
    assert counted == {ClickOutcome.BILLED: 100, ClickOutcome.OVER_BUDGET: CLIENTS * CLICKS_PER_CLIENT - 100}
    assert Spend.objects.filter(campaign=campaign).count() == 100
    assert ledger_spent_fen(campaign.pk) == 3700
    # The spend is in the books: the sponsor's budget debited, promotion income credited, 100 times.
    assert ledger.balance(ledger.sponsor_account(campaign.sponsor)) == budget
    assert ledger.balance(ledger.promotion_income_account()) == -budget
    campaign.refresh_from_db()
    if budget_backend == "database":
        assert campaign.spent_fen == 3700
        assert CampaignDay.objects.get(campaign=campaign).spent_fen == 3700
    if cap == "total":
        assert campaign.state == CampaignState.EXHAUSTED
    else:
        assert campaign.state == CampaignState.ACTIVE


def test_the_same_viewer_clicking_at_once_from_many_requests_is_billed_once(budget_backend):
    """A viewer's repeat within 10 minutes is not billed, even when all the clicks race."""
    product = f.product()
    campaign = f.campaign(products=[product], bid=Decimal("0.50"))
    viewer = "0123456789abcdef0123456789abcdef"

    def click():
        client = Client(HTTP_USER_AGENT=BROWSER)
        client.cookies["shanhuo_viewer"] = viewer
        return client.get(f"/r/{tokens.issue(campaign.pk, product.pk, timezone.now())}").status_code

    assert set(run_together([click] * 32)) == {302}
    assert outcomes(campaign) == {ClickOutcome.BILLED: 1, ClickOutcome.REPEAT: 31}


def test_one_token_clicked_by_many_at_once_bills_once(budget_backend):
    product = f.product()
    campaign = f.campaign(products=[product])
    token = tokens.issue(campaign.pk, product.pk, timezone.now() - datetime.timedelta(minutes=1))

    def click():
        return Client(HTTP_USER_AGENT=BROWSER).get(f"/r/{token}").status_code

    assert set(run_together([click] * 32)) == {302}
    assert outcomes(campaign) == {ClickOutcome.BILLED: 1, ClickOutcome.REUSED: 31}
    assert Spend.objects.filter(campaign=campaign).count() == 1
