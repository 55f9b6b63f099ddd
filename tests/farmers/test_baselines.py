"""Village baseline edits: who may change them, the checks, and the history of who changed what."""

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from farmers.baselines import update_baseline
from farmers.models import VillageBaselineChange
from tests import factories as f

pytestmark = pytest.mark.django_db

FIGURES = {
    "households": 210,
    "poor_households": 40,
    "poverty_line": Decimal("4500.00"),
    "baseline_income": Decimal("3800.50"),
}


def officer_of(village):
    officer = f.user()
    f.ngo(villages=[village], staff=[officer])
    return officer


def test_ngo_staff_update_records_old_and_new_values():
    village = f.village(households=200, poor_households=30, poverty_line=Decimal("4000.00"))
    officer = officer_of(village)

    change = update_baseline(village, officer, **FIGURES)

    village.refresh_from_db()
    assert (village.households, village.poor_households, village.poverty_line, village.baseline_income) == (
        210,
        40,
        Decimal("4500.00"),
        Decimal("3800.50"),
    )
    change.refresh_from_db()
    assert change.changed_by == officer and change.changed_at is not None
    assert (change.old_households, change.new_households) == (200, 210)
    assert (change.old_poor_households, change.new_poor_households) == (30, 40)
    assert (change.old_poverty_line, change.new_poverty_line) == (Decimal("4000.00"), Decimal("4500.00"))
    assert (change.old_baseline_income, change.new_baseline_income) == (Decimal("0.00"), Decimal("3800.50"))
    assert [row["name"] for row in change.changed_figures()] == [
        "households",
        "poor_households",
        "poverty_line",
        "baseline_income",
    ]


def test_strings_from_a_form_are_parsed_and_an_unchanged_edit_records_nothing():
    village = f.village()
    officer = officer_of(village)
    update_baseline(
        village, officer, households="210", poor_households=" 40 ", poverty_line="4500", baseline_income="3800.5"
    )
    assert update_baseline(village, officer, **FIGURES) is None
    assert VillageBaselineChange.objects.filter(village=village).count() == 1


def test_operators_may_update_any_village():
    village = f.village()
    assert update_baseline(village, f.staff_user(), **FIGURES) is not None


@pytest.mark.parametrize("who", ["other_ngo", "farmer", "shopper"])
def test_others_are_refused_and_nothing_changes(who):
    village = f.village(households=200)
    user = {
        "other_ngo": lambda: officer_of(f.village()),
        "farmer": lambda: f.farmer(village_=village).user,
        "shopper": f.user,
    }[who]()
    with pytest.raises(PermissionDenied):
        update_baseline(village, user, **FIGURES)
    village.refresh_from_db()
    assert village.households == 200
    assert not VillageBaselineChange.objects.exists()


@pytest.mark.parametrize(
    ("changes", "field", "code"),
    [
        ({"poor_households": 300}, "poor_households", "more_than_households"),
        ({"households": -1}, "households", "min_value"),
        ({"households": "很多"}, "households", "invalid"),
        ({"poverty_line": "-1"}, "poverty_line", "min_value"),
        ({"poverty_line": "12.345"}, "poverty_line", "max_decimal_places"),
        ({"baseline_income": "abc"}, "baseline_income", "invalid"),
        ({"baseline_income": "NaN"}, "baseline_income", "invalid"),
        ({"baseline_income": "100000000"}, "baseline_income", "max_value"),
    ],
)
def test_bad_figures_are_refused_by_field_and_nothing_is_written(changes, field, code):
    village = f.village(households=200, poor_households=30)
    with pytest.raises(ValidationError) as error:
        update_baseline(village, officer_of(village), **{**FIGURES, **changes})
    assert [e.code for e in error.value.error_dict[field]] == [code]
    village.refresh_from_db()
    assert (village.households, village.poor_households) == (200, 30)
    assert not VillageBaselineChange.objects.exists()


def test_every_bad_field_is_reported_at_once():
    village = f.village()
    with pytest.raises(ValidationError) as error:
        update_baseline(
            village, officer_of(village), households="x", poor_households=1, poverty_line="-2", baseline_income="y"
        )
    assert set(error.value.error_dict) == {"households", "poverty_line", "baseline_income"}


def test_a_float_is_a_programming_error():
    village = f.village()
    with pytest.raises(TypeError):
        update_baseline(village, officer_of(village), **{**FIGURES, "poverty_line": 4500.0})


def test_admin_edits_are_recorded_too(client):
    village = f.village(households=200, poor_households=30)
    operator = f.staff_user()
    operator.is_superuser = True
    operator.save()
    client.force_login(operator)
    response = client.post(
        f"/admin/farmers/village/{village.pk}/change/",
        {
            "county": village.county_id,
            "name": village.name,
            "slug": village.slug,
            "households": 250,
            "poor_households": 30,
            "poverty_line": "4000.00",
            "baseline_income": "0.00",
        },
    )
    assert response.status_code == 302
    change = VillageBaselineChange.objects.get(village=village)
    assert (change.old_households, change.new_households, change.changed_by) == (200, 250, operator)
