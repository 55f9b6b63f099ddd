"""The admin's log-in counts attempts like /accounts/login/ (core.ratelimit, issue 18 defect 1)."""

import pytest

from tests import factories as f

pytestmark = pytest.mark.django_db

ADMIN_LOGIN = "/admin/login/"


def admin_login(client, username, password, ip="10.0.0.7", language="zh-hans"):
    return client.post(
        ADMIN_LOGIN,
        {"username": username, "password": password, "next": "/admin/"},
        REMOTE_ADDR=ip,
        HTTP_ACCEPT_LANGUAGE=language,
    )


def logged_in(client) -> bool:
    return "_auth_user_id" in client.session


def test_thirty_wrong_passwords_then_the_right_one_is_refused_with_a_clear_message(client):
    operator = f.user(username="operator", is_staff=True, is_superuser=True)
    for n in range(30):
        admin_login(client, "operator", f"wrong-{n}")

    response = admin_login(client, "operator", "pw-123456")

    assert response.status_code == 429
    assert not logged_in(client)
    assert "试的次数太多了，请等15分钟再试。" in response.content.decode(), "the page says why, in Chinese"
    english = admin_login(client, "operator", "pw-123456", language="en")
    assert english.status_code == 429
    assert "Too many attempts. Please wait 15 minutes and try again." in english.content.decode()
    assert operator.pk  # the account itself is untouched


def test_the_admin_form_works_normally_under_the_limit(client):
    f.user(username="operator", is_staff=True)
    f.user(username="shopper@example.cn")

    wrong = admin_login(client, "operator", "wrong")
    assert wrong.status_code == 200 and not logged_in(client)
    assert (
        wrong.context["form"]
        .errors["__all__"][0]
        .startswith(wrong.context["form"].error_messages["invalid_login"][:10])
    ), "the admin's own message for a wrong password"
    not_staff = admin_login(client, "shopper@example.cn", "pw-123456")
    assert not_staff.status_code == 200 and not logged_in(client), "still staff only"

    response = admin_login(client, "operator", "pw-123456")

    assert response.status_code == 302 and response.url == "/admin/"
    assert logged_in(client)


def test_failures_at_both_doors_count_together(client):
    """Guesses at the admin and at /accounts/login/ are guesses at one account."""
    f.user(username="operator", is_staff=True)
    for n in range(3):
        admin_login(client, "operator", f"wrong-{n}")
    for n in range(2):
        client.post("/accounts/login/", {"username": "operator", "password": f"bad-{n}"}, REMOTE_ADDR="10.0.0.7")

    assert admin_login(client, "operator", "pw-123456").status_code == 429
