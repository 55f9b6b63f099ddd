"""The NGO dashboard pages: who sees which villages, the drill-down totals equal the figures, the
period picker refuses bad input beside its field, baseline edits from the village page."""

import re
from decimal import Decimal

import pytest

from farmers.models import VillageBaselineChange
from impact.figures import FIGURES, figures
from impact.views import ENTRY_FIGURES, display
from tests import factories as f

pytestmark = pytest.mark.django_db

DASHBOARD = "/ngo/impact/"


def village_url(village, period=None):
    return f"/ngo/impact/villages/{village.pk}/" + (f"?period={period}" if period else "")


def figure_url(key, period, village=None):
    return f"/ngo/impact/figures/{key}/?period={period}" + (f"&village={village.pk}" if village else "")


def shown(response, element_id) -> str:
    return re.search(rf'id="{element_id}">([^<]*)<', response.content.decode())[1]


def test_an_ngo_sees_only_its_villages_on_the_dashboard(client, world):
    client.force_login(world.officer_a)
    page = client.get(f"{DASHBOARD}?period={world.period_text}").content.decode()
    assert f'href="/ngo/impact/villages/{world.village_a.pk}/' in page
    assert f'href="/ngo/impact/villages/{world.village_b.pk}/' not in page
    # Its paid-out card is village A's figure alone.
    paid = figures([world.village_a.pk], world.period).paid_out
    assert paid > 0
    assert display("paid_out", paid) in page
    assert display("paid_out", figures([world.village_a.pk, world.village_b.pk], world.period).paid_out) not in page


def test_operator_sees_every_village(client, world):
    client.force_login(world.operator)
    page = client.get(f"{DASHBOARD}?period={world.period_text}").content.decode()
    for village in (world.village_a, world.village_b):
        assert f'href="/ngo/impact/villages/{village.pk}/' in page
        assert client.get(village_url(village, world.period_text)).status_code == 200


def test_another_ngos_village_is_not_found_on_every_page(client, world):
    client.force_login(world.officer_a)
    period = world.period_text
    other = world.village_b
    assert client.get(village_url(other, period)).status_code == 404
    assert client.get(figure_url("paid_out", period, other)).status_code == 404
    assert client.get(f"/ngo/impact/export.csv?period={period}&village={other.pk}").status_code == 404
    assert client.get(f"/ngo/impact/export.xlsx?period={period}&village={other.pk}").status_code == 404
    response = client.post(
        f"/ngo/impact/villages/{other.pk}/baseline/",
        {"households": 1, "poor_households": 0, "poverty_line": "1", "baseline_income": "1"},
    )
    assert response.status_code == 404
    assert not VillageBaselineChange.objects.exists()


@pytest.mark.parametrize("who", ["shopper", "farmer"])
def test_shoppers_and_farmers_are_refused(client, world, who):
    user = f.user() if who == "shopper" else f.farmer(village_=world.village_a).user
    client.force_login(user)
    period = world.period_text
    for url in (
        f"{DASHBOARD}?period={period}",
        village_url(world.village_a, period),
        figure_url("paid_out", period),
        f"/ngo/impact/export.csv?period={period}",
        f"/ngo/impact/export.xlsx?period={period}",
    ):
        assert client.get(url).status_code == 403, url


def test_anonymous_visitors_are_sent_to_log_in(client, world):
    response = client.get(DASHBOARD)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


@pytest.mark.parametrize("key", ENTRY_FIGURES)
def test_drill_down_total_equals_the_figure(client, world, key):
    client.force_login(world.operator)
    for village in (None, world.village_a):
        response = client.get(figure_url(key, world.period_text, village))
        assert response.status_code == 200
        ids = [village.pk] if village else [world.village_a.pk, world.village_b.pk]
        expected = display(key, figures(ids, world.period)[key])
        assert shown(response, "figure-value") == expected
        assert shown(response, "behind-total") == expected


@pytest.mark.parametrize("key", ["households_with_sale", "poor_households_with_sale", "new_households"])
def test_drill_down_lists_the_households_counted(client, world, key):
    client.force_login(world.officer_a)
    response = client.get(figure_url(key, world.period_text))
    value = figures([world.village_a.pk], world.period)[key]
    assert value == 1
    assert shown(response, "behind-total") == str(value)
    assert response.content.decode().count("<li>农户") == value


