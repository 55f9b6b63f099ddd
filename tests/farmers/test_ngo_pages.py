"""NGO verification pages: who may open them, what the queue and the record show, and decisions
made through the verification service (errors write nothing, every change is recorded)."""

from datetime import UTC, datetime

import pytest
from django.conf import settings
from django.db import connection
from django.shortcuts import resolve_url
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from farmers.models import FarmerStateChange, VerificationState
from farmers.verification import change_verification_state
from shop import catalog as shop_services
from shop.selectors import visible_products
from tests import factories as f

pytestmark = pytest.mark.django_db
S = VerificationState


@pytest.fixture
def covered():
    """An NGO covering one village, its officer, and a pending farmer there."""
    village = f.village()
    officer = f.user(first_name="李", last_name="四")
    org = f.ngo(villages=[village], staff=[officer])
    farmer = f.farmer(state=S.PENDING, village_=village, name="王大山", household_size=5, is_registered_poor=True)
    return {"village": village, "officer": officer, "ngo": org, "farmer": farmer}


def record_url(farmer):
    return reverse("ngo:farmer", args=[farmer.pk])


def decide_url(farmer):
    return reverse("ngo:decide", args=[farmer.pk])


def decide(client, farmer, to_state, reason=""):
    return client.post(decide_url(farmer), {"to_state": to_state, "reason": reason})


def error_codes(form, field):
    return [error.code for error in form.errors.as_data().get(field, [])]


def assert_unchanged(farmer, state):
    farmer.refresh_from_db()
    assert farmer.verification_state == state
    assert not FarmerStateChange.objects.filter(farmer=farmer).exists()


# --- Who may open the pages ------------------------------------------------------------------


def test_list_lives_at_ngo_root():
    assert reverse("ngo:pending") == "/ngo/"
    assert reverse("ngo:farmer", args=[7]) == "/ngo/farmers/7/"
    assert reverse("ngo:decide", args=[7]) == "/ngo/farmers/7/decide/"


def test_anonymous_is_sent_to_log_in(client, covered):
    farmer = covered["farmer"]
    login = resolve_url(settings.LOGIN_URL)
    for response in (
        client.get(reverse("ngo:pending")),
        client.get(record_url(farmer)),
        decide(client, farmer, S.VERIFIED),
    ):
        assert response.status_code == 302
        assert response["Location"].startswith(login + "?next=")
    assert_unchanged(farmer, S.PENDING)


@pytest.mark.parametrize("who", ["plain user", "farmer", "cooperative manager"])
def test_users_who_are_neither_ngo_nor_site_staff_get_403(client, covered, who):
    farmer = covered["farmer"]
    if who == "plain user":
        user = f.user()
    elif who == "farmer":
        user = f.farmer(village_=covered["village"]).user
    else:
        user = f.user()
        f.cooperative(village_=covered["village"], manager=user)
    client.force_login(user)
    assert client.get(reverse("ngo:pending")).status_code == 403
    assert client.get(record_url(farmer)).status_code == 403
    assert decide(client, farmer, S.VERIFIED).status_code == 403
    assert_unchanged(farmer, S.PENDING)


def test_staff_of_an_ngo_without_villages_sees_an_empty_queue(client, covered):
    officer = f.user()
    f.ngo(staff=[officer])
    client.force_login(officer)
    response = client.get(reverse("ngo:pending"))
    assert response.status_code == 200
    assert list(response.context["page"].object_list) == []
    assert client.get(record_url(covered["farmer"])).status_code == 404


def test_ngo_cannot_open_or_decide_on_a_village_it_does_not_cover(client, covered):
    other_officer = f.user()
    f.ngo(villages=[f.village()], staff=[other_officer])
    farmer = covered["farmer"]
    client.force_login(other_officer)

    assert client.get(record_url(farmer)).status_code == 404
    for to_state, reason in [(S.VERIFIED, ""), (S.REJECTED, "不是本村人")]:
        assert decide(client, farmer, to_state, reason).status_code == 404
    assert_unchanged(farmer, S.PENDING)
    assert farmer.name not in client.get(reverse("ngo:pending")).content.decode()


