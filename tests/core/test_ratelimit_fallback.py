"""With the rate limits' store (the Redis cache) down, log-ins neither fail nor lose their limit
(issue 18 defect 8): the cache points at a closed port, a real connection failure, no mock."""

import json
import logging
import socket

import pytest

from core import ratelimit
from tests import factories as f

pytestmark = pytest.mark.django_db

TOKEN = """mutation($email: String!, $password: String!) {
  tokenCreate(email: $email, password: $password) { token errors { field code message } } }"""


def closed_port() -> int:
    """A port nothing listens on: bound, then closed (connecting is refused at once)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def cache_down(settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{closed_port()}/0",
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }
    settings.RATELIMIT_FALLBACK_PROCESSES = 3
    ratelimit.local_counters.clear()
    ratelimit._last_warning[0] = 0.0
    yield
    ratelimit.local_counters.clear()


def test_the_cache_is_really_down(cache_down):
    from django.core.cache import cache

    with pytest.raises(Exception, match=r"(?i)connect|refused"):
        cache.get("anything")


def test_log_in_page_serves_and_keeps_a_stricter_limit_with_a_warning(client, cache_down, caplog):
    f.user(username="farmer-li")
    limit = ratelimit.LOGIN_PER_ACCOUNT_FROM_IP.fallback_limit
    assert limit == 2, "5 a window, shared by 3 processes, rounded up"

    with caplog.at_level(logging.WARNING, logger="core.ratelimit"):
        good = client.post(
            "/accounts/login/", {"username": "farmer-li", "password": "pw-123456"}, REMOTE_ADDR="10.1.1.1"
        )
    assert good.status_code == 302, "the right password logs in while the cache is down"
    assert any("cache could not" in record.getMessage() for record in caplog.records)
    client.post("/accounts/logout/")

    for n in range(limit):
        wrong = client.post("/accounts/login/", {"username": "farmer-li", "password": f"x{n}"}, REMOTE_ADDR="10.1.1.2")
        assert wrong.status_code == 200
    blocked = client.post(
        "/accounts/login/", {"username": "farmer-li", "password": "pw-123456"}, REMOTE_ADDR="10.1.1.2"
    )
    assert blocked.status_code == 429, "the limit holds without the cache"
    assert "_auth_user_id" not in client.session


def test_admin_log_in_keeps_its_limit(client, cache_down):
    f.user(username="operator", is_staff=True)
    for n in range(30):
        response = client.post("/admin/login/", {"username": "operator", "password": f"x{n}"}, REMOTE_ADDR="10.2.2.2")
        assert response.status_code in (200, 429)
    response = client.post("/admin/login/", {"username": "operator", "password": "pw-123456"}, REMOTE_ADDR="10.2.2.2")
    assert response.status_code == 429
    other = client.post("/admin/login/", {"username": "operator", "password": "pw-123456"}, REMOTE_ADDR="10.3.3.3")
    assert other.status_code == 302, "from another address the operator still gets in"


def test_token_create_answers_and_keeps_its_limit(gql, cache_down):
    f.user(username="zhou@example.cn", email="zhou@example.cn")
    good = gql(TOKEN, {"email": "zhou@example.cn", "password": "pw-123456"})["data"]["tokenCreate"]
    assert good["errors"] == [] and good["token"]
    codes = [
        gql(TOKEN, {"email": "zhou@example.cn", "password": f"wrong-{n}"})["data"]["tokenCreate"]["errors"][0]["code"]
        for n in range(3)
    ]
    assert codes == ["INVALID_CREDENTIALS", "INVALID_CREDENTIALS", "RATE_LIMITED"]
    again = gql(TOKEN, {"email": "zhou@example.cn", "password": "pw-123456"})["data"]["tokenCreate"]
    assert [error["code"] for error in again["errors"]] == ["RATE_LIMITED"]


def test_local_counters_are_bounded_and_refuse_when_full(monkeypatch, settings):
    settings.RATELIMIT_FALLBACK_PROCESSES = 1
    counters = ratelimit.LocalCounters()
    monkeypatch.setattr(counters, "MAX_KEYS", 2)
    assert counters.incr("a", 60) == 1 and counters.incr("b", 60) == 1
    assert counters.incr("c", 60) is None, "full of live counters: a new one is refused"
    start = ratelimit.clock()
    monkeypatch.setattr(ratelimit, "clock", lambda: start + 61)
    assert counters.incr("c", 60) == 1, "expired counters make room"


def test_graphql_answer_is_json_not_a_500(client, cache_down):
    response = client.post(
        "/graphql/",
        json.dumps({"query": TOKEN, "variables": {"email": "nobody@example.cn", "password": "x"}}),
        content_type="application/json",
    )
    assert response.status_code == 200
    assert response.json()["data"]["tokenCreate"]["errors"][0]["code"] == "INVALID_CREDENTIALS"
