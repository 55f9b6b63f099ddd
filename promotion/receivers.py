from django.contrib.auth.signals import user_logged_in
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.dispatch import receiver

from core import viewers
from core.image_models import ImageStatus
from farmers.models import Cooperative, County, Farmer, Province, Village
from shop.models import Category, Product, ProductImage, Variant
from shop.signals import cart_added, order_placed, product_viewed, products_changed

from . import affinities, feed_trip, personalisation
from .attribution import attribute_order
from .clicks import is_bot
from .feed_cache import catalogue_changed
from .models import Campaign, ContentImage, ContentItem
from .serving import campaigns_changed


@receiver(order_placed)
def attribute_placed_order(sender, order, viewer_keys=(), **kwargs):
    attribute_order(order, viewer_keys)


@receiver(order_placed, dispatch_uid="promotion.affinities.order")
def learn_from_order(sender, order, viewer_keys=(), **kwargs):
    """An account that turned personalisation off teaches the goods' counters, not a profile."""
    personal = not (order.user_id and personalisation.account_choice(order.user) is False)
    affinities.record_order(order, viewer_keys, personal=personal)


def _reader_keys(request) -> list[str] | None:
    """Whom to credit a request's event to: None for a bot (it records nothing at all); no one (the
    goods' counters only) for a reader who turned personalisation off. A first visit gets a viewer
    cookie (the page sets it): its events count from the next request on, so a client that keeps no
    cookies never makes a profile."""
    if is_bot(request.headers.get("User-Agent", "")):
        return None
    if not personalisation.enabled(request):
        return []
    keys = viewers.viewer_keys(request)
    if not keys:
        viewers.ensure_cookie(request)
    return keys


@receiver(product_viewed, dispatch_uid="promotion.affinities.view")
def learn_from_view(sender, product, request, **kwargs):
    """A product page opened; from a feed card (?from=feed) it is a click."""
    keys = _reader_keys(request)
    if keys is not None:
        event = "click" if request.GET.get("from") == "feed" else "view"
        affinities.record(keys, event, product.pk, product=product)


@receiver(cart_added, dispatch_uid="promotion.affinities.cart")
def learn_from_cart(sender, product_ids, request, **kwargs):
    keys = _reader_keys(request)
    if keys is not None:
        affinities.record_many(keys, "cart", product_ids, in_database=True)


@receiver(personalisation.personalisation_turned_off, dispatch_uid="promotion.affinities.forget")
def forget_reader(sender, viewer_keys, **kwargs):
    affinities.forget(viewer_keys)
    feed_trip.forget_copies(viewer_keys)


@receiver(user_logged_in, dispatch_uid="promotion.affinities.login")
def merge_reader_profiles(sender, request, user, **kwargs):
    browser = viewers.cookie_id(request) if request is not None else None
    if browser:
        affinities.merge_on_login([f"u:{user.pk}", f"c:{browser}"])


# Serving indexes are rebuilt after any change to a campaign (see serving.ServingIndex).
post_save.connect(campaigns_changed, sender=Campaign, dispatch_uid="promotion-index-save")
post_delete.connect(campaigns_changed, sender=Campaign, dispatch_uid="promotion-index-delete")
m2m_changed.connect(campaigns_changed, sender=Campaign.products.through, dispatch_uid="promotion-index-products")
m2m_changed.connect(
    campaigns_changed, sender=Campaign.target_provinces.through, dispatch_uid="promotion-index-target-provinces"
)
m2m_changed.connect(
    campaigns_changed, sender=Campaign.target_categories.through, dispatch_uid="promotion-index-target-categories"
)


# The feed's cached pool and cards are remade after any change a card or the ranking shows
# (promotion.feed_cache): goods and what their cards name, stories, and the quality fold's figures.
_FEED_SHOWS = (Product, Variant, Category, Province, County, Village, Farmer, Cooperative, ContentItem)
for _model in _FEED_SHOWS:
    post_save.connect(catalogue_changed, sender=_model, dispatch_uid=f"promotion-feed-save-{_model.__name__}")
    post_delete.connect(catalogue_changed, sender=_model, dispatch_uid=f"promotion-feed-delete-{_model.__name__}")
products_changed.connect(catalogue_changed, dispatch_uid="promotion-feed-products-changed")


def photo_changed(sender, instance, **kwargs):
    """A photo shows on cards once processed: an upload still waiting changes nothing they show."""
    if instance.status == ImageStatus.READY or kwargs.get("signal") is post_delete:
        catalogue_changed()


for _model in (ProductImage, ContentImage):
    post_save.connect(photo_changed, sender=_model, dispatch_uid=f"promotion-feed-save-{_model.__name__}")
    post_delete.connect(photo_changed, sender=_model, dispatch_uid=f"promotion-feed-delete-{_model.__name__}")
