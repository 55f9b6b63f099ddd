"""Saleor's tokens (issue 19): tokenCreate's JWT pair, tokenRefresh, tokenVerify, tokensDeactivateAll,
and every bad token refused with a code, never a 500."""

import base64
import json

import jwt
import pytest
from django.test import Client

from core import api_tokens
from core.graphql import jwt_tokens
from tests import factories as f

pytestmark = pytest.mark.django_db

PASSWORD = "shanhuo-mountain-9"
TOKEN_CREATE = """mutation($email: String!, $password: String!) {
  tokenCreate(email: $email, password: $password) {
    token refreshToken user { id email } errors { field code message } } }"""
TOKEN_REFRESH = """mutation($refreshToken: String) {
  tokenRefresh(refreshToken: $refreshToken) { token user { email } errors { field code message } } }"""
TOKEN_VERIFY = """mutation($token: String!) {
  tokenVerify(token: $token) { isValid payload user { id } errors { field code message } } }"""
DEACTIVATE = "mutation { tokensDeactivateAll { errors { field code message } } }"
ME = "{ me { email orders(first: 5) { totalCount } } }"


def post(client, query, variables=None, token=None):
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token is not None else {}
    return client.post(
        "/graphql/",
        json.dumps({"query": query, "variables": variables or {}}),
        content_type="application/json",
        **headers,
    )


def sign_in(client, login, password=PASSWORD):
    return post(client, TOKEN_CREATE, {"email": login, "password": password}).json()["data"]["tokenCreate"]


def refresh(client, refresh_token):
    return post(client, TOKEN_REFRESH, {"refreshToken": refresh_token}).json()["data"]["tokenRefresh"]


def claims(token):
    return jwt.decode(token, options={"verify_signature": False})


@pytest.fixture
def shopper():
    user = f.user(username="li@example.cn", email="li@example.cn")
    user.set_password(PASSWORD)
    user.save()
    return user


def test_token_create_answers_in_saleors_shape(client, shopper):
    result = sign_in(client, "Li@Example.cn")
    assert result["errors"] == []
    assert result["user"]["email"] == "li@example.cn"
    access, refresh_claims = claims(result["token"]), claims(result["refreshToken"])
    assert access["iss"] == refresh_claims["iss"] == "http://testserver/graphql/"
    assert access["user_id"] == result["user"]["id"] == refresh_claims["user_id"]
    assert (access["type"], refresh_claims["type"]) == ("access", "refresh")
    assert access["exp"] - access["iat"] == 300 and refresh_claims["exp"] - refresh_claims["iat"] == 30 * 24 * 3600
    me = post(client, ME, token=result["token"])
    assert me.json()["data"]["me"] == {"email": "li@example.cn", "orders": {"totalCount": 0}}


def test_the_issuer_can_be_set_for_a_proxy(client, shopper, settings):
    settings.JWT_ISSUER = "https://api.shanhuo.example/graphql/"
    assert claims(sign_in(client, "li@example.cn")["token"])["iss"] == "https://api.shanhuo.example/graphql/"


def test_a_farmer_signs_in_with_their_phone_number_in_the_email_field(client):
    farmer = f.farmer(with_user=False, phone="13800138000")
    farmer.user = f.user(username="13800138000")
    farmer.user.set_password("hill-tea-2468")
    farmer.user.save()
    farmer.save()
    result = sign_in(client, "138 0013 8000", "hill-tea-2468")
    assert result["errors"] == [] and result["user"]["email"] == ""
    assert jwt_tokens.user_for(result["token"], jwt_tokens.ACCESS) == farmer.user


def test_a_wrong_password_is_an_account_error(client, shopper):
    result = sign_in(client, "li@example.cn", "not-the-password")
    assert result["token"] is None and result["refreshToken"] is None
    assert [(e["field"], e["code"]) for e in result["errors"]] == [(None, "INVALID_CREDENTIALS")]


def test_refresh_gives_a_new_access_token(client, shopper, settings):
    settings.JWT_ACCESS_TTL = -1  # run out at once
    first = sign_in(client, "li@example.cn")
    expired = post(client, ME, token=first["token"])
    assert expired.status_code == 401 and expired.json()["errors"][0]["extensions"]["code"] == "JWT_SIGNATURE_EXPIRED"
    settings.JWT_ACCESS_TTL = 60
    renewed = refresh(client, first["refreshToken"])
    assert renewed["errors"] == [] and renewed["user"]["email"] == "li@example.cn"
    assert claims(renewed["token"])["type"] == "access"
    assert post(client, ME, token=renewed["token"]).json()["data"]["me"]["email"] == "li@example.cn"