def test_decide_needs_post(client, covered):
    client.force_login(covered["officer"])
    assert client.get(decide_url(covered["farmer"])).status_code == 405
    assert_unchanged(covered["farmer"], S.PENDING)


def test_site_staff_act_on_any_village(client, covered):
    staff = f.staff_user()
    elsewhere = f.farmer(state=S.PENDING)  # a village no NGO covers
    client.force_login(staff)

    listed = client.get(reverse("ngo:pending")).context["page"].object_list
    assert {covered["farmer"], elsewhere} <= set(listed)
    assert client.get(record_url(elsewhere)).status_code == 200
    response = decide(client, elsewhere, S.VERIFIED)
    assert response.status_code == 302
    elsewhere.refresh_from_db()
    assert elsewhere.verification_state == S.VERIFIED and elsewhere.state_changed_by == staff


# --- The queue ---------------------------------------------------------------------------------


def test_list_shows_pending_farmers_of_covered_villages_only(client, covered):
    second_village = f.village()
    covered["ngo"].villages.add(second_village)
    other_pending = f.farmer(state=S.PENDING, village_=second_village, cooperative=f.cooperative(second_village))
    verified_here = f.farmer(state=S.VERIFIED, village_=covered["village"])
    not_covered = f.farmer(state=S.PENDING)
    client.force_login(covered["officer"])

    response = client.get(reverse("ngo:pending"))

    assert response.status_code == 200
    assert response.context["state"] == S.PENDING
    assert list(response.context["page"].object_list) == [other_pending, covered["farmer"]]  # newest first
    page = response.content.decode()
    assert covered["farmer"].name in page and other_pending.cooperative.name in page
    assert covered["village"].name in page and covered["village"].county.name in page
    assert verified_here.name not in page and not_covered.name not in page
    assert record_url(covered["farmer"]) in page
    counts = {tab["state"]: tab["count"] for tab in response.context["tabs"]}
    assert counts == {S.PENDING: 2, S.VERIFIED: 1, S.REJECTED: 0, S.SUSPENDED: 0}


@pytest.mark.parametrize("state", [S.VERIFIED, S.REJECTED, S.SUSPENDED])
def test_state_tabs(client, covered, state):
    here = f.farmer(state=state, village_=covered["village"])
    f.farmer(state=state)  # another village
    client.force_login(covered["officer"])

    response = client.get(reverse("ngo:pending"), {"state": state})

    assert response.context["state"] == state
    assert list(response.context["page"].object_list) == [here]
    assert 'aria-current="page"' in response.content.decode()


def test_unknown_state_falls_back_to_pending(client, covered):
    client.force_login(covered["officer"])
    response = client.get(reverse("ngo:pending"), {"state": "bogus"})
    assert response.status_code == 200
    assert list(response.context["page"].object_list) == [covered["farmer"]]


def test_list_is_paginated(client, covered):
    for _ in range(30):
        f.farmer(state=S.PENDING, village_=covered["village"], with_user=False)
    client.force_login(covered["officer"])
    first = client.get(reverse("ngo:pending"))
    second = client.get(reverse("ngo:pending"), {"page": 2})
    assert len(first.context["page"].object_list) == 25
    assert len(second.context["page"].object_list) == 6
    assert covered["farmer"] in second.context["page"].object_list  # the oldest comes last
    assert "?state=pending&amp;page=2" in first.content.decode()


def _list_queries(client, officer):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("ngo:pending"))
    assert response.status_code == 200
    return len(response.context["page"].object_list), len(queries)


def test_list_runs_a_bounded_number_of_queries_whatever_the_number_of_farmers(client, covered):
    village = covered["village"]
    client.force_login(covered["officer"])

    def add(n):
        for _ in range(n):
            f.farmer(state=S.PENDING, village_=village, cooperative=f.cooperative(village), with_user=False)

    add(2)  # 3 with the fixture's farmer
    rows_few, few = _list_queries(client, covered["officer"])
    add(27)  # 30
    rows_many, many = _list_queries(client, covered["officer"])

    assert (rows_few, rows_many) == (3, 25)
    assert many == few
    assert many <= 12


# --- The record --------------------------------------------------------------------------------


