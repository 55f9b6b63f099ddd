from urllib.parse import quote

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse, HttpResponseBadRequest, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.cache import patch_cache_control, patch_vary_headers
from django.utils.html import escape
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST, require_safe

from core import page_shells, viewers
from shop.selectors import visible_products, with_catalog_relations

from . import affinities, feed_cache, personalisation, posters
from .clicks import is_bot, record_click
from .feed import build_page
from .forms import ProvinceForm
from .models import ClickOutcome, ShareLink
from .permissions import content_visible_to
from .selectors import with_content_relations
from .shares import record_visit, share_link_for

FEED_PAGE_SIZE = 20


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
    click = result.click
    taught = click.outcome not in (ClickOutcome.FORGED, ClickOutcome.BOT, ClickOutcome.MISMATCH)
    if click.product_id and taught and not is_bot(click.user_agent):
        # A promoted card followed teaches the reader's profile as an organic one does.
        affinities.record([click.viewer_key], "click", click.product_id, in_database=True)
    response = HttpResponseRedirect(result.redirect_to)
    response["X-Robots-Tag"] = "noindex, nofollow"
    return viewers.remember(request, response)


@never_cache  # each promoted link carries a single-use token: no shared cache may hand it to another shopper
@require_GET  # not HEAD: building a page counts the promoted slots' impressions
def feed(request):
    """Stories and goods from the villages, with promoted slots. A cursor that does not parse (an
    old or mangled link) shows the top of the feed: a shopper following a link wants a feed, not
    an error page. A first visit gets its viewer cookie here, so that frequency caps count the
    reader from their first page (a reader without a key is shown no capped campaign). Ranked for
    the reader unless they turned personalisation off (`personalisation.ask`). Cards come from the
    process's cache (promotion.feed_cache); the reader's parts (links, labels, why) are added here."""
    ask = personalisation.ask(request)
    try:
        page = build_page(FEED_PAGE_SIZE, request.GET.get("after") or None, ask=ask, as_cards=True)
    except ValidationError:
        page = build_page(FEED_PAGE_SIZE, ask=ask, as_cards=True)
    personalisation.explain(page.entries, personal=page.profile.personal)
    context, shell = feed_page_parts(page)
    response = page_shells.render(request, "promotion/feed.html", context, **shell)
    response["Server-Timing"] = f"promo;dur={page.selection_ms:.2f}, promo-cpu;dur={page.selection_cpu_ms:.2f}"
    return viewers.remember(request, response)


def feed_page_parts(page) -> tuple[dict, dict]:
    """feed.html's context and its shell's key and holes (core.page_shells): the reader's cards and
    next-page cursor are holes; what else differs between readers (the switch, the province form,
    whether there is a next page) is in the key."""
    profile = page.profile
    context = {"page": page, "personal": profile.personal, "province_id": profile.province_id}
    return context, {
        "key": (profile.personal, profile.province_id, bool(page.entries), page.has_next),
        "holes": {
            "cards": feed_cache.page_cards(page.entries),
            "after": escape(quote(page.end_cursor or "", safe="/")),
        },
    }


@never_cache
@require_http_methods(["GET", "POST"])
def province(request):
    """/feed/province/: the reader says which province they are in (kept in their profile only),
    then goes back to the page they came from."""
    keys = viewers.viewer_keys(request)
    form = ProvinceForm(request.POST or None, initial={"province": affinities.load(keys).province_id})
    if request.method == "POST":
        if form.is_valid():
            chosen = form.cleaned_data["province"]
            affinities.set_province(keys or [f"c:{viewers.ensure_cookie(request)}"], chosen.pk if chosen else None)
            messages.success(request, _("Saved."))
            return viewers.remember(request, HttpResponseRedirect(_back(request)))
        status = 400
    else:
        status = 200
    context = {"form": form, "next": request.POST.get("next") or request.GET.get("next", "")}
    return render(request, "promotion/province.html", context, status=status)


def _back(request) -> str:
    back = request.POST.get("next", "")
    if back and url_has_allowed_host_and_scheme(back, {request.get_host()}, request.is_secure()):
        return back
    return reverse("promotion:feed")


@never_cache
@require_POST  # CSRF-checked by the middleware, as every POST
def personalisation_switch(request):
    """The feed's switch for personalised recommendation: a plain form (no JavaScript needed),
    then back to the top of the feed, now in the order the reader chose."""
    value = request.POST.get("personal")
    if value not in ("on", "off"):
        return HttpResponseBadRequest(_("Choose on or off."), content_type="text/plain; charset=utf-8")
    personal = value == "on"
    personalisation.choose(request, personal)
    return personalisation.remember(redirect("promotion:feed"), personal)


@require_safe
def story(request, slug):
    """A story with its photos and the goods it features. Drafts are shown only to those who may
    see them (promotion.permissions.content_visible_to), so that they can check the page first."""
    item = get_object_or_404(with_content_relations(content_visible_to(request.user)), slug=slug)
    published = item.is_published
    response = render(request, "promotion/story.html", {"story": item, "published": published})
    if not published:
        patch_cache_control(response, private=True, no_store=True)
    return response


@never_cache
@require_GET
def share(request, token):
    """/s/<token>: a link a shopper shared. Recorded (never billed), then on to the goods."""
    link = get_object_or_404(ShareLink.objects.select_related("product"), token=token)
    result = record_visit(
        link,
        viewer_key=viewers.click_viewer_key(request),
        viewer_keys=viewers.viewer_keys(request),
        user=request.user,
        user_agent=request.headers.get("User-Agent", ""),
    )
    response = HttpResponseRedirect(result.redirect_to)
    response["X-Robots-Tag"] = "noindex, nofollow"
    return viewers.remember(request, response)


@require_GET
def poster(request, slug):
    """/p/<slug>/poster.png: the share poster of goods on sale, with a QR code of the viewer's own
    share link (made on first asking). Without a CJK font, a page saying how to install one."""
    product = get_object_or_404(with_catalog_relations(visible_products()), slug=slug)
    if posters.find_font() is None:
        response = render(request, "promotion/poster_unavailable.html", status=503)
        response["Retry-After"] = "3600"
        return response
    if not request.user.is_authenticated and viewers.cookie_id(request) is None:
        # A first visit gets its viewer cookie and comes straight back: a client that keeps no
        # cookies (a crawler, a script in a loop) never makes share links or posters.
        viewers.ensure_cookie(request)
        response = HttpResponseRedirect(request.get_full_path())
        patch_cache_control(response, private=True, no_store=True)
        return viewers.remember(request, response)
    link = share_link_for(product, sharer_key=viewers.click_viewer_key(request), user=request.user)
    share_url = request.build_absolute_uri(reverse("promotion:share", kwargs={"token": link.token}))
    response = HttpResponse(posters.poster_png(product, link, share_url), content_type="image/png")
    # The QR code is this viewer's own link: no shared cache may hand it to someone else.
    patch_cache_control(response, private=True, max_age=3600)
    patch_vary_headers(response, ["Cookie"])
    response["X-Robots-Tag"] = "noindex"
    return viewers.remember(request, response)
