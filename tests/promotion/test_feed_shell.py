"""The feed page from its kept shell (core.page_shells): byte for byte the page the template engine
renders for the same reader, whichever reader's page made the shell, with nothing of any reader in
it; signed-in people and pages with a message get the full render."""

import re

import pytest
from django.contrib.auth.models import AnonymousUser
from django.contrib.messages import get_messages
from django.contrib.messages.storage.fallback import FallbackStorage
from django.contrib.sessions.backends.signed_cookies import SessionStore
from django.core.exceptions import ValidationError
from django.test import RequestFactory
from django.utils import translation

from core import page_shells
from promotion import affinities, personalisation
from promotion.feed import build_page
from promotion.views import FEED_PAGE_SIZE, feed_page_parts
from tests import factories as f
from tests.promotion.test_feed_speed import COOKIE, OTHER, as_reader, likes, shelves, warm  # noqa: F401 - fixtures
from tests.promotion.test_targeting import province

pytestmark = pytest.mark.django_db

TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="[A-Za-z0-9]+"')


def csrf_free(html: str) -> str:
    """A CSRF token is masked afresh each time it is printed: the comparisons set it aside."""
    return TOKEN.sub('name="csrfmiddlewaretoken" value="…"', html)


def feed_request(path: str, cookie: str | None, personal: bool = True):
    request = RequestFactory().get(path)
    if cookie:
        request.COOKIES["shanhuo_viewer"] = cookie
    request.user = AnonymousUser()
    request.session = SessionStore()
    request._messages = FallbackStorage(request)
    request.resolver_match = type("Match", (), {"app_name": "promotion", "view_name": "promotion:feed"})()
    ask = personalisation.ask(request, None if personal else False, new_cookie=False)
    try:
        page = build_page(FEED_PAGE_SIZE, request.GET.get("after"), ask=ask, as_cards=True)
    except ValidationError:  # a mangled cursor: the top of the feed, as the view does
        page = build_page(FEED_PAGE_SIZE, ask=ask, as_cards=True)
    personalisation.explain(page.entries, personal=page.profile.personal)
    return request, page


def both_ways(request, page) -> tuple[str, str]:
    """The page from the shell (made now if missing) and rendered in full, for the same reader."""
    context, shell = feed_page_parts(page)
    kept = page_shells.render(request, "promotion/feed.html", context, **shell).content.decode()
    full = page_shells.render_page(request, "promotion/feed.html", {**context, **shell["holes"]}).content.decode()
    return kept, full


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_kept_page_is_the_rendered_page_whoever_made_the_shell(on_redis, warm, shelves, language):  # noqa: F811
    likes(COOKIE, shelves["goods"]["tea"])
    likes(OTHER, shelves["goods"]["honey"])
    affinities.set_province([f"c:{COOKIE}"], province().pk)
    # A path a shell must not keep: quotes and markup in the query are escaped per request.
    odd = "/feed/?after=x'\"><script>&from=<b>"
    with translation.override(language):
        for order in ([COOKIE, OTHER], [OTHER, COOKIE]):
            page_shells.forget()
            for cookie in order:
                for path in ("/feed/", odd):
                    request, page = feed_request(path, cookie)
                    kept, full = both_ways(request, page)
                    assert csrf_free(kept) == csrf_free(full)
                    assert TOKEN.search(kept)  # the switch's form carries this request's token
                    if path == odd:  # the language form's `next`: this request's path, escaped
                        assert "x&#x27;%22%3E%3Cscript%3E&amp;from=%3Cb%3E" in kept
            # The second page (a cursor in the pager's link) and the switch turned off.
            cursor = re.search(r'href="\?after=([^"]+)"', kept).group(1)
            for personal in (True, False):
                request, page = feed_request(f"/feed/?after={cursor}", order[0], personal=personal)
                kept, full = both_ways(request, page)
                assert csrf_free(kept) == csrf_free(full)


def test_a_shell_holds_nothing_of_any_reader(on_redis, client, warm, shelves):  # noqa: F811
    likes(COOKIE, shelves["goods"]["tea"])
    affinities.set_province([f"c:{COOKIE}"], province().pk)
    page_shells.forget()
    seen = []
    for cookie in (COOKIE, OTHER):
        client.cookies.clear()
        response = as_reader(client, cookie).get("/feed/?after=junk")
        seen.append(response.content.decode())
        assert response.status_code == 200
    kept = "".join("".join(pieces[::2]) for pieces in page_shells._kept.values())  # the HTML, not the holes
    assert len(page_shells._kept) == 2  # COOKIE's province form, OTHER's none
    whys = {e.why for e in response.context_data["page"].entries if e.why} | {"card-note", "card-badge"}
    for secret in (COOKIE, OTHER, "/r/", "from=feed", "junk", 'csrfmiddlewaretoken" value="a', *whys):
        assert secret not in kept
    assert not TOKEN.search(kept)
    assert all("from=feed" in page and "junk" in page for page in seen)  # the holes were filled


def test_signed_in_people_and_messages_get_the_full_render(on_redis, client, warm, shelves):  # noqa: F811
    page_shells.forget()
    user = f.user()
    client.force_login(user)
    response = client.get("/feed/")
    assert response.status_code == 200 and not page_shells._kept
    assert "promotion/feed.html" in [t.name for t in response.templates]
    client.logout()
    request, _page = feed_request("/feed/", COOKIE)
    assert page_shells.usable_for(request)
    from django.contrib import messages

    messages.info(request, "你好")
    assert not page_shells.usable_for(request)
    assert len(get_messages(request)) == 1  # asking did not use the message up