def test_record_shows_what_the_farmer_entered(client, covered):
    farmer = covered["farmer"]
    farmer.story = "种了三十年核桃"
    farmer.cooperative = f.cooperative(covered["village"])
    farmer.save()
    listing = f.product(seller=farmer, published=False, name="高山核桃")
    client.force_login(covered["officer"])

    response = client.get(record_url(farmer))

    assert response.status_code == 200
    assert response.context["show_personal"] is True
    page = response.content.decode()
    village = covered["village"]
    for text in (
        farmer.name,
        farmer.phone,
        farmer.id_number,
        village.name,
        village.county.name,
        village.county.province.name,
        farmer.cooperative.name,
        "种了三十年核桃",
        listing.name,
    ):
        assert text in page
    assert response.context["products"][0].listing_state == "draft"


def test_record_shows_every_decision_with_who_when_and_why(client, covered):
    farmer = covered["farmer"]
    officer = covered["officer"]
    change_verification_state(farmer, S.REJECTED, by=officer, reason="身份证照片看不清")
    change_verification_state(farmer, S.PENDING, by=officer, reason="已补交照片")
    first = FarmerStateChange.objects.get(farmer=farmer, to_state=S.REJECTED)
    first.changed_at = datetime(2024, 3, 1, 16, 30, tzinfo=UTC)  # 2024-03-02 00:30 in Shanghai
    first.save()
    client.force_login(officer)

    response = client.get(record_url(farmer))

    history = list(response.context["history"])
    assert [(c.from_state, c.to_state) for c in history] == [(S.REJECTED, S.PENDING), (S.PENDING, S.REJECTED)]
    page = response.content.decode()
    assert "2024-03-02 00:30" in page
    assert "身份证照片看不清" in page and "已补交照片" in page
    assert officer.get_full_name() in page


def test_record_offers_only_the_moves_the_state_allows(client, covered):
    village = covered["village"]
    client.force_login(covered["officer"])
    expected = {
        S.PENDING: [S.VERIFIED, S.REJECTED],
        S.REJECTED: [S.VERIFIED, S.PENDING],
        S.VERIFIED: [S.SUSPENDED],
        S.SUSPENDED: [S.VERIFIED],
    }
    for state, moves in expected.items():
        farmer = f.farmer(state=state, village_=village)
        response = client.get(record_url(farmer))
        assert [action["state"] for action in response.context["actions"]] == moves
        page = response.content.decode()
        for action in response.context["actions"]:
            reason_id = action["form"]["reason"].auto_id
            assert f'<label for="{reason_id}"' in page and f'id="{reason_id}"' in page


# --- Decisions ---------------------------------------------------------------------------------


def test_verify_records_the_officer(client, covered):
    farmer = covered["farmer"]
    client.force_login(covered["officer"])

    response = decide(client, farmer, S.VERIFIED, "见过本人")

    assert response.status_code == 302 and response["Location"] == record_url(farmer)
    farmer.refresh_from_db()
    assert farmer.verification_state == S.VERIFIED and farmer.state_changed_by == covered["officer"]
    change = FarmerStateChange.objects.get(farmer=farmer)
    assert (change.from_state, change.to_state, change.changed_by, change.reason) == (
        S.PENDING,
        S.VERIFIED,
        covered["officer"],
        "见过本人",
    )
    followed = client.get(response["Location"])
    assert len(list(followed.context["messages"])) == 1
    assert "见过本人" in followed.content.decode()


@pytest.mark.parametrize("reason", ["", "   "])
def test_reject_without_reason_is_an_error_on_the_reason_field(client, covered, reason):
    farmer = covered["farmer"]
    client.force_login(covered["officer"])

    response = decide(client, farmer, S.REJECTED, reason)

    assert response.status_code == 400
    form = response.context["decision_form"]
    assert error_codes(form, "reason") == ["required"]
    page = response.content.decode()
    reason_id = form["reason"].auto_id
    assert f'id="{reason_id}_error"' in page and f'aria-describedby="{reason_id}_error"' in page
    assert_unchanged(farmer, S.PENDING)


