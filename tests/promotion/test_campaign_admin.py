"""Operators manage campaigns in the admin with the same rules as the API; money records are read only."""

import datetime
import re
from decimal import Decimal

import pytest
from django.contrib import admin
from django.urls import reverse
from django.utils import timezone, translation

from promotion.clicks import record_click
from promotion.models import Campaign, CampaignDay, CampaignState, Click, OrderAttribution, Spend, Sponsor
from promotion.tokens import issue
from tests import factories as f

pytestmark = pytest.mark.django_db
BROWSER = "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_0) Safari/605.1.15"


@pytest.fixture
def operator(client):
    user = f.user(is_staff=True, is_superuser=True)
    client.force_login(user)
    return user


@pytest.fixture
def campaign():
    return f.campaign(f.sponsor(name="山货基金"), products=[f.product()], name="秋收推广")


def bill(campaign, viewers):
    now = timezone.now()
    for viewer in viewers:
        result = record_click(
            issue(campaign.pk, campaign.products.get().pk, now), viewer_key=viewer, user_agent=BROWSER
        )
        assert result.click.billable


def test_changelist_shows_state_bid_caps_spent_and_rate(client, operator, campaign):
    bill(campaign, ["a", "b"])
    response = client.get(reverse("admin:promotion_campaign_changelist"), {"q": "秋收"})
    assert response.status_code == 200
    page = response.content.decode()
    assert "秋收推广" in page and "山货基金" in page
    row = response.context["cl"].result_list[0]
    model_admin = admin.site._registry[Campaign]
    assert model_admin.spent(row) == Decimal("2.00")  # by the ledger, whichever budget backend billed
    for column in ("state", "bid", "daily_cap", "total_cap", "spent", "serving_rate"):
        assert column in model_admin.list_display


def test_change_page_shows_the_campaigns_figures(client, operator, campaign):
    bill(campaign, ["a", "b", "c"])
    record_click(issue(campaign.pk, campaign.products.get().pk, timezone.now()), viewer_key="a", user_agent=BROWSER)
    response = client.get(reverse("admin:promotion_campaign_change", args=[campaign.pk]))
    assert response.status_code == 200
    with translation.override("en"):
        stats = str(admin.site._registry[Campaign].stats(campaign))
    assert "<th>billable clicks</th><td>3</td>" in stats
    assert "<th>clicks</th><td>4</td>" in stats
    assert "<th>spend (CNY)</th><td>3.00</td>" in stats
    shown = re.findall(r"<tr><th>[^<]*</th><td>([^<]*)</td></tr>", response.content.decode())
    assert shown == ["0", "4", "3", "3.00", "0", "0.00", "0.00"]  # in the order of the rows