def test_an_expired_refresh_token_is_refused(client, shopper, settings):
    settings.JWT_REFRESH_TTL = -1
    first = sign_in(client, "li@example.cn")
    assert refresh(client, first["refreshToken"])["errors"][0]["code"] == "JWT_SIGNATURE_EXPIRED"


def _signed(payload, key):
    return jwt.encode(payload, key, algorithm="HS256")


def _bad_tokens(good_access, settings):
    """Each kind of bad token, and the code it must be refused with."""
    header, _body, signature = good_access.split(".")
    data = claims(good_access)
    other_user = f.user()
    forged_body = base64.urlsafe_b64encode(
        json.dumps({**data, "user_id": f"{jwt_tokens.to_global_id('User', other_user.pk)}"}).encode()
    )
    expired = {**data, "iat": data["iat"] - 1000, "exp": data["iat"] - 10}
    unsigned = jwt.encode(data, None, algorithm="none")
    return {
        "expired": (_signed(expired, settings.JWT_SECRET_KEY), "JWT_SIGNATURE_EXPIRED"),
        "forged": (f"{header}.{forged_body.decode().rstrip('=')}.{signature}", "JWT_DECODE_ERROR"),
        "wrong key": (_signed(data, "another-servers-key-0123456789abcdef"), "JWT_DECODE_ERROR"),
        "alg none": (unsigned, "JWT_INVALID_TOKEN"),
        "malformed": ("not.a.token", "JWT_DECODE_ERROR"),
        "garbage": ("%%%.@@@.!!!", "JWT_DECODE_ERROR"),
        "missing claim": (
            _signed({k: v for k, v in data.items() if k != "token"}, settings.JWT_SECRET_KEY),
            "JWT_INVALID_TOKEN",
        ),
        "unknown user": (
            _signed({**data, "user_id": "VXNlcjo5OTk5OTk5"}, settings.JWT_SECRET_KEY),
            "JWT_INVALID_TOKEN",
        ),
        "not a user id": (_signed({**data, "user_id": "Farmer:1"}, settings.JWT_SECRET_KEY), "JWT_INVALID_TOKEN"),
        "wrong fingerprint": (_signed({**data, "token": "0" * 20}, settings.JWT_SECRET_KEY), "JWT_INVALID_TOKEN"),
    }


def test_bad_access_tokens_are_refused_with_a_code_never_a_500(client, shopper, settings):
    good = sign_in(client, "li@example.cn")["token"]
    for name, (token, code) in _bad_tokens(good, settings).items():
        response = post(client, ME, token=token)
        assert response.status_code == 401, name
        assert response.json()["errors"][0]["extensions"]["code"] == code, name
        verified = post(client, TOKEN_VERIFY, {"token": token}).json()["data"]["tokenVerify"]
        assert verified["isValid"] is False and verified["payload"] is None, name
        assert [(e["field"], e["code"]) for e in verified["errors"]] == [("token", code)], name
    for header in ("Basic abc", "Bearer", "Token " + good):
        response = client.post(
            "/graphql/", json.dumps({"query": ME}), content_type="application/json", HTTP_AUTHORIZATION=header
        )
        assert response.status_code == 401 and response.json()["errors"][0]["extensions"]["code"] == "JWT_INVALID_TOKEN"


def test_bad_refresh_tokens_are_refused_with_a_code(client, shopper, settings):
    result = sign_in(client, "li@example.cn")
    cases = _bad_tokens(result["refreshToken"], settings)
    cases["an access token"] = (result["token"], "JWT_INVALID_TOKEN")
    for name, (token, code) in cases.items():
        refused = refresh(client, token)
        assert refused["token"] is None, name
        assert [(e["field"], e["code"]) for e in refused["errors"]] == [("refreshToken", code)], name
    missing = refresh(client, None)
    assert [(e["field"], e["code"]) for e in missing["errors"]] == [("refreshToken", "JWT_MISSING_TOKEN")]
    assert post(client, ME, token=result["refreshToken"]).status_code == 401, "a refresh token is no access token"


