"""Sponsors' pages: a sponsor's staff see their own campaigns only (another sponsor's is a 404),
the per-day report and its CSV, and pause or resume a campaign through the campaign services,
whose refusals come back as messages. Anonymous visitors are sent to log in."""

import csv
import datetime
import io
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from promotion.models import Campaign, CampaignState
from tests import factories as f
from tests.promotion.reporting import two_days

pytestmark = pytest.mark.django_db

HOME = reverse("sponsor:home")


def page(pk):
    return reverse("sponsor:campaign", args=[pk])


def csv_url(pk):
    return reverse("sponsor:report_csv", args=[pk])


@pytest.fixture
def staff_member():
    return f.user()


@pytest.fixture
def sponsor(staff_member):
    return f.sponsor(staff=[staff_member], name="青山公益基金")


@pytest.fixture
def mine(sponsor):
    return f.campaign(sponsor_=sponsor, name="赣南脐橙推广")


@pytest.fixture
def theirs():
    return f.campaign(sponsor_=f.sponsor(name="别家公司"), name="别家的推广")


# --- Who sees what --------------------------------------------------------------------------------


def test_anonymous_visitors_are_sent_to_log_in(client, mine):
    for url in (HOME, page(mine.pk), csv_url(mine.pk)):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith(reverse("accounts:login"))
    assert client.post(reverse("sponsor:pause", args=[mine.pk])).status_code == 302
    assert Campaign.objects.get(pk=mine.pk).state == CampaignState.ACTIVE


def test_someone_who_is_no_sponsors_staff_is_told_so(client, mine):
    client.force_login(f.user())
    response = client.get(HOME)
    assert response.status_code == 403
    assert "这些页面是给赞助方看的" in response.content.decode()
    assert client.get(page(mine.pk)).status_code == 403


def test_staff_see_their_sponsors_campaigns_only(client, staff_member, mine, theirs):
    client.force_login(staff_member)
    html = client.get(HOME).content.decode()
    assert "青山公益基金" in html and "赣南脐橙推广" in html and "进行中" in html
    assert "总预算 1000.00 元，已花费 0.00 元" in html and "还剩 1000.00 元" in html
    assert "别家" not in html
    assert client.get(page(mine.pk)).status_code == 200


def test_another_sponsors_campaign_is_not_found(client, staff_member, mine, theirs):
    client.force_login(staff_member)
    assert client.get(page(theirs.pk)).status_code == 404
    assert client.get(csv_url(theirs.pk)).status_code == 404
    assert client.post(reverse("sponsor:pause", args=[theirs.pk])).status_code == 404
    assert Campaign.objects.get(pk=theirs.pk).state == CampaignState.ACTIVE


def test_operators_see_every_sponsor(client, mine, theirs):
    client.force_login(f.staff_user())
    html = client.get(HOME).content.decode()
    assert "赣南脐橙推广" in html and "别家的推广" in html
    assert client.get(page(theirs.pk)).status_code == 200


def test_a_sponsors_staff_land_on_their_campaigns_after_logging_in(client, staff_member, sponsor):
    response = client.post(reverse("accounts:login"), {"username": staff_member.username, "password": "pw-123456"})
    assert response.status_code == 302 and response["Location"] == HOME
    assert 'href="/sponsor/"' in client.get(HOME).content.decode()  # and the menu links there


def test_others_still_land_in_the_shop(client):
    shopper = f.user()
    response = client.post(reverse("accounts:login"), {"username": shopper.username, "password": "pw-123456"})
    assert response["Location"] == reverse("shop:home")
    assert 'href="/sponsor/"' not in client.get(reverse("shop:home")).content.decode()


# --- The report -------------------------------------------------------------------------------------


def test_the_campaign_page_shows_each_day_and_the_totals(client, settings, staff_member, sponsor):
    story = two_days(settings, sponsor=sponsor)
    client.force_login(staff_member)
    response = client.get(page(story.campaign.pk))  # default: the campaign's life, here 6 days
    assert response.status_code == 200
    report = response.context["report"]
    assert (report.start, report.end) == (story.day_a - datetime.timedelta(days=3), story.today)
    html = response.content.decode()
    assert f'<time datetime="{story.day_a:%Y-%m-%d}">' in html
    assert "81.00" in html and "90.00" in html and "1.50" in html  # income, revenue, spend in total
    assert "同一访客重复点击：1" in html and "已知爬虫：1" in html  # why clicks were not billed
    assert 'type="date"' in html and 'name="start"' in html


def test_a_chosen_range(client, settings, staff_member, sponsor):
    story = two_days(settings, sponsor=sponsor)
    client.force_login(staff_member)
    response = client.get(page(story.campaign.pk), {"start": story.day_b.isoformat(), "end": story.day_b.isoformat()})
    report = response.context["report"]
    assert [d.day for d in report.days] == [story.day_b]
    assert report.totals.farmer_income == Decimal("27.00")


