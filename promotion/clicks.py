"""A click on a promoted slot: record it, decide whether it is billable, charge once, redirect.

Every click is recorded, billable or not, with the reason. The checks run cheapest and surest
first: the signature, the age, single use (the token id is unique among clicks), the token naming
a product the campaign promotes, the user agent, the campaign still running; only then the budget
backend's atomic check-and-debit, which also applies the repeat window. A billed click writes its
Spend row (unique per click, so a charge can never happen twice) and a balanced ledger transaction
in the same database transaction as the click."""

import datetime
import logging
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from core import metrics
from payments import ledger, ledger_text
from shop.models import Product
from shop.selectors import visible_products

from . import tokens
from .budget import BudgetUnavailable, get_budget
from .clock import budget_day
from .models import Campaign, CampaignState, Click, ClickOutcome, Spend
from .serving import promotes

logger = logging.getLogger(__name__)

# Lower-case fragments of the user agents of crawlers, link previewers and scripts.
BOT_MARKERS = (
    "bot",
    "crawl",
    "spider",
    "slurp",
    "scrapy",
    "curl/",
    "wget/",
    "python-requests",
    "python-urllib",
    "aiohttp",
    "httpx",
    "go-http-client",
    "java/",
    "libwww",
    "headlesschrome",
    "phantomjs",
    "facebookexternalhit",
    "preview",
    "monitor",
)


def is_bot(user_agent: str) -> bool:
    agent = (user_agent or "").lower()
    return not agent.strip() or any(marker in agent for marker in BOT_MARKERS)


@dataclass(frozen=True)
class ClickResult:
    click: Click
    redirect_to: str


def record_click(token: str, *, viewer_key: str, user=None, user_agent: str = "", now=None) -> ClickResult:
    now = now or timezone.now()
    user = user if user is not None and user.is_authenticated else None
    fields = {"viewer_key": viewer_key[:64], "user": user, "user_agent": (user_agent or "")[:300], "created_at": now}
    try:
        served = tokens.read(token, now)
        outcome = ""  # not decided yet
    except tokens.TokenInvalid:
        click = Click.objects.create(outcome=ClickOutcome.FORGED, **fields)
        metrics.count_click(click.outcome)
        return ClickResult(click, reverse("promotion:feed"))
    except tokens.TokenExpired as expired:
        served, outcome = expired.token, ClickOutcome.EXPIRED

    campaign = Campaign.objects.select_related("sponsor").filter(pk=served.campaign_id).first()
    product = visible_products().filter(pk=served.product_id).first()
    if product is None:  # hidden since it was served: recorded, never billed, the shopper sent to the feed
        product = Product.objects.filter(pk=served.product_id).first()
        visible = False
    else:
        visible = True
    fields.update(campaign=campaign, product=product, served_at=served.served_at)
    with transaction.atomic():
        click = _record_once(served, outcome, fields)
        if not click.outcome:
            click.outcome = _judge(campaign, product, visible, user_agent, now)
        if not click.outcome:
            _charge(click, campaign, viewer_key, now)
        click.save(update_fields=["outcome", "cost"])
        metrics.count_click(click.outcome)
    destination = reverse("shop:product", kwargs={"slug": product.slug}) if visible else reverse("promotion:feed")
    return ClickResult(click, destination)


def _record_once(served: tokens.ServeToken, outcome, fields) -> Click:
    """The click with the token's id, or, when that id was already used, a REUSED click without it."""
    try:
        with transaction.atomic():
            return Click.objects.create(token_id=served.token_id, outcome=outcome, **fields)
    except IntegrityError:
        return Click.objects.create(outcome=ClickOutcome.REUSED, **fields)


def _judge(campaign: Campaign | None, product: Product | None, visible: bool, user_agent: str, now):
    """The reason this click cannot be billed, or "" when it may be."""
    if campaign is None or product is None or not promotes(campaign, product):
        return ClickOutcome.MISMATCH
    if is_bot(user_agent):
        return ClickOutcome.BOT
    if campaign.state == CampaignState.EXHAUSTED:
        return ClickOutcome.OVER_BUDGET
    if not campaign.is_running(now) or not visible:
        return ClickOutcome.NOT_SERVING
    return ""


def _charge(click: Click, campaign: Campaign, viewer_key: str, now: datetime.datetime) -> None:
    try:
        charge = get_budget().charge(campaign, viewer_key, now)
    except BudgetUnavailable:
        # Redis is down: the shopper still reaches the goods; the sponsor is not billed blind.
        logger.exception("budget unavailable: click %s of campaign %s not billed", click.pk, campaign.pk)
        click.outcome = ClickOutcome.UNAVAILABLE
        return
    click.outcome = charge.outcome
    if charge.outcome != ClickOutcome.BILLED:
        return
    click.cost = campaign.bid
    Spend.objects.create(campaign=campaign, click=click, amount=campaign.bid, day=budget_day(now), created_at=now)
    metrics.count_budget_debit(campaign.bid)
    ledger.post(
        f"promotion-click-{click.pk}",
        ledger_text.stored(ledger_text.PROMOTION_CLICK, click=click.pk, campaign=campaign.pk),
        [(ledger.sponsor_account(campaign.sponsor), campaign.bid), (ledger.promotion_income_account(), -campaign.bid)],
    )
    if charge.exhausted:
        # The total cap cannot pay another click: stop serving (servable() already would not).
        Campaign.objects.filter(pk=campaign.pk, state=CampaignState.ACTIVE).update(state=CampaignState.EXHAUSTED)
