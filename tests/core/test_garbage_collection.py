"""GC_THRESHOLD reaches Python's collector in every process that sets Django up (core.apps)."""

import gc

import pytest
from django.core.exceptions import ImproperlyConfigured

from core.garbage_collection import tune_collector


@pytest.fixture
def kept_threshold():
    kept = gc.get_threshold()
    yield
    gc.set_threshold(*kept)


def test_the_process_runs_with_the_setting(settings):
    """This process was set up by Django, as gunicorn's and Celery's are."""
    assert settings.GC_THRESHOLD == 10_000
    assert gc.get_threshold()[0] == settings.GC_THRESHOLD


def test_the_setting_is_applied_and_the_older_generations_kept(settings, kept_threshold):
    gc.set_threshold(123, 7, 9)
    settings.GC_THRESHOLD = 700
    tune_collector()
    assert gc.get_threshold() == (700, 7, 9)
    assert gc.isenabled()


@pytest.mark.parametrize("value", [0, -5])
def test_a_threshold_that_would_stop_collection_is_refused(settings, kept_threshold, value):
    settings.GC_THRESHOLD = value
    before = gc.get_threshold()
    with pytest.raises(ImproperlyConfigured, match="GC_THRESHOLD must be at least 1"):
        tune_collector()
    assert gc.get_threshold() == before and gc.isenabled()