def test_a_wrong_range_is_shown_beside_its_field(client, staff_member, mine):
    client.force_login(staff_member)
    response = client.get(page(mine.pk), {"start": "2025-03-10", "end": "2025-03-01"})
    assert response.status_code == 200
    assert response.context["form"].errors["end"] == ["最后一天不能早于第一天。"]
    response = client.get(page(mine.pk), {"start": "3月1日", "end": ""})
    assert "start" in response.context["form"].errors
    assert response.context["report"].days  # the usual days are shown meanwhile
    assert client.get(csv_url(mine.pk), {"start": "2025-03-10", "end": "2025-03-01"}).status_code == 400


def test_the_page_costs_the_same_queries_for_a_week_and_a_year(client, staff_member, mine):
    client.force_login(staff_member)
    counts = []
    for days in (7, 300):
        start = (datetime.date.today() - datetime.timedelta(days=days - 1)).isoformat()
        with CaptureQueriesContext(connection) as queries:
            assert (
                client.get(page(mine.pk), {"start": start, "end": datetime.date.today().isoformat()}).status_code == 200
            )
        counts.append(len(queries))
    assert counts[0] == counts[1]


def test_the_csv_has_a_header_a_row_per_day_and_the_totals(client, settings, staff_member, sponsor):
    story = two_days(settings, sponsor=sponsor)
    client.force_login(staff_member)
    response = client.get(
        csv_url(story.campaign.pk), {"start": story.day_a.isoformat(), "end": story.today.isoformat()}
    )
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == (
        f'attachment; filename="campaign-{story.campaign.pk}-{story.day_a:%Y%m%d}-{story.today:%Y%m%d}.csv"'
    )
    body = response.content
    assert body.startswith("\ufeff".encode())  # Excel reads UTF-8 Chinese with this mark
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    header = rows[0]
    assert header[:5] == ["日期", "花费（元）", "展示次数", "计费点击", "未计费点击"]
    assert header[-3:] == ["订单数", "销售额（元）", "农户收入（元）"]
    assert "未计费：同一访客重复点击" in header and "未计费：已知爬虫" in header
    assert len(header) == 5 + 9 + 3  # every reason a click was not billed has its column
    by_day = {row[0]: dict(zip(header, row, strict=True)) for row in rows[1:]}
    assert list(by_day) == [story.day_a.isoformat(), story.day_b.isoformat(), story.today.isoformat(), "合计"]
    day_a = by_day[story.day_a.isoformat()]
    assert (day_a["花费（元）"], day_a["展示次数"], day_a["计费点击"], day_a["未计费点击"]) == ("1.00", "40", "2", "2")
    assert (day_a["未计费：同一访客重复点击"], day_a["订单数"], day_a["销售额（元）"], day_a["农户收入（元）"]) == (
        "1",
        "1",
        "60.00",
        "54.00",
    )
    assert by_day[story.today.isoformat()]["花费（元）"] == "0.00"
    total = by_day["合计"]
    assert (total["花费（元）"], total["订单数"], total["农户收入（元）"]) == ("1.50", "2", "81.00")


# --- Pause and resume ---------------------------------------------------------------------------------


def test_pause_then_resume_from_the_page(client, staff_member, mine):
    client.force_login(staff_member)
    assert "暂停推广" in client.get(page(mine.pk)).content.decode()
    response = client.post(reverse("sponsor:pause", args=[mine.pk]), follow=True)
    assert Campaign.objects.get(pk=mine.pk).state == CampaignState.PAUSED
    html = response.content.decode()
    assert "推广活动已暂停" in html and "继续推广" in html
    response = client.post(reverse("sponsor:resume", args=[mine.pk]), follow=True)
    assert Campaign.objects.get(pk=mine.pk).state == CampaignState.ACTIVE
    assert "推广活动已恢复" in response.content.decode()


def test_a_refused_resume_shows_the_services_reason(client, staff_member, mine):
    Campaign.objects.filter(pk=mine.pk).update(
        state=CampaignState.PAUSED, total_cap=Decimal("5.00"), daily_cap=Decimal("5.00"), spent_fen=500
    )
    client.force_login(staff_member)
    response = client.post(reverse("sponsor:resume", args=[mine.pk]), follow=True)
    assert "预算已用完：请先提高总预算上限。" in response.content.decode()
    assert Campaign.objects.get(pk=mine.pk).state == CampaignState.PAUSED


def test_pausing_needs_the_csrf_token(staff_member, mine):
    guarded = Client(enforce_csrf_checks=True)
    guarded.force_login(staff_member)
    assert guarded.post(reverse("sponsor:pause", args=[mine.pk])).status_code == 403
    assert Campaign.objects.get(pk=mine.pk).state == CampaignState.ACTIVE


def test_pausing_is_a_post(client, staff_member, mine):
    client.force_login(staff_member)
    assert client.get(reverse("sponsor:pause", args=[mine.pk])).status_code == 405