def test_drill_down_lists_entries_of_the_ngos_villages_only(client, world):
    client.force_login(world.officer_a)
    page = client.get(figure_url("gross_sales", world.period_text)).content.decode()
    assert world.village_a.name in page
    assert world.village_b.name not in page


def test_a_ratio_links_to_the_figures_it_is_made_of(client, world):
    client.force_login(world.officer_a)
    page = client.get(figure_url("farmers_share", world.period_text)).content.decode()
    assert "/ngo/impact/figures/paid_out/" in page and "/ngo/impact/figures/gross_sales/" in page


def test_an_unknown_figure_is_not_found(client, world):
    client.force_login(world.officer_a)
    assert client.get(figure_url("happiness", world.period_text)).status_code == 404


@pytest.mark.parametrize("period", ["2026-13", "last year", "2026-02-30..2026-03-01", "2026-03-01..2026-01-01"])
def test_a_bad_period_link_is_a_400_with_the_reason(client, world, period):
    client.force_login(world.officer_a)
    response = client.get(f"{DASHBOARD}?period={period}")
    assert response.status_code == 400
    assert 'role="alert"' in response.content.decode()
    assert client.get(f"/ngo/impact/export.csv?period={period}").status_code == 400


def test_the_picker_builds_each_kind_of_period(client, world):
    client.force_login(world.officer_a)
    year = world.period.start.year
    for query, label in (
        (f"kind=year&year={year}", world.period.label),
        (f"kind=quarter&year={year}&quarter=2", None),
        (f"kind=month&month={year}-03", None),
        (f"kind=range&start={year}-01-05&end={year}-02-10", None),
    ):
        response = client.get(f"{DASHBOARD}?{query}")
        assert response.status_code == 200, query
        if label:
            assert label in response.content.decode()


def test_the_picker_puts_errors_beside_the_field(client, world):
    client.force_login(world.officer_a)
    response = client.get(f"{DASHBOARD}?kind=range&start=2026-01-05&end=")
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert list(errors) == ["end"]
    response = client.get(f"{DASHBOARD}?kind=month&month=2026-13")
    assert list(response.context["form"].errors) == ["month"]


def test_figure_cards_carry_a_chart_and_iris_codes(client, world):
    client.force_login(world.officer_a)
    page = client.get(f"{DASHBOARD}?period={world.period_text}").content.decode()
    assert page.count('<svg class="chart"') == len(FIGURES)
    assert "IRIS+ PI7852" in page and "IRIS+ PI8632" in page
    assert "<script" not in page.split("<main", 1)[1]


def test_villages_are_ranked_by_need_and_by_progress(client, world):
    client.force_login(world.operator)
    response = client.get(f"{DASHBOARD}?period={world.period_text}")
    need = [row["village"] for row in response.context["by_need"]]
    # A: 40 of 100 households registered poor; B: 10 of 200.
    assert need == [world.village_a, world.village_b]
    progress = response.context["by_progress"]
    assert {row["village"] for row in progress} == {world.village_a, world.village_b}


def test_baseline_edit_from_the_village_page_shows_in_its_history(client, world):
    client.force_login(world.officer_a)
    response = client.post(
        f"/ngo/impact/villages/{world.village_a.pk}/baseline/",
        {"households": "120", "poor_households": "45", "poverty_line": "4200", "baseline_income": "3900.50"},
    )
    assert response.status_code == 302
    change = VillageBaselineChange.objects.get()
    assert (change.changed_by, change.new_households, change.new_baseline_income) == (
        world.officer_a,
        120,
        Decimal("3900.50"),
    )
    page = client.get(village_url(world.village_a)).content.decode()
    assert "100 → 120" in page and "0.00 → 3900.50" in page


def test_baseline_errors_show_beside_their_fields_in_chinese(client, world):
    client.force_login(world.officer_a)
    response = client.post(
        f"/ngo/impact/villages/{world.village_a.pk}/baseline/",
        {"households": "10", "poor_households": "45", "poverty_line": "-1", "baseline_income": "3900.50"},
    )
    assert response.status_code == 400
    errors = response.context["baseline_form"].errors
    assert set(errors) == {"poor_households", "poverty_line"}
    assert "建档立卡" in errors["poor_households"][0]
    assert not VillageBaselineChange.objects.exists()


def test_operator_sees_the_baseline_form_but_another_ngo_cannot_post(client, world):
    client.force_login(world.operator)
    assert "impact-baseline" in client.get(village_url(world.village_b)).content.decode()
