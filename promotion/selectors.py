"""Reads of promotion that more than one caller needs: the campaigns running at a moment, and
what a campaign or a story shows, loaded in a fixed number of queries whatever the list's length."""

import datetime

from django.db.models import Prefetch, Q

from core.image_models import ImageStatus
from shop.models import Product
from shop.selectors import visible_products, with_catalog_relations

from .models import Campaign, CampaignState, ContentImage


def running(now: datetime.datetime):
    """Campaigns that may be served or billed at `now`: active and inside their schedule."""
    return Campaign.objects.filter(state=CampaignState.ACTIVE, starts_at__lte=now).filter(
        Q(ends_at__isnull=True) | Q(ends_at__gt=now)
    )


def with_campaign_relations(queryset):
    """What a campaign shows, in a fixed number of queries for a list."""
    return queryset.select_related(
        "sponsor", "farmer__cooperative", "farmer__village__county__province", "village__county__province"
    ).prefetch_related(
        Prefetch("products", queryset=with_catalog_relations(Product.objects.order_by("pk"))),
        "target_provinces",
        "target_categories",
    )


def with_content_relations(queryset, goods: bool = True):
    """Everything a story card or page shows, in a fixed number of queries whatever the page size:
    processed photos (as `ready_images`) and, unless `goods` is False (the feed's cards do not show
    them), the featured goods shoppers can buy (`visible_products`)."""
    photos = Prefetch(
        "images",
        queryset=ContentImage.objects.filter(status=ImageStatus.READY).order_by("position", "id"),
        to_attr="ready_images",
    )
    queryset = queryset.select_related("village__county__province", "farmer__village__county__province", "ngo")
    if not goods:
        return queryset.prefetch_related(photos)
    return queryset.prefetch_related(
        photos,
        Prefetch(
            "products",
            queryset=with_catalog_relations(visible_products().order_by("-created_at", "-id")),
            to_attr="visible_products",
        ),
    )
