"""The browser fixture, registered once for the whole suite in tests/conftest.py: Playwright's sync
API allows one running instance per thread, so every folder's browser tests (the journeys here,
the Stripe.js tests in tests/payments) share this session's Chromium."""

import os

import pytest

from tests.conftest import require

from .chromium import chromium_path, launch


@pytest.fixture(scope="session")
def browser():
    require(bool(chromium_path()), "needs Chromium: apt-get install chromium (.ci/run does)")
    from playwright.sync_api import sync_playwright

    before = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            chromium = launch(playwright)
            yield chromium
            chromium.close()
    finally:
        if before is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = before
