"""Farmer sign-up, log-in for everyone, log-out, and the log-in rate limits.

Errors are checked by field and code, not by text: the pages are in Chinese by default."""

import threading

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError
from django.test import RequestFactory
from django.urls import reverse

from core import ratelimit
from core.models import User
from farmers import registration
from farmers.models import Farmer, VerificationState
from tests import factories as f

pytestmark = pytest.mark.django_db

SIGNUP = reverse("accounts:signup")
LOGIN = reverse("accounts:login")
LOGOUT = reverse("accounts:logout")
PASSWORD = "shan-huo-42"


def codes(response) -> dict[str, list[str]]:
    return {field: [e.code for e in errors] for field, errors in response.context["form"].errors.as_data().items()}


def logged_in_user_id(client):
    value = client.session.get("_auth_user_id")
    return int(value) if value else None


def signup_data(village, **changes):
    data = {
        "phone": "13800138000",
        "name": "张三",
        "province": "",
        "county": "",
        "village": village.pk,
        "cooperative": "",
        "password1": PASSWORD,
        "password2": PASSWORD,
    }
    data.update(changes)
    return data


def counts():
    return User.objects.count(), Farmer.objects.count()


def refused_signup(client, data, field, code):
    """Post a sign-up that must fail with `code` on `field`, writing nothing and logging no one in."""
    before = counts()
    response = client.post(SIGNUP, data)
    assert response.status_code == 200
    assert code in codes(response).get(field, []), codes(response)
    assert counts() == before
    assert logged_in_user_id(client) is None
    return response


# --- Sign-up ----------------------------------------------------------------------------------


def test_anonymous_opens_signup_and_login_with_a_label_for_every_input(client):
    village = f.village()
    for url, fields in ((SIGNUP, ["phone", "name", "province", "county", "village", "cooperative"]), (LOGIN, [])):
        response = client.get(url)
        assert response.status_code == 200
        page = response.content.decode()
        assert 'lang="zh-hans"' in page
        for name in fields + (["password1", "password2"] if url == SIGNUP else ["username", "password"]):
            assert f'<label for="id_{name}"' in page and f'id="id_{name}"' in page
    page = client.get(SIGNUP).content.decode()
    assert 'inputmode="numeric"' in page and 'autocomplete="tel"' in page and 'autocomplete="new-password"' in page
    assert f'<optgroup label="{village.county.province.name} · {village.county.name}">' in page
    login_page = client.get(LOGIN).content.decode()
    assert 'autocomplete="current-password"' in login_page and 'autocomplete="username"' in login_page


def test_signup_creates_a_pending_farmer_and_logs_in(client):
    village = f.village()
    coop = f.cooperative(village_=f.village(county=village.county))  # another village, same county

    response = client.post(SIGNUP, signup_data(village, cooperative=coop.pk, name=" 张三 "))

    assert response.status_code == 302 and response.url == reverse(settings.LOGIN_REDIRECT_URL)
    farmer = Farmer.objects.get(phone="13800138000")
    assert farmer.verification_state == VerificationState.PENDING and not farmer.state_changes.exists()
    assert (farmer.name, farmer.village, farmer.cooperative) == ("张三", village, coop)
    assert farmer.user.username == "13800138000" and farmer.user.check_password(PASSWORD)
    assert logged_in_user_id(client) == farmer.user.pk


def test_signup_with_province_and_county_chosen(client):
    village = f.village()
    data = signup_data(village, province=village.county.province.pk, county=village.county.pk)
    assert client.post(SIGNUP, data).status_code == 302


@pytest.mark.parametrize(
    "typed",
    [
        "+86 138 0013 8000",
        "138-0013-8000",
        "8613800138000",
        "0086 138 0013 8000",
        "１３８００１３８０００",
        " 13800138000 ",
    ],
)
def test_phone_formats_are_normalised(client, typed):
    assert client.post(SIGNUP, signup_data(f.village(), phone=typed)).status_code == 302
    assert Farmer.objects.get().phone == "13800138000"
    assert User.objects.get().username == "13800138000"


@pytest.mark.parametrize(
    "typed", ["138001380001", "1380013800", "010-12345678", "12800138000", "+1 13800138000", "abc"]
)
def test_phone_that_is_not_a_mainland_mobile_is_refused(client, typed):
    refused_signup(client, signup_data(f.village(), phone=typed), "phone", "invalid_phone")


