"""Fixtures of promotion's tests that run on either budget backend."""

import pytest

from promotion import budget


@pytest.fixture
def on_redis(settings, require_redis):
    """The Redis budget backend (and Redis for everything else promotion keeps there)."""
    settings.REDIS_URL = require_redis
    settings.PROMOTION_BUDGET_BACKEND = "redis"
    return budget.redis_client()


@pytest.fixture(params=["redis", "database"])
def any_backend(request, settings):
    if request.param == "redis":
        request.getfixturevalue("on_redis")
    else:
        settings.PROMOTION_BUDGET_BACKEND = "database"
    return request.param
