"""`serving.campaigns_changed`: a campaign's change reaches every process's serving index through
a version in Redis, bumped only once the change commits (a rolled-back change bumps nothing, and
no process rebuilds its index from rows that are not there yet)."""

import pytest
from django.db import transaction

from promotion import budget, serving
from tests import factories as f

pytestmark = pytest.mark.django_db


def version(client) -> int:
    return int(client.get(budget._config_version_key()) or 0)


def test_a_campaigns_change_bumps_the_version_when_it_commits_not_before(on_redis, django_capture_on_commit_callbacks):
    campaign = f.campaign()
    start = version(on_redis)
    serving._index["stale"] = object()  # this process's index, as a feed request left it

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        campaign.bid = campaign.bid * 2
        campaign.save()
        assert version(on_redis) == start  # not yet: the change has not committed
        assert "stale" in serving._index

    assert len(callbacks) == 1
    assert version(on_redis) == start + 1
    assert serving._index == {}


def test_a_change_rolled_back_bumps_nothing(on_redis, django_capture_on_commit_callbacks):
    campaign = f.campaign()
    start = version(on_redis)

    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        campaign.products.add(f.product())
        raise RuntimeError("the admin's save failed")

    assert callbacks == []
    assert version(on_redis) == start
