"""Browser tests: Playwright driving Debian's Chromium, headless, against the live test server.

Chromium talks only to the live server (and localstripe) on 127.0.0.1 (see `chromium.py` for how
it starts). Playwright's sync API runs an event loop in the test's thread, so Django's guard
against ORM calls from async code is lifted for these tests only. The `browser` fixture is in
fixtures.py, and with localstripe's (`localstripe`, `localstripe_webhooks`) registered for the
whole suite in tests/conftest.py.
"""

from pathlib import Path

import pytest

from .chromium import PHONE

OUTPUT = Path(__file__).resolve().parents[2] / "test-output" / "e2e"


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
