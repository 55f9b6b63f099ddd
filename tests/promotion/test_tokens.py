"""Serve tokens: only a token we signed, for a product its campaign promotes, clicked within two
hours and for the first time, can bill; every other click is recorded, unbilled, and redirected."""

import datetime
from decimal import Decimal

import pytest
from django.core import signing
from django.urls import reverse
from django.utils import timezone

from promotion import tokens
from promotion.clicks import record_click
from promotion.models import Click, ClickOutcome, Spend
from tests import factories as f
from tests.promotion.clicking import BROWSER

pytestmark = pytest.mark.django_db


@pytest.fixture
def promoted():
    product = f.product()
    return f.campaign(products=[product], bid=Decimal("0.80")), product


def follow(client, token):
    response = client.get(f"/r/{token}", HTTP_USER_AGENT=BROWSER)
    assert response.status_code == 302
    return response["Location"], Click.objects.latest("id")


def test_a_fresh_token_bills_once_and_redirects_to_the_product(client, promoted):
    campaign, product = promoted
    location, click = follow(client, tokens.issue(campaign.pk, product.pk, timezone.now()))
    assert location == reverse("shop:product", args=[product.slug])
    assert (click.outcome, click.cost, click.campaign, click.product) == (
        ClickOutcome.BILLED,
        Decimal("0.80"),
        campaign,
        product,
    )
    assert Spend.objects.get(click=click).amount == Decimal("0.80")


@pytest.mark.parametrize(
    "tamper",
    [
        lambda token: token[:-1] + ("A" if token[-1] != "A" else "B"),  # signature changed
        lambda token: "x" + token,  # payload changed
        lambda token: "not-a-token",
        lambda token: "",
    ],
)
def test_forged_tokens_are_recorded_unbilled_and_sent_to_the_feed(client, promoted, tamper):
    campaign, product = promoted
    token = tamper(tokens.issue(campaign.pk, product.pk, timezone.now()))
    response = client.get(f"/r/{token}", HTTP_USER_AGENT=BROWSER)
    if token == "":
        assert response.status_code == 404  # /r/ without a token is not a click link
        return
    assert response.status_code == 302 and response["Location"] == reverse("promotion:feed")
    click = Click.objects.get()
    assert (click.outcome, click.campaign, click.cost) == (ClickOutcome.FORGED, None, Decimal("0"))
    assert not Spend.objects.exists()


def test_a_token_signed_with_another_key_or_purpose_is_forged(client, promoted, settings):
    campaign, product = promoted
    value = f"{'A' * 16}.{campaign.pk}.{product.pk}.{int(timezone.now().timestamp())}"
    other_purpose = signing.Signer(salt="shanhuo.something-else", algorithm="sha256").sign(value)
    other_key = signing.Signer(key="another-secret", salt="shanhuo.promotion.serve-token", algorithm="sha256").sign(
        value
    )
    for token in (other_purpose, other_key):
        follow(client, token)
    assert list(Click.objects.values_list("outcome", flat=True)) == [ClickOutcome.FORGED] * 2
    assert not Spend.objects.exists()


def test_an_expired_token_is_not_billed_but_still_redirects(client, promoted):
    campaign, product = promoted
    served = timezone.now() - tokens.TOKEN_MAX_AGE - datetime.timedelta(seconds=5)
    location, click = follow(client, tokens.issue(campaign.pk, product.pk, served))
    assert location == reverse("shop:product", args=[product.slug])
    assert click.outcome == ClickOutcome.EXPIRED and not Spend.objects.exists()


def test_a_token_just_inside_two_hours_still_bills(promoted):
    campaign, product = promoted
    now = timezone.now()
    token = tokens.issue(campaign.pk, product.pk, now - tokens.TOKEN_MAX_AGE + datetime.timedelta(seconds=5))
    assert record_click(token, viewer_key="c:1", user_agent=BROWSER, now=now).click.outcome == ClickOutcome.BILLED


def test_a_token_from_the_future_is_not_billed(promoted):
    campaign, product = promoted
    now = timezone.now()
    token = tokens.issue(campaign.pk, product.pk, now + datetime.timedelta(hours=1))
    assert record_click(token, viewer_key="c:1", user_agent=BROWSER, now=now).click.outcome == ClickOutcome.EXPIRED


def test_a_reused_token_is_not_billed_again_even_by_another_viewer(client, promoted):
    campaign, product = promoted
    token = tokens.issue(campaign.pk, product.pk, timezone.now())
    follow(client, token)
    client.cookies.clear()  # another browser
    location, again = follow(client, token)
    assert location == reverse("shop:product", args=[product.slug])
    assert again.outcome == ClickOutcome.REUSED and again.token_id is None
    assert Spend.objects.count() == 1


def test_a_cross_campaign_token_is_not_billed(client, promoted):
    """A token naming campaign A with a product only campaign B promotes (a link put together from
    two real ones cannot be signed, so this is a token we signed and the campaign changed since,
    or a bug): billing A for B's goods would charge the wrong sponsor."""
    campaign, _product = promoted
    other_product = f.product()
    other = f.campaign(products=[other_product])
    location, click = follow(client, tokens.issue(campaign.pk, other_product.pk, timezone.now()))
    assert click.outcome == ClickOutcome.MISMATCH
    assert location == reverse("shop:product", args=[other_product.slug])
    assert not Spend.objects.exists()
    assert other.clicks.count() == 0


def test_a_token_of_a_deleted_campaign_is_recorded_as_mismatch(client, promoted):
    campaign, product = promoted
    token = tokens.issue(campaign.pk + 1000, product.pk, timezone.now())
    _location, click = follow(client, token)
    assert click.outcome == ClickOutcome.MISMATCH and click.campaign is None


def test_tokens_are_short_enough_for_a_link(promoted):
    campaign, product = promoted
    assert len(tokens.issue(campaign.pk, product.pk, timezone.now())) < 100
