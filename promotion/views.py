from django.http import HttpResponseRedirect
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from core import viewers

from .clicks import record_click


@never_cache
@require_GET
def click(request, token):
    """/r/<token>: always a redirect, billed or not (the shopper came for the goods, not the bill)."""
    result = record_click(
        token,
        viewer_key=viewers.click_viewer_key(request),
        user=request.user,
        user_agent=request.headers.get("User-Agent", ""),
    )
    response = HttpResponseRedirect(result.redirect_to)
    response["X-Robots-Tag"] = "noindex, nofollow"
    return viewers.remember(request, response)


def feed(request):
    """The feed page (the template lives in promotion/templates/promotion/feed.html)."""
    from django.core.exceptions import ValidationError
    from django.shortcuts import render

    from .feed import build_page

    try:
        page = build_page(20, request.GET.get("after") or None)
    except ValidationError:
        page = build_page(20)
    response = render(request, "promotion/feed.html", {"page": page})
    response["Server-Timing"] = f"promo;dur={page.selection_ms:.2f}"
    return viewers.remember(request, response)
