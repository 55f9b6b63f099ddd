"""Shoppers sign up with an email address; apps sign in for a bearer token."""

import json

import pytest

from core import api_tokens
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


def test_register_then_use_the_token_for_me(gql, client):
    result = gql(REGISTER, {"input": {"email": " Li.Na@Example.CN ", "password": "shanhuo-mountain-9"}})["data"]
    assert result["accountRegister"]["errors"] == []
    assert result["accountRegister"]["email"] == "li.na@example.cn"
    user = User.objects.get(username="li.na@example.cn")
    assert user.check_password("shanhuo-mountain-9")
    response = bearer(client, result["accountRegister"]["token"])
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


def test_register_refuses_an_address_already_used_in_any_case(gql):
    f.user(username="wang@example.cn", email="wang@example.cn")
    errors = gql(REGISTER, {"input": {"email": "WANG@example.cn", "password": "shanhuo-mountain-9"}})["data"][
        "accountRegister"
    ]["errors"]
    assert errors[0]["code"] == "DUPLICATE_EMAIL"
    assert User.objects.filter(email__iexact="wang@example.cn").count() == 1


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