def test_duplicate_phone_is_a_form_error(client):
    f.farmer(phone="13800138000")
    refused_signup(client, signup_data(f.village(), phone="+86 138 0013 8000"), "phone", "duplicate_phone")
    f.user(username="13900139000")  # an account already named by the number
    refused_signup(client, signup_data(f.village(), phone="13900139000"), "phone", "duplicate_phone")


def test_farmer_without_an_account_does_not_hold_the_phone(client):
    f.farmer(phone="13800138000", with_user=False)  # listed by a cooperative, shares the household phone
    assert client.post(SIGNUP, signup_data(f.village())).status_code == 302


def test_duplicate_phone_in_a_race_is_a_form_error_not_a_500(client, monkeypatch):
    """Two sign-ups with one phone at once: both pass the checks, the database refuses the second."""
    f.user(username="13800138000")  # the other sign-up, committed after our checks ran
    answers = iter([False, False, True])  # the form's check, the service's check, after the IntegrityError
    monkeypatch.setattr(registration, "phone_is_registered", lambda phone: next(answers))
    refused_signup(client, signup_data(f.village()), "phone", "duplicate_phone")


def test_the_database_refuses_two_farmer_accounts_with_one_phone():
    f.farmer(phone="13800138000")
    f.farmer(phone="13800138000", with_user=False)
    with pytest.raises(IntegrityError):
        f.farmer(phone="13800138000")


def test_mismatched_passwords(client):
    refused_signup(client, signup_data(f.village(), password2="shan-huo-43"), "password2", "password_mismatch")


@pytest.mark.parametrize(
    ("password", "code"),
    [
        ("12345", "password_too_short"),
        ("a1b2", "password_too_short"),
        ("111111", "password_too_simple"),
        ("123456", "password_too_simple"),
        ("987654", "password_too_simple"),
        ("abcdefg", "password_too_simple"),
        ("13800138000", "password_is_phone"),
        ("138000", "password_is_phone"),
        ("iloveyou", "password_too_common"),
    ],
)
def test_weak_passwords_are_refused(client, password, code):
    data = signup_data(f.village(), password1=password, password2=password)
    refused_signup(client, data, "password1", code)


def test_six_digit_pin_like_password_is_accepted(client):
    data = signup_data(f.village(), password1="730519", password2="730519")
    assert client.post(SIGNUP, data).status_code == 302


def test_village_is_required(client):
    data = {**signup_data(f.village()), "village": ""}
    refused_signup(client, data, "village", "required")


def test_village_must_be_in_the_chosen_county(client):
    village, elsewhere = f.village(), f.village()
    refused_signup(client, signup_data(village, county=elsewhere.county.pk), "village", "wrong_place")
    refused_signup(
        client,
        signup_data(village, province=elsewhere.county.province.pk, county=village.county.pk),
        "county",
        "wrong_place",
    )


def test_cooperative_of_another_county_is_refused(client):
    village = f.village()
    coop = f.cooperative()  # its own province and county
    refused_signup(client, signup_data(village, cooperative=coop.pk), "cooperative", "cooperative_other_county")


def test_pending_cooperative_is_not_offered(client):
    village = f.village()
    coop = f.cooperative(village_=village, state=VerificationState.PENDING)
    assert coop.name not in client.get(SIGNUP).content.decode()
    refused_signup(client, signup_data(village, cooperative=coop.pk), "cooperative", "invalid_choice")


def test_the_page_keeps_what_was_typed_except_passwords(client):
    village = f.village()
    coop = f.cooperative(village_=village)
    data = signup_data(village, phone="138 0013 8000", name="李四", cooperative=coop.pk, password2="other-pass-9")

    page = refused_signup(client, data, "password2", "password_mismatch").content.decode()

    assert 'value="138 0013 8000"' in page and 'value="李四"' in page
    assert f'<option value="{village.pk}" selected data-p="{village.county_id}">' in page
    assert f'<option value="{coop.pk}" selected data-p="{village.county_id}">' in page
    assert PASSWORD not in page and "other-pass-9" not in page
    assert 'aria-invalid="true" aria-describedby="id_password2_error"' in page
    assert 'id="id_password2_error"' in page


def test_logged_in_person_visiting_signup_goes_to_their_page(client):
    client.force_login(f.farmer().user)
    response = client.get(SIGNUP)
    assert response.status_code == 302 and response.url == reverse(settings.LOGIN_REDIRECT_URL)