def test_reject_with_reason(client, covered):
    farmer = covered["farmer"]
    client.force_login(covered["officer"])
    response = decide(client, farmer, S.REJECTED, "不是本村村民")
    assert response.status_code == 302
    farmer.refresh_from_db()
    assert (farmer.verification_state, farmer.state_reason) == (S.REJECTED, "不是本村村民")
    assert farmer.state_changes.get().changed_by == covered["officer"]


def test_send_a_rejected_farmer_back_to_pending(client, covered):
    farmer = f.farmer(state=S.REJECTED, village_=covered["village"])
    client.force_login(covered["officer"])
    assert decide(client, farmer, S.PENDING).status_code == 302
    farmer.refresh_from_db()
    assert farmer.verification_state == S.PENDING


def test_suspend_and_reinstate(client, covered):
    farmer = f.farmer(state=S.VERIFIED, village_=covered["village"])
    product = f.product(seller=farmer)
    client.force_login(covered["officer"])

    response = decide(client, farmer, S.SUSPENDED, "")
    assert error_codes(response.context["decision_form"], "reason") == ["required"]
    assert_unchanged(farmer, S.VERIFIED)

    assert decide(client, farmer, S.SUSPENDED, "买家投诉属实").status_code == 302
    farmer.refresh_from_db()
    assert farmer.verification_state == S.SUSPENDED
    assert product not in visible_products()
    labels = [action["label"] for action in client.get(record_url(farmer)).context["actions"]]
    assert len(labels) == 1

    assert decide(client, farmer, S.VERIFIED).status_code == 302
    farmer.refresh_from_db()
    assert farmer.verification_state == S.VERIFIED
    assert product in visible_products()
    assert [(c.to_state, c.changed_by) for c in farmer.state_changes.order_by("id")] == [
        (S.SUSPENDED, covered["officer"]),
        (S.VERIFIED, covered["officer"]),
    ]


@pytest.mark.parametrize(("start", "target"), [(S.PENDING, S.SUSPENDED), (S.VERIFIED, S.REJECTED)])
def test_an_impossible_move_is_an_error_and_writes_nothing(client, covered, start, target):
    farmer = f.farmer(state=start, village_=covered["village"])
    client.force_login(covered["officer"])

    response = decide(client, farmer, target, "理由")

    assert response.status_code == 400
    assert error_codes(response.context["decision_form"], "to_state") == ["invalid_transition"]
    assert response.context["general_errors"]
    assert 'role="alert"' in response.content.decode()
    assert_unchanged(farmer, start)


def test_an_unknown_state_is_an_error(client, covered):
    client.force_login(covered["officer"])
    response = decide(client, covered["farmer"], "deleted", "x")
    assert response.status_code == 400
    assert error_codes(response.context["decision_form"], "to_state") == ["invalid_choice"]
    assert_unchanged(covered["farmer"], S.PENDING)


def test_verifying_publishes_the_listings_that_were_waiting(client, covered):
    farmer = covered["farmer"]
    waiting = f.product(seller=farmer, published=False)
    shop_services.update_product(farmer.user, waiting, publish_when_verified=True)
    draft = f.product(seller=farmer, published=False)
    client.force_login(covered["officer"])
    states = {p.pk: p.listing_state for p in client.get(record_url(farmer)).context["products"]}
    assert states == {waiting.pk: "waiting", draft.pk: "draft"}
    assert waiting not in visible_products()

    assert decide(client, farmer, S.VERIFIED).status_code == 302

    assert waiting in visible_products()
    assert draft not in visible_products()
    states = {p.pk: p.listing_state for p in client.get(record_url(farmer)).context["products"]}
    assert states == {waiting.pk: "on_sale", draft.pk: "draft"}


def test_officer_who_is_also_a_farmer_cannot_open_or_decide_on_their_own_record(client):
    farmer = f.farmer(state=VerificationState.PENDING)
    f.ngo(villages=[farmer.village], staff=[farmer.user])
    client.force_login(farmer.user)
    assert client.get(reverse("ngo:farmer", args=[farmer.pk])).status_code == 404
    response = client.post(reverse("ngo:decide", args=[farmer.pk]), {"to_state": "verified", "reason": ""})
    assert response.status_code == 404
    farmer.refresh_from_db()
    assert farmer.verification_state == VerificationState.PENDING
    assert farmer.name not in client.get(reverse("ngo:pending")).content.decode()
