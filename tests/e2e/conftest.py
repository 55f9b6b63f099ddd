"""Browser tests: Playwright driving Debian's Chromium, headless, against the live test server.

Chromium talks only to the live server on 127.0.0.1 (see `chromium.py` for how it starts).
Playwright's sync API runs an event loop in the test's thread, so Django's guard
against ORM calls from async code is lifted for these tests only.
"""

import os
from pathlib import Path

import pytest

from tests.conftest import require

from .chromium import PHONE, chromium_path, launch

OUTPUT = Path(__file__).resolve().parents[2] / "test-output" / "e2e"


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


@pytest.fixture
def phone(browser):
    """A new browser on a 360 px wide phone that prefers Chinese."""
    context = browser.new_context(viewport=PHONE, locale="zh-CN", extra_http_headers={"Accept-Language": "zh-CN"})
    context.set_default_timeout(15_000)
    yield context
    context.close()


@pytest.fixture
def output_dir(request) -> Path:
    folder = OUTPUT / request.node.name
    folder.mkdir(parents=True, exist_ok=True)
    return folder
