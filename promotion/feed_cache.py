"""What the feed keeps in each process so that a page does no query of its own: the ranking pool
of every product it may show (organic.Pool), the published stories, and each card's rendered HTML
(per language). All of it belongs to one version of the feed's catalogue, a counter bumped after
any change a card or the ranking shows (goods, stock, prices, photos, places, sellers, stories: see
promotion.receivers; the quality figures' fold too) and read in the feed's one Redis call
(promotion.feed_trip); when it moves, or after settings.PROMOTION_FEED_CACHE_SECONDS in any
case, the process starts over.

Nothing here is about a reader: the pool and the cards are the same for everyone, and the parts of
a card that are not (the "why this" line, a promoted slot's link and label) are added per request,
outside the cached HTML (feed.html). Without Redis the version lives in Django's cache.
"""

import datetime
import logging
import threading
import time
from dataclasses import dataclass, field
from functools import cached_property

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.html import conditional_escape, escape, format_html
from django.utils.safestring import SafeString, mark_safe

from shop.selectors import with_card_relations

from .budget import RedisBudget, catalogue_version_key, get_budget, redis_client
from .organic import Pool

logger = logging.getLogger(__name__)

# At most this many cards a process keeps (several languages of every product on a large site).
MAX_CARDS = 50_000
VERSION_KEY = "feed:catalogue-version"
# The feed shows stories newest first; a reader never scrolls past this many.
MAX_STORIES = 500


@dataclass(frozen=True)
class Card:
    """A product card's parts that are the same for everyone: its link and two HTML pieces (the
    photo and name inside the link, then the price and origin), feed.html puts them together."""

    product_id: int
    url: str
    picture: SafeString
    facts: SafeString

    @cached_property
    def organic(self) -> SafeString:
        """An organic card up to its "why this" line: joined once, not on every page."""
        return format_html('<li class="card"><a href="{}?from=feed">{}</a>{}', self.url, self.picture, self.facts)


@dataclass
class _Kept:
    version: int | None
    built: float
    pool: Pool
    stories: list
    cards: dict = field(default_factory=dict)
    story_cards: dict = field(default_factory=dict)
    provinces: dict = field(default_factory=dict)


_kept: dict[str, _Kept] = {}
_lock = threading.Lock()


def catalogue_changed(**_kwargs) -> None:
    """After the change commits: a new version, which every process reads with its next page."""
    transaction.on_commit(bump_version)


def forget() -> None:
    """This process starts over (its next page builds the pool and renders its cards)."""
    _kept.clear()


def bump_version() -> None:
    forget()  # this process at once
    if settings.REDIS_URL and isinstance(get_budget(), RedisBudget):
        import redis

        try:
            redis_client().incr(catalogue_version_key())
        except redis.RedisError:
            logger.warning("could not bump the feed's catalogue version: caches expire with their age")
        return
    try:
        cache.incr(VERSION_KEY)
    except ValueError:
        cache.add(VERSION_KEY, 1, timeout=None)


def local_version() -> int:
    """The version where the feed's call does not read it (no Redis budget)."""
    return cache.get(VERSION_KEY, 0)


def kept(version: int | None, now: datetime.datetime) -> _Kept:
    """This process's pool, stories and cards for `version` (None: not known, Redis down or the
    call not made; whatever the process has will do), made now if the version moved or they are
    older than settings.PROMOTION_FEED_CACHE_SECONDS."""
    current = _kept.get("feed")
    if _usable(current, version):
        return current
    with _lock:
        current = _kept.get("feed")
        if not _usable(current, version):
            from .feed import feed_candidates, published_stories
            from .selectors import with_content_relations

            stories = list(with_content_relations(published_stories(), goods=False)[:MAX_STORIES])
            current = _Kept(version, time.monotonic(), Pool(feed_candidates(), now), stories)
            _kept["feed"] = current
    return current


def _usable(current: _Kept | None, version: int | None) -> bool:
    if current is None or time.monotonic() - current.built >= settings.PROMOTION_FEED_CACHE_SECONDS:
        return False
    return version is None or current.version == version


def cards(state: _Kept, product_ids) -> dict[int, Card]:
    """The cards of these products in the active language; the missing ones rendered from one
    query (products gone since are simply absent)."""
    language = translation.get_language()
    found = {pk: card for pk in product_ids if (card := state.cards.get((pk, language))) is not None}
    missing = [pk for pk in product_ids if pk not in found]
    if missing:
        from .feed import organic_products

        if len(state.cards) > MAX_CARDS:
            state.cards.clear()
        for product in with_card_relations(organic_products().filter(pk__in=missing)):
            card = Card(
                product.pk,
                reverse("shop:product", kwargs={"slug": product.slug}),
                mark_safe(render_to_string("shop/_product_card_picture.html", {"product": product})),  # noqa: S308 - rendered by our template
                mark_safe(render_to_string("shop/_product_card_facts.html", {"product": product})),  # noqa: S308 - rendered by our template
            )
            state.cards[(product.pk, language)] = found[product.pk] = card
    return found


def page_cards(entries) -> SafeString:
    """A page's cards: the cached pieces, with this page's reader's parts put around them (an
    organic card's link with ?from=feed, a card followed, for the reader's signals; its "why this"
    line; a promoted slot's /r/<token> link and 广告 label). Joined here rather than in a template
    loop: twenty cards a page, on every page."""
    out = []
    for entry in entries:
        if entry.is_story:
            out.append(entry.card)
        elif entry.promoted:
            label, link = conditional_escape(entry.ad_label), escape(reverse("promotion:click", args=[entry.token]))
            out.append(
                f'<li class="card card-promoted"><p class="card-badge">{label}</p>'
                f'<a href="{link}" rel="sponsored nofollow">{entry.item.picture}</a>{entry.item.facts}</li>'
            )
        else:
            note = f'<p class="card-note">{conditional_escape(entry.why)}</p>' if entry.why else ""
            out.append(f"{entry.item.organic}{note}</li>")
    return mark_safe("\n".join(out))  # noqa: S308 - each piece escaped here or rendered by our templates


def story_card(state: _Kept, story) -> SafeString:
    key = (story.pk, translation.get_language())
    html = state.story_cards.get(key)
    if html is None:
        html = mark_safe(render_to_string("promotion/_story_card.html", {"story": story}))  # noqa: S308 - our template
        state.story_cards[key] = html
    return html
