"""Who is looking: a signed-in account, or a browser known by a random cookie. The same key marks
a viewer's clicks (for the repeat window) and their orders (for attribution)."""

import re
import secrets

VIEWER_COOKIE = "shanhuo_viewer"
VIEWER_COOKIE_AGE = 365 * 24 * 3600
_COOKIE_VALUE = re.compile(r"^[0-9a-f]{32}$")


def cookie_id(request) -> str | None:
    value = request.COOKIES.get(VIEWER_COOKIE, "")
    return value if _COOKIE_VALUE.match(value) else None


def viewer_keys(request) -> list[str]:
    """Every key this request's viewer is known by: the account's and the browser's."""
    keys = []
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        keys.append(f"u:{user.pk}")
    browser = cookie_id(request)
    if browser:
        keys.append(f"c:{browser}")
    return keys


def ensure_cookie(request) -> str:
    """The browser's id, minted (and remembered on the request for `remember`) when it has none."""
    browser = cookie_id(request) or getattr(request, "_new_viewer_cookie", None)
    if browser is None:
        browser = request._new_viewer_cookie = secrets.token_hex(16)
    return browser


def remember(request, response):
    """Set the cookie minted for this request, if one was."""
    browser = getattr(request, "_new_viewer_cookie", None)
    if browser:
        response.set_cookie(VIEWER_COOKIE, browser, max_age=VIEWER_COOKIE_AGE, httponly=True, samesite="Lax")
    return response


def click_viewer_key(request) -> str:
    """The key a click is counted under: the account when signed in, else the browser."""
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return f"u:{user.pk}"
    return f"c:{ensure_cookie(request)}"
