"""Shared links: a shopper's own link to a product (on a poster's QR code, or forwarded), and the
visits it brings. Nothing is billed; a visit only decides whether an order may be credited to the
share (promotion.attribution), so every visit is recorded with the reason it may not be."""

import secrets
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from shop.models import Product
from shop.selectors import visible_products

from .clicks import is_bot
from .models import ShareLink, ShareVisit, ShareVisitOutcome

# 16 URL-safe characters, 96 random bits: a link cannot be guessed from another.
TOKEN_BYTES = 12


def share_link_for(product: Product, *, sharer_key: str, user=None) -> ShareLink:
    """The sharer's link to the product: made the first time, the same one every time after (also
    when two requests make it at once: the (product, sharer) pair is unique)."""
    user = user if user is not None and user.is_authenticated else None
    sharer_key = sharer_key[:64]
    link = ShareLink.objects.filter(product=product, sharer_key=sharer_key).first()
    if link is not None:
        return link
    try:
        with transaction.atomic():
            return ShareLink.objects.create(
                product=product, sharer=user, sharer_key=sharer_key, token=secrets.token_urlsafe(TOKEN_BYTES)
            )
    except IntegrityError:
        return ShareLink.objects.get(product=product, sharer_key=sharer_key)


@dataclass(frozen=True)
class VisitResult:
    visit: ShareVisit
    redirect_to: str


def record_visit(
    link: ShareLink, *, viewer_key: str, viewer_keys=(), user=None, user_agent: str = "", now=None
) -> VisitResult:
    """Record a visit through `link` and say where to send the visitor: the product's page, or the
    shop's home when the product is no longer on sale (a friend's old link still lands somewhere).

    `viewer_key` is the key the visit is counted under (core.viewers.click_viewer_key);
    `viewer_keys` every key the visitor is known by, so that a sharer who made the link before
    signing in is still recognised on their own link."""
    now = now or timezone.now()
    user = user if user is not None and user.is_authenticated else None
    visible = link.product_id is not None and visible_products().filter(pk=link.product_id).exists()
    visit = ShareVisit.objects.create(
        link=link,
        viewer_key=viewer_key[:64],
        user=user,
        user_agent=(user_agent or "")[:300],
        outcome=_judge(link, {viewer_key, *viewer_keys}, user, user_agent, visible),
        created_at=now,
    )
    if not visible:
        return VisitResult(visit, reverse("shop:home"))
    return VisitResult(visit, reverse("shop:product", kwargs={"slug": link.product.slug}))


def _judge(link: ShareLink, keys: set[str], user, user_agent: str, visible: bool) -> str:
    if is_bot(user_agent):
        return ShareVisitOutcome.BOT
    if link.sharer_key in keys or (user is not None and user.pk == link.sharer_id):
        return ShareVisitOutcome.OWN  # sharing with oneself earns no credit
    if not visible:
        return ShareVisitOutcome.HIDDEN
    return ShareVisitOutcome.CREDITED