def test_register_farmer_validates_by_itself():
    village = f.village()
    with pytest.raises(ValidationError) as error:
        registration.register_farmer("12345", "1", "", None, f.cooperative())
    assert {field: [e.code for e in errors] for field, errors in error.value.error_dict.items()} == {
        "phone": ["invalid_phone"],
        "password": ["password_too_short"],
        "name": ["required"],
        "village": ["required"],
    }
    with pytest.raises(ValidationError) as error:
        registration.register_farmer("13800138000", PASSWORD, "王五", village, f.cooperative())
    assert error.value.error_dict["cooperative"][0].code == "cooperative_other_county"
    assert counts() == (0, 0)
    farmer = registration.register_farmer("13800138000", PASSWORD, "王五", village)
    assert farmer.verification_state == VerificationState.PENDING and farmer.cooperative is None


# --- Log-in and log-out -------------------------------------------------------------------------


@pytest.fixture
def farmer_account():
    return registration.register_farmer("13800138000", PASSWORD, "张三", f.village())


def login(client, username, password=PASSWORD, ip="10.0.0.1", **query):
    url = LOGIN + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")
    return client.post(url, {"username": username, "password": password}, REMOTE_ADDR=ip)


@pytest.mark.parametrize("typed", ["13800138000", "+86 138-0013-8000", "１３８ ００１３ ８０００"])
def test_farmer_logs_in_with_the_phone_in_any_usual_format(client, farmer_account, typed):
    response = login(client, typed)
    assert response.status_code == 302 and response.url == reverse(settings.LOGIN_REDIRECT_URL)
    assert logged_in_user_id(client) == farmer_account.user.pk


def test_officer_logs_in_with_a_user_name_and_lands_on_verification(client):
    officer = f.user(username="ngo-officer")
    f.ngo(staff=[officer])
    response = login(client, "ngo-officer", "pw-123456")
    assert response.status_code == 302 and response.url == reverse("ngo:pending")
    assert logged_in_user_id(client) == officer.pk


def test_wrong_password(client, farmer_account):
    response = login(client, "13800138000", "wrong-password")
    assert response.status_code == 200 and codes(response) == {"__all__": ["invalid_login"]}
    assert logged_in_user_id(client) is None
    assert 'value="13800138000"' in response.content.decode() and "wrong-password" not in response.content.decode()


def test_next_is_honoured_when_it_is_on_this_site(client, farmer_account):
    response = login(client, "13800138000", next="/p/some-product/")
    assert response.status_code == 302 and response.url == "/p/some-product/"


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/", "javascript:alert(1)"])
def test_next_to_another_site_is_ignored(client, farmer_account, target):
    page = client.get(LOGIN, {"next": target}).content.decode()
    assert 'name="next"' not in page.split('id="content"')[1], "not carried into the log-in form"
    response = client.post(LOGIN, {"username": "13800138000", "password": PASSWORD, "next": target})
    assert response.status_code == 302 and response.url == reverse(settings.LOGIN_REDIRECT_URL)


def test_logout_needs_a_post(client, farmer_account):
    client.force_login(farmer_account.user)
    assert client.get(LOGOUT).status_code == 405
    assert logged_in_user_id(client) == farmer_account.user.pk
    response = client.post(LOGOUT)
    assert response.status_code == 302 and response.url == reverse(settings.LOGOUT_REDIRECT_URL)
    assert logged_in_user_id(client) is None


# --- Rate limits ---------------------------------------------------------------------------------


def test_sixth_attempt_on_a_phone_from_one_address_is_blocked_even_with_the_right_password(
    client, farmer_account, monkeypatch
):
    for i in range(5):  # in different formats: one account
        assert codes(login(client, "+86 13800138000" if i % 2 else "13800138000", "wrong", ip="10.0.0.9")) == {
            "__all__": ["invalid_login"]
        }

    response = login(client, "13800138000", ip="10.0.0.9")

    assert response.status_code == 429 and codes(response) == {"__all__": ["rate_limited"]}
    assert logged_in_user_id(client) is None
    assert login(client, "13900139000", "wrong", ip="10.0.0.9").status_code == 200, "other accounts are not blocked"

    start = ratelimit.clock()
    monkeypatch.setattr(ratelimit, "clock", lambda: start + ratelimit.LOGIN_PER_ACCOUNT_FROM_IP.window)
    assert login(client, "13800138000", ip="10.0.0.9").status_code == 302, "the next window starts afresh"


