"""The feed's types: stories and goods, with promoted slots labelled and linked through /r/<token>.

The page comes from `promotion.feed.build_page`, which loads everything a card shows in a fixed
number of queries; these types only shape it."""

import graphene
from django.urls import NoReverseMatch, reverse

from shop.graphql.types import ProductType

from .. import feed
from ..models import ContentItem
from .content_types import ContentItemType


class FeedItem(graphene.Union):
    class Meta:
        types = (ContentItemType, ProductType)
        description = "A story or photo essay, or a product."

    @classmethod
    def resolve_type(cls, instance, info):
        return ContentItemType if isinstance(instance, ContentItem) else ProductType


class FeedEdge(graphene.ObjectType):
    cursor = graphene.String(required=True, description="Pass as `after` to continue after this entry.")
    node = graphene.Field(FeedItem, required=True)
    promoted = graphene.Boolean(
        required=True, description="A paid placement: show it with `adLabel`, set apart from the other entries."
    )
    sponsor_name = graphene.String(description="Who paid for a promoted entry; null for the others.")
    ad_label = graphene.String(
        description="The label a promoted entry must show where it is seen, in the request's language: "
        "广告 · <sponsor> (China's Internet Advertising Measures require paid placements to say 广告); "
        "null for the others."
    )
    why = graphene.String(
        description="Why this entry is shown to this reader, in the request's language (因为您看过 苹果): "
        "show it on the card. Null for promoted entries (their `adLabel` says why), for stories, and when "
        "the feed is not personalised."
    )
    click_url = graphene.String(
        required=True,
        description="Where the entry links to: for a promoted entry its single-use /r/ link (valid two hours), "
        "which records the click; otherwise the product's or the story's page.",
    )

    @staticmethod
    def resolve_cursor(root, info):
        return root.cursor

    @staticmethod
    def resolve_node(root, info):
        return root.item

    @staticmethod
    def resolve_promoted(root, info):
        return root.promoted

    @staticmethod
    def resolve_sponsor_name(root, info):
        return root.sponsor_name

    @staticmethod
    def resolve_ad_label(root, info):
        return root.ad_label

    @staticmethod
    def resolve_why(root, info):
        return root.why

    @staticmethod
    def resolve_click_url(root, info):
        return info.context.build_absolute_uri(entry_url(root))


class FeedConnection(graphene.ObjectType):
    personalised = graphene.Boolean(
        required=True,
        description="Whether this page is personalised: show the reader a switch that says so "
        "(feedPersonalisationSet to change it).",
    )
    edges = graphene.List(graphene.NonNull(FeedEdge), required=True)
    page_info = graphene.Field(graphene.relay.PageInfo, required=True)


def entry_url(entry: feed.FeedEntry) -> str:
    if entry.promoted:
        return reverse("promotion:click", args=[entry.token])
    if entry.is_story:
        try:
            return reverse("promotion:story", kwargs={"slug": entry.item.slug})
        except NoReverseMatch:  # the story pages are not installed: the feed page lists them
            return reverse("promotion:feed")
    return reverse("shop:product", args=[entry.item.slug])