def test_adding_a_campaign_makes_a_draft_by_the_operator(client, operator):
    sponsor, product = f.sponsor(), f.product()
    now = timezone.localtime()
    response = client.post(
        reverse("admin:promotion_campaign_add"),
        {
            "sponsor": sponsor.pk,
            "name": "后台推广",
            "products": [product.pk],
            "bid": "0.80",
            "daily_cap": "10.00",
            "total_cap": "100.00",
            "starts_at_0": now.strftime("%Y-%m-%d"),
            "starts_at_1": now.strftime("%H:%M:%S"),
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    made = Campaign.objects.get(name="后台推广")
    assert (made.state, made.created_by, made.bid) == (CampaignState.DRAFT, operator, Decimal("0.80"))
    assert list(made.products.all()) == [product]


@pytest.mark.parametrize(
    "changes, field",
    [
        ({"daily_cap": "0.50"}, "daily_cap"),  # below the bid of 1.00
        ({"total_cap": "50.00"}, "total_cap"),  # below the daily cap of 100
        ({"total_cap": "1.00", "daily_cap": "1.00"}, "total_cap"),  # below the 2.00 spent
        ({"products": []}, "products"),  # nothing promoted
    ],
)
def test_the_change_form_keeps_the_campaign_rules(client, operator, campaign, changes, field):
    bill(campaign, ["a", "b"])
    data = {
        "sponsor": campaign.sponsor_id,
        "name": campaign.name,
        "products": [p.pk for p in campaign.products.all()],
        "bid": "1.00",
        "daily_cap": "100.00",
        "total_cap": "1000.00",
        "starts_at_0": timezone.localtime(campaign.starts_at).strftime("%Y-%m-%d"),
        "starts_at_1": timezone.localtime(campaign.starts_at).strftime("%H:%M:%S"),
        **changes,
    }
    response = client.post(reverse("admin:promotion_campaign_change", args=[campaign.pk]), data)
    assert response.status_code == 200
    assert field in response.context["adminform"].form.errors
    fresh = Campaign.objects.get(pk=campaign.pk)
    assert (fresh.daily_cap, fresh.total_cap, fresh.products.count()) == (Decimal("100.00"), Decimal("1000.00"), 1)


def test_raising_the_cap_in_the_admin_moves_an_exhausted_campaign_to_paused(client, operator):
    campaign = f.campaign(products=[f.product()], daily_cap=Decimal("1.00"), total_cap=Decimal("1.00"))
    bill(campaign, ["a"])
    campaign.refresh_from_db()
    assert campaign.state == CampaignState.EXHAUSTED
    start = timezone.localtime(campaign.starts_at)
    response = client.post(
        reverse("admin:promotion_campaign_change", args=[campaign.pk]),
        {
            "sponsor": campaign.sponsor_id,
            "name": campaign.name,
            "products": [p.pk for p in campaign.products.all()],
            "bid": "1.00",
            "daily_cap": "1.00",
            "total_cap": "5.00",
            "starts_at_0": start.strftime("%Y-%m-%d"),
            "starts_at_1": start.strftime("%H:%M:%S"),
        },
    )
    assert response.status_code == 302
    campaign.refresh_from_db()
    assert (campaign.total_cap, campaign.state) == (Decimal("5.00"), CampaignState.PAUSED)


def run_action(client, action, campaigns):
    return client.post(
        reverse("admin:promotion_campaign_changelist"),
        {"action": action, "_selected_action": [c.pk for c in campaigns]},
        follow=True,
    )


def test_actions_move_states_through_the_services_and_report_refusals(client, operator):
    draft = f.campaign(products=[f.product()], state=CampaignState.DRAFT)
    ended = f.campaign(products=[f.product()], state=CampaignState.ENDED)
    response = run_action(client, "activate_selected", [draft, ended])
    messages = [str(m) for m in response.context["messages"]]
    assert any("1" in m for m in messages)
    assert any(str(ended) in m for m in messages)
    draft.refresh_from_db()
    ended.refresh_from_db()
    assert (draft.state, ended.state) == (CampaignState.ACTIVE, CampaignState.ENDED)

    run_action(client, "pause_selected", [draft])
    draft.refresh_from_db()
    assert draft.state == CampaignState.PAUSED
    run_action(client, "end_selected", [draft])
    draft.refresh_from_db()
    assert draft.state == CampaignState.ENDED


def test_a_campaign_past_its_end_is_not_activated_by_the_action(client, operator):
    now = timezone.now()
    late = f.campaign(
        products=[f.product()],
        state=CampaignState.PAUSED,
        starts_at=now - datetime.timedelta(days=2),
        ends_at=now - datetime.timedelta(hours=1),
    )
    response = run_action(client, "activate_selected", [late])
    assert [m.level_tag for m in response.context["messages"]] == ["error"]
    late.refresh_from_db()
    assert late.state == CampaignState.PAUSED


@pytest.mark.parametrize("model", [CampaignDay, Click, Spend, OrderAttribution])
def test_money_records_are_read_only(client, operator, campaign, model):
    bill(campaign, ["a"])
    info = (model._meta.app_label, model._meta.model_name)
    assert client.get(reverse("admin:{}_{}_changelist".format(*info)), {"q": "秋收"}).status_code == 200
    assert client.get(reverse("admin:{}_{}_add".format(*info))).status_code == 403
    first = model.objects.first()
    if first is not None:
        change_url = reverse("admin:{}_{}_change".format(*info), args=[first.pk])
        assert client.get(change_url).status_code == 200  # viewed, not editable
        assert client.post(change_url, {}).status_code == 403
        delete_url = reverse("admin:{}_{}_delete".format(*info), args=[first.pk])
        assert client.post(delete_url, {"post": "yes"}).status_code == 403
        assert model.objects.filter(pk=first.pk).exists()


def test_sponsor_admin_pages_load(client, operator):
    sponsor = f.sponsor(staff=[f.user()])
    assert client.get(reverse("admin:promotion_sponsor_changelist"), {"q": "赞助"}).status_code == 200
    assert client.get(reverse("admin:promotion_sponsor_change", args=[sponsor.pk])).status_code == 200
    assert client.get(reverse("admin:promotion_sponsor_add")).status_code == 200
    assert admin.site._registry[Sponsor].filter_horizontal == ["staff"]


def test_non_staff_cannot_reach_the_campaign_admin(client, campaign):
    sponsor_staff = f.user()
    campaign.sponsor.staff.add(sponsor_staff)
    client.force_login(sponsor_staff)
    response = client.get(reverse("admin:promotion_campaign_changelist"))
    assert response.status_code == 302 and "login" in response["Location"]