def test_wrong_passwords_from_other_addresses_do_not_lock_the_farmer_out(client, farmer_account):
    for i in range(6):
        login(client, "13800138000", "wrong", ip=f"10.0.1.{i}")
    assert login(client, "13800138000", ip="192.0.2.7").status_code == 302


def test_guessing_one_account_from_many_addresses_is_capped(client, farmer_account):
    limit = ratelimit.LOGIN_PER_ACCOUNT.limit
    for i in range(limit):
        assert login(client, "13800138000", "wrong", ip=f"10.1.{i // 200}.{i % 200}").status_code == 200
    response = login(client, "13800138000", ip="192.0.2.8")
    assert response.status_code == 429 and codes(response) == {"__all__": ["rate_limited"]}


def test_blocked_attempt_does_not_check_the_password(client, farmer_account, monkeypatch):
    for _ in range(5):
        login(client, "13800138000", "wrong")
    checked = []
    monkeypatch.setattr("farmers.accounts.forms.authenticate", lambda *a, **k: checked.append(1))
    assert login(client, "13800138000").status_code == 429 and checked == []


def test_twenty_first_failure_from_one_address_is_blocked(client, farmer_account, monkeypatch):
    for i in range(20):
        assert login(client, f"1390000{i:04d}", "wrong", ip="10.0.0.7").status_code == 200

    response = login(client, "13800138000", ip="10.0.0.7")

    assert response.status_code == 429 and codes(response) == {"__all__": ["rate_limited"]}
    assert login(client, "13800138000", ip="10.0.0.8").status_code == 302, "another address is not blocked"
    client.logout()
    start = ratelimit.clock()
    monkeypatch.setattr(ratelimit, "clock", lambda: start + ratelimit.LOGIN_PER_IP.window)
    assert login(client, "13800138000", ip="10.0.0.7").status_code == 302


def test_success_resets_the_account_counter_but_not_the_address_counter(client, farmer_account):
    for _ in range(4):
        login(client, "13800138000", "wrong", ip="10.0.0.5")

    assert login(client, "13800138000", ip="10.0.0.5").status_code == 302

    assert ratelimit.LOGIN_PER_ACCOUNT.count("13800138000") == 0
    assert ratelimit.LOGIN_PER_ACCOUNT_FROM_IP.count("13800138000|10.0.0.5") == 0
    assert ratelimit.LOGIN_PER_IP.count("10.0.0.5") == 4, "successes are not counted; failures stay"


def test_ipv6_addresses_count_by_their_64_network():
    request = RequestFactory().get("/", REMOTE_ADDR="2001:db8:1:2:aaaa::1")
    other = RequestFactory().get("/", REMOTE_ADDR="2001:db8:1:2:bbbb::9")
    assert ratelimit.client_ip(request) == ratelimit.client_ip(other) == "2001:db8:1:2::/64"
    assert ratelimit.client_ip(RequestFactory().get("/", REMOTE_ADDR="::ffff:10.0.0.1")) == "10.0.0.1"


def test_counting_is_atomic_under_concurrency():
    limit = ratelimit.RateLimit("test-concurrency", limit=10, window=60)
    results, barrier = [], threading.Barrier(16)

    def hit():
        barrier.wait()
        results.append(limit.hit("someone").count)

    threads = [threading.Thread(target=hit) for _ in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == list(range(1, 17))
    assert limit.count("someone") == 16


def test_sign_ups_from_one_address_are_limited(client):
    village = f.village()
    limit = ratelimit.SIGNUP_PER_IP.limit
    for i in range(limit):
        data = signup_data(village, phone=f"1390000{i:04d}")
        assert client.post(SIGNUP, data, REMOTE_ADDR="10.9.9.9").status_code in (200, 302)
        client.logout()
    response = client.post(SIGNUP, signup_data(village, phone="13900009999"), REMOTE_ADDR="10.9.9.9")
    assert response.status_code == 429 and codes(response) == {"__all__": ["rate_limited"]}
    assert not Farmer.objects.filter(phone="13900009999").exists()
    assert client.post(SIGNUP, signup_data(village, phone="13900009999"), REMOTE_ADDR="10.9.9.10").status_code == 302
