"""How many products shoppers can see, kept between the changes that show or hide one.

`products { totalCount }` over the whole catalogue counts every visible product: a scan of the
published ones, the one cost of a page that grows with the catalogue (~50 ms at 100,000 products).
The count is kept in Django's cache beside a version of the visible catalogue: a random token
replaced with every change that can show or hide a product (shop.receivers: a product, a variant
(its price makes `min_price`) or a seller (verification) saved or deleted, and the bulk updates
announced by `products_changed`), at once and again after the commit. A kept count is used only
under the current token, and the token is read before counting, so a count made while a change
commits is stored under the token that change replaces. A token is never reused, so a token lost
from the cache cannot match an old count.

Only with a cache every process shares (Redis): with a per-process cache another process's change
would go unseen, so the count is made every time. Without the cache, or when it fails, the count
comes from the database, as before.
"""

import logging
import uuid

from django.conf import settings
from django.core.cache import cache
from django.db import transaction

logger = logging.getLogger(__name__)

VERSION_KEY = "shop:visible-catalogue:version"
COUNT_KEY = "shop:visible-catalogue:count"
# Both keys expire in a day, harmlessly: a lost token is replaced by a new one (so no kept count
# matches it), a lost count is counted again. No key outlives a test run on a shared Redis.
KEPT_SECONDS = 24 * 3600


def shared_cache() -> bool:
    return bool(settings.REDIS_URL)


def visible_count(count) -> int:
    """`count()` (the visible catalogue's count from the database), or the one kept for the
    current version of the visible catalogue."""
    if not shared_cache():
        return count()
    try:
        kept = cache.get_many([VERSION_KEY, COUNT_KEY])
        version = kept.get(VERSION_KEY)
        if version is None:
            version = uuid.uuid4().hex
            if not cache.add(VERSION_KEY, version, timeout=KEPT_SECONDS):
                return count()  # another process just made one: count this time
        stored = kept.get(COUNT_KEY)
        if stored is not None and stored[0] == version:
            return stored[1]
    except Exception:  # the database always has the count
        logger.warning("the visible catalogue's count is not cached: the cache failed", exc_info=True)
        return count()
    number = count()
    try:
        cache.set(COUNT_KEY, (version, number), timeout=KEPT_SECONDS)
    except Exception:  # as above
        logger.warning("could not keep the visible catalogue's count", exc_info=True)
    return number


def visibility_changed(**_kwargs) -> None:
    """A product may have appeared or gone: a new version now, and again once the change commits
    (a count made in between, of the data before the commit, is left under the first)."""
    new_version()
    transaction.on_commit(new_version)


def new_version() -> None:
    if not shared_cache():
        return
    try:
        cache.set(VERSION_KEY, uuid.uuid4().hex, timeout=KEPT_SECONDS)
    except Exception:  # a kept count must not outlive a change it missed
        logger.error("could not replace the visible catalogue's version: dropping its count", exc_info=True)
        try:
            cache.delete(COUNT_KEY)
        except Exception:
            logger.error("could not drop the visible catalogue's count", exc_info=True)
