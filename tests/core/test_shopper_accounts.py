"""Shoppers sign up with an email address; apps sign in for a bearer token."""

import json

import pytest
from django.core import mail

from core import api_tokens, ratelimit
from core.graphql import jwt_tokens
from core.models import User
from tests import factories as f

pytestmark = pytest.mark.django_db

REGISTER = """mutation($input: AccountRegisterInput!) {
  accountRegister(input: $input) { token email errors { field code message } } }"""
TOKEN = """mutation($email: String!, $password: String!) {
  tokenCreate(email: $email, password: $password) { token errors { field code message } } }"""
ME = "{ me { email checkouts { id } orders(first: 5) { totalCount } } }"


def bearer(client, token, query=ME):
    response = client.post(
        "/graphql/", json.dumps({"query": query}), content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {token}"
    )
    return response


def test_register_then_sign_in_and_use_the_token_for_me(gql, client):
    result = gql(REGISTER, {"input": {"email": " Li.Na@Example.CN ", "password": "shanhuo-mountain-9"}})["data"]
    assert result["accountRegister"] == {"token": None, "email": "li.na@example.cn", "errors": []}
    user = User.objects.get(username="li.na@example.cn")
    assert user.check_password("shanhuo-mountain-9")
    token = gql(TOKEN, {"email": "li.na@example.cn", "password": "shanhuo-mountain-9"})["data"]["tokenCreate"]["token"]
    response = bearer(client, token)
    assert response.status_code == 200
    assert response.json()["data"]["me"] == {"email": "li.na@example.cn", "checkouts": [], "orders": {"totalCount": 0}}


@pytest.mark.parametrize(
    ("email", "password", "field", "code"),
    [
        ("not-an-email", "shanhuo-mountain-9", "email", "INVALID"),
        ("a@b.cn", "short1", "password", "PASSWORD_TOO_SHORT"),
        ("a@b.cn", "password123", "password", "PASSWORD_TOO_COMMON"),
        ("a@b.cn", "8237461923", "password", "PASSWORD_ENTIRELY_NUMERIC"),
    ],
)
def test_register_refuses_bad_input_and_writes_nothing(gql, email, password, field, code):
    errors = gql(REGISTER, {"input": {"email": email, "password": password}})["data"]["accountRegister"]["errors"]
    assert [(error["field"], error["code"]) for error in errors][:1] == [(field, code)]
    assert not User.objects.filter(email__iexact=email).exists()


def test_a_taken_address_gets_the_answer_a_new_one_gets_and_its_owner_a_mail(gql, django_capture_on_commit_callbacks):
    """The answer must not tell whether an address is registered (issue 18 defect 2): it used to
    be DUPLICATE_EMAIL. The owner learns of the attempt by mail instead, with the way to sign in."""
    owner = f.user(username="wang@example.cn", email="wang@example.cn")
    with django_capture_on_commit_callbacks(execute=True):
        new = gql(REGISTER, {"input": {"email": "new@example.cn", "password": "shanhuo-mountain-9"}})
    assert mail.outbox == [], "a new account gets no such mail"
    with django_capture_on_commit_callbacks(execute=True):
        taken = gql(REGISTER, {"input": {"email": "WANG@example.cn", "password": "shanhuo-mountain-9"}})

    assert taken["data"]["accountRegister"] == {"token": None, "email": "wang@example.cn", "errors": []}
    assert new["data"]["accountRegister"] == {"token": None, "email": "new@example.cn", "errors": []}
    assert User.objects.filter(email__iexact="wang@example.cn").count() == 1
    owner.refresh_from_db()
    assert owner.check_password("pw-123456"), "the existing account is unchanged"
    assert [message.to for message in mail.outbox] == [["wang@example.cn"]]
    assert "http://testserver/accounts/login/" in mail.outbox[0].body


def test_a_taken_address_with_a_bad_password_gets_the_same_error_as_a_new_one(gql):
    f.user(username="wang@example.cn", email="wang@example.cn")
    for email in ("wang@example.cn", "new@example.cn"):
        errors = gql(REGISTER, {"input": {"email": email, "password": "short1"}})["data"]["accountRegister"]["errors"]
        assert [(error["field"], error["code"]) for error in errors][:1] == [("password", "PASSWORD_TOO_SHORT")]


def test_register_is_rate_limited_per_address(gql):
    limit = ratelimit.ACCOUNT_REGISTER_PER_IP.limit
    for n in range(limit):
        answer = gql(REGISTER, {"input": {"email": f"s{n}@example.cn", "password": "shanhuo-mountain-9"}})
        assert answer["data"]["accountRegister"]["errors"] == []

    blocked = gql(REGISTER, {"input": {"email": "one-more@example.cn", "password": "shanhuo-mountain-9"}})
    errors = blocked["data"]["accountRegister"]["errors"]

    assert [(error["field"], error["code"]) for error in errors] == [(None, "RATE_LIMITED")]
    assert errors[0]["message"] == "这个网络注册的次数太多了，请一小时后再试。", "in the site's language"
    assert not User.objects.filter(username="one-more@example.cn").exists()


def test_token_create_signs_in_and_wrong_passwords_are_rate_limited(gql):
    gql(REGISTER, {"input": {"email": "zhao@example.cn", "password": "shanhuo-mountain-9"}})
    good = gql(TOKEN, {"email": "Zhao@example.cn", "password": "shanhuo-mountain-9"})["data"]["tokenCreate"]
    assert good["errors"] == [] and jwt_tokens.user_for(good["token"], jwt_tokens.ACCESS).email == "zhao@example.cn"
    codes = [
        gql(TOKEN, {"email": "zhao@example.cn", "password": f"wrong-{n}"})["data"]["tokenCreate"]["errors"][0]["code"]
        for n in range(6)
    ]
    assert codes == ["INVALID_CREDENTIALS"] * 5 + ["RATE_LIMITED"]


def test_forged_expired_and_revoked_tokens_are_refused(client, settings):
    user = f.user(email="sun@example.cn")
    token = api_tokens.issue(user)
    assert bearer(client, token).status_code == 200
    assert bearer(client, token[:-2] + ("AA" if not token.endswith("AA") else "BB")).status_code == 401
    assert bearer(client, "not-a-token").status_code == 401
    user.set_password("a-new-password-77")
    user.save()
    assert bearer(client, token).status_code == 401, "changing the password revokes old tokens"
    fresh = api_tokens.issue(user)
    settings.API_TOKEN_MAX_AGE = -1
    assert bearer(client, fresh).status_code == 401, "an expired token is refused"


def test_a_token_request_needs_no_csrf_token(client):
    """Browsers never send an Authorization header on their own, so a token is no ambient authority."""
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    token = api_tokens.issue(f.user(email="qian@example.cn"))
    response = strict.post(
        "/graphql/",
        json.dumps({"query": "mutation { checkoutCreate(input: {}) { checkout { id } errors { code } } }"}),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )
    assert response.status_code == 200
    assert response.json()["data"]["checkoutCreate"]["errors"] == []
