"""Saleor's own storefront SDK (`@saleor/auth-sdk`, pinned in package.json here) signs in,
refreshes and signs out against our API, served on 127.0.0.1 (issue 19).

Needs Node and the package installed (`npm ci` here; scripts/test.sh runs it): without them the
test skips, and fails under CI=true."""

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from django.urls import reverse
from pytest_django.live_server_helper import LiveServer

from tests import factories as f
from tests.conftest import require

HERE = Path(__file__).resolve().parent
ACCESS_TTL = 5  # seconds: more than the SDK's 2-second grace, short enough to wait out

pytestmark = pytest.mark.slow


@pytest.fixture
def api_url(transactional_db, settings):
    settings.JWT_ACCESS_TTL = ACCESS_TTL
    server = LiveServer("127.0.0.1:0")
    try:
        yield server.url + reverse("graphql")
    finally:
        server.stop()


@pytest.fixture
def node():
    node, npm = shutil.which("node"), shutil.which("npm")
    require(node is not None and npm is not None, "needs Node.js and npm for Saleor's SDK")
    require(
        (HERE / "node_modules" / "@saleor" / "auth-sdk" / "package.json").exists(),
        "needs `npm ci` in tests/saleor_sdk (scripts/test.sh runs it)",
    )
    return node


def account(login, password, **fields):
    user = f.user(username=login, **fields)
    user.set_password(password)
    user.save()
    return user


def test_saleors_auth_sdk_signs_in_refreshes_and_signs_out(api_url, node):
    account("li@example.cn", "shanhuo-mountain-9", email="li@example.cn")
    farmer = f.farmer(with_user=False, phone="13800138000")
    farmer.user = account("13800138000", "hill-tea-2468")
    farmer.save()
    accounts = {
        "shopper": {"login": "li@example.cn", "password": "shanhuo-mountain-9"},
        "farmer": {"login": "138-0013-8000", "password": "hill-tea-2468"},
    }
    wrong = {"login": "li@example.cn", "password": "not-the-password"}
    run = subprocess.run(
        [node, "sdk_flow.mjs", api_url, json.dumps({"accounts": accounts, "wrong": wrong, "accessTtl": ACCESS_TTL})],
        cwd=HERE,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    report = json.loads(run.stdout.strip().splitlines()[-1])

    for name, email in (("shopper", "li@example.cn"), ("farmer", "")):
        step = report[name]
        assert step["signInErrors"] == [] and step["authState"] == "signedIn", name
        me = {"email": email, "orders": {"totalCount": 0}}
        assert step["meFirst"] == {"status": 200, "body": {"data": {"me": me}}}, name
        # Past the access token's lifetime: the old one is refused, the SDK refreshed and read `me`.
        assert step["firstAccessNow"]["status"] == 401, name
        assert step["firstAccessNow"]["body"]["errors"][0]["extensions"]["code"] == "JWT_SIGNATURE_EXPIRED", name
        assert step["accessTokenRenewed"] is True, name
        assert step["meAfterExpiry"] == {"status": 200, "body": {"data": {"me": me}}}, name
        # Signed out: the SDK sends no token, and the server no longer honours the old ones.
        assert step["deactivate"]["body"] == {"data": {"tokensDeactivateAll": {"errors": []}}}, name
        assert step["authStateAfterSignOut"] == "signedOut", name
        assert step["meAfterSignOut"] == {"status": 200, "body": {"data": {"me": None}}}, name
        refused = step["oldRefreshToken"]["body"]["data"]["tokenRefresh"]
        assert refused == {"token": None, "errors": [{"code": "JWT_INVALID_TOKEN"}]}, name
        assert step["oldAccessToken"]["status"] == 401, name

    operations = [(sent["operation"], sent["withToken"]) for sent in report["sent"]]
    assert operations.count(("tokenCreate", False)) == 3
    assert operations.count(("refreshToken", False)) == 2, "one refresh per signed-in client"
    assert ("Me", True) in operations and ("SignOutEverywhere", True) in operations

    wrong_password = report["wrongPassword"]
    token_create = wrong_password["result"]["data"]["tokenCreate"]
    assert token_create["token"] is None and token_create["refreshToken"] is None
    assert [(e["field"], e["code"]) for e in token_create["errors"]] == [(None, "INVALID_CREDENTIALS")]
    assert token_create["errors"][0]["message"]
    assert wrong_password["authState"] == "signedOut"
    assert wrong_password["me"]["body"] == {"data": {"me": None}}