def test_a_password_change_ends_access_and_refresh_tokens(client, shopper):
    result = sign_in(client, "li@example.cn")
    shopper.set_password("a-new-password-77")
    shopper.save()
    refused = refresh(client, result["refreshToken"])
    assert refused["token"] is None and refused["errors"][0]["code"] == "JWT_INVALID_TOKEN"
    assert post(client, ME, token=result["token"]).json()["errors"][0]["extensions"]["code"] == "JWT_INVALID_TOKEN"
    assert sign_in(client, "li@example.cn", "a-new-password-77")["errors"] == []


def test_tokens_deactivate_all_ends_every_token_of_the_user_only(client, shopper):
    phone, laptop = sign_in(client, "li@example.cn"), sign_in(client, "li@example.cn")
    older = api_tokens.issue(shopper)
    someone_else = f.user(username="wu@example.cn", email="wu@example.cn")
    someone_else.set_password(PASSWORD)
    someone_else.save()
    theirs = sign_in(client, "wu@example.cn")
    ended = post(client, DEACTIVATE, token=phone["token"]).json()["data"]["tokensDeactivateAll"]
    assert ended["errors"] == []
    for token in (phone["token"], laptop["token"], older):
        assert post(client, ME, token=token).status_code == 401
    for refresh_token in (phone["refreshToken"], laptop["refreshToken"]):
        assert refresh(client, refresh_token)["errors"][0]["code"] == "JWT_INVALID_TOKEN"
    assert post(client, ME, token=theirs["token"]).json()["data"]["me"]["email"] == "wu@example.cn"
    again = sign_in(client, "li@example.cn")
    assert post(client, ME, token=again["token"]).json()["data"]["me"]["email"] == "li@example.cn"


def test_tokens_deactivate_all_needs_a_signed_in_user(client):
    errors = post(client, DEACTIVATE).json()["data"]["tokensDeactivateAll"]["errors"]
    assert [e["code"] for e in errors] == ["PERMISSION_DENIED"]


def test_token_verify_gives_the_claims_and_user(client, shopper):
    result = sign_in(client, "li@example.cn")
    for token, kind in ((result["token"], "access"), (result["refreshToken"], "refresh")):
        verified = post(client, TOKEN_VERIFY, {"token": token}).json()["data"]["tokenVerify"]
        assert verified["isValid"] is True and verified["errors"] == []
        assert verified["payload"]["type"] == kind and verified["user"]["id"] == result["user"]["id"]


def test_the_older_bearer_tokens_still_work_until_they_expire(client, shopper, settings):
    older = api_tokens.issue(shopper)
    assert post(client, ME, token=older).json()["data"]["me"]["email"] == "li@example.cn"
    settings.API_TOKEN_MAX_AGE = -1
    assert post(client, ME, token=older).json()["errors"][0]["extensions"]["code"] == "JWT_INVALID_TOKEN"


def test_a_bearer_request_needs_no_csrf_token_but_a_session_does(shopper):
    strict = Client(enforce_csrf_checks=True)
    token = sign_in(strict, "li@example.cn")["token"]
    assert post(strict, ME, token=token).json()["data"]["me"]["email"] == "li@example.cn"
    strict.force_login(shopper)
    assert post(strict, ME).status_code == 403, "a cookie session still needs its CSRF token"


def test_storefront_origins_may_call_the_api_from_a_browser(client, settings):
    settings.CORS_ALLOWED_ORIGINS = ["https://shop.example.cn"]
    preflight = client.options(
        "/graphql/",
        HTTP_ORIGIN="https://shop.example.cn",
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST",
        HTTP_ACCESS_CONTROL_REQUEST_HEADERS="authorization, content-type",
    )
    assert preflight.status_code == 200
    assert preflight["Access-Control-Allow-Origin"] == "https://shop.example.cn"
    assert {"authorization", "content-type"} <= set(preflight["Access-Control-Allow-Headers"].split(", "))
    assert "Access-Control-Allow-Credentials" not in preflight, "no cookies across origins"
    stranger = client.options(
        "/graphql/", HTTP_ORIGIN="https://evil.example", HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST"
    )
    assert "Access-Control-Allow-Origin" not in stranger
    page = client.get("/", HTTP_ORIGIN="https://shop.example.cn")
    assert "Access-Control-Allow-Origin" not in page, "only the API is open to other origins"
