"""Pages of the site as a whole, not of one app."""

from django.shortcuts import render
from django.utils.http import url_has_allowed_host_and_scheme


def csrf_failure(request, reason=""):
    """A form sent without a valid CSRF token: in practice a page left open so long that its token
    or the session behind it expired (a farmer's cheap phone keeps tabs for days), or a browser
    that refuses cookies. Django's own page explains CSRF to developers; this one tells the person,
    in the site's layout and language, to go back, refresh and send again (settings.CSRF_FAILURE_VIEW).
    `reason` (Django's technical cause) is not shown."""
    referer = request.headers.get("Referer", "")
    back = (
        referer
        if referer and url_has_allowed_host_and_scheme(referer, {request.get_host()}, request.is_secure())
        else None
    )
    return render(request, "csrf_failure.html", {"back": back}, status=403)
