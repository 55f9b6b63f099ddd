"""A sponsor's staff member on a 360 px phone reading Chinese: logs in, lands on their campaigns,
reads a campaign's days (the table scrolls inside its box, the page never sideways) and pauses it."""

import pytest

from promotion.models import Campaign, CampaignState
from tests import factories as f
from tests.promotion.reporting import two_days

from .accessibility import assert_accessible, assert_inputs_labelled, assert_touch_targets
from .shopping import no_sideways_scroll

pytestmark = pytest.mark.django_db(transaction=True)


def looks_right(page, name, output_dir):
    assert_accessible(page, name, output_dir)
    assert_inputs_labelled(page)
    assert_touch_targets(page)
    assert no_sideways_scroll(page), f"{name} scrolls sideways at 360 px"
    page.screenshot(path=output_dir / f"{name}.png", full_page=True)


def test_a_sponsor_reads_a_campaign_and_pauses_it(live_server, phone, output_dir, settings):
    member = f.user(username="qingshan")
    story = two_days(settings, sponsor=f.sponsor(staff=[member], name="青山公益基金"))
    page = phone.new_page()
    page.goto(live_server.url + "/accounts/login/")
    page.get_by_label("手机号或用户名").fill("qingshan")
    page.get_by_label("密码").fill("pw-123456")
    page.locator("main form button[type=submit]").click()
    page.wait_for_url("**/sponsor/")
    assert page.locator("h1").inner_text() == "推广报表"
    looks_right(page, "1-sponsor-home", output_dir)

    page.get_by_role("link", name=story.campaign.name).click()
    page.wait_for_url(f"**/sponsor/campaigns/{story.campaign.pk}/")
    assert page.locator("tfoot td").last.inner_text() == "81.00"
    looks_right(page, "2-campaign", output_dir)

    page.get_by_role("button", name="暂停推广").click()
    page.wait_for_url(f"**/sponsor/campaigns/{story.campaign.pk}/")
    assert "推广活动已暂停" in page.locator(".messages").inner_text()
    assert Campaign.objects.get(pk=story.campaign.pk).state == CampaignState.PAUSED
    looks_right(page, "3-paused", output_dir)
