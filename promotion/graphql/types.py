"""GraphQL types of sponsors and campaigns. Seen only by the sponsor's staff and operators."""

import graphene
from graphene_django import DjangoObjectType

from core.graphql.connection import CountableConnection
from core.graphql.scalars import ExactDecimal
from farmers.graphql.types import FarmerType, ProvinceType, VillageType
from shop.graphql.types import CategoryType, ProductType

from ..models import Campaign, CampaignState, Sponsor, SponsorKind
from ..permissions import campaigns_visible_to, sponsors_visible_to
from ..selectors import with_campaign_relations
from ..stats import CampaignStats, stats_for

SponsorKindEnum = graphene.Enum.from_enum(SponsorKind, name="SponsorKind")
CampaignStateEnum = graphene.Enum.from_enum(CampaignState, name="CampaignState")


class SponsorType(DjangoObjectType):
    class Meta:
        model = Sponsor
        name = "Sponsor"
        interfaces = (graphene.relay.Node,)
        fields = ("id", "name", "created_at")

    kind = graphene.Field(SponsorKindEnum, required=True)

    @classmethod
    def get_node(cls, info, id):
        return sponsors_visible_to(info.context.user).filter(pk=id).first()

    @staticmethod
    def resolve_kind(root, info):
        return root.kind


class CampaignStatsType(graphene.ObjectType):
    impressions = graphene.Int(required=True)
    clicks = graphene.Int(required=True, description="Every click, billable or not.")
    billable_clicks = graphene.Int(required=True, resolver=lambda stats, info: stats.billed_clicks)
    spend = ExactDecimal(required=True, description="Billed spend (CNY), from the spend ledger.")
    orders = graphene.Int(
        required=True, description="Attributed paid orders, cancelled and fully refunded ones left out."
    )
    revenue = ExactDecimal(required=True, description="Goods of the attributed orders, refunded items left out (CNY).")
    farmer_income = ExactDecimal(
        required=True, description="Those goods less the platform's fee: what the farmers keep (CNY)."
    )

    class Meta:
        name = "CampaignStats"


class StatsBatch:
    """The stats of a page of campaigns, read with one `stats_for` call (a fixed number of queries)
    the first time any campaign of the page asks, and only if one does."""

    def __init__(self, campaign_ids):
        self.ids = list(campaign_ids)
        self.loaded: dict[int, CampaignStats] | None = None

    def get(self, campaign_id: int) -> CampaignStats:
        if self.loaded is None:
            self.loaded = stats_for(self.ids)
        return self.loaded.get(campaign_id) or stats_for([campaign_id])[campaign_id]

    @classmethod
    def attach(cls, campaigns) -> None:
        batch = cls([c.pk for c in campaigns])
        for campaign in campaigns:
            campaign._stats_batch = batch


class CampaignConnection(CountableConnection):
    class Meta:
        abstract = True

    @staticmethod
    def resolve_edges(root, info):
        StatsBatch.attach([edge.node for edge in root.edges])
        return root.edges


class CampaignType(DjangoObjectType):
    class Meta:
        model = Campaign
        name = "Campaign"
        interfaces = (graphene.relay.Node,)
        fields = ("id", "name", "sponsor", "starts_at", "ends_at", "created_at", "updated_at")
        connection_class = CampaignConnection

    state = graphene.Field(CampaignStateEnum, required=True)
    bid = ExactDecimal(required=True, description="Paid per billable click (CNY).")
    daily_cap = ExactDecimal(required=True, description="Billed spend never passes this in a day (Asia/Shanghai).")
    total_cap = ExactDecimal(required=True, description="Billed spend never passes this in all.")
    serving_rate = graphene.Float(
        required=True, description="The share of feed requests the campaign enters, set by pacing."
    )
    products = graphene.List(graphene.NonNull(ProductType), required=True, description="Products promoted.")
    farmer = graphene.Field(FarmerType, description="A farmer whose goods are promoted.")
    village = graphene.Field(VillageType, description="A village whose goods are promoted.")
    target_provinces = graphene.List(
        graphene.NonNull(ProvinceType), required=True, description="Shown only to readers there; empty: everywhere."
    )
    target_categories = graphene.List(
        graphene.NonNull(CategoryType),
        required=True,
        description="Shown only to readers interested in these; empty: any reader.",
    )
    frequency_cap = graphene.Int(description="At most this many impressions a day for one reader; null: no limit.")
    stats = graphene.Field(CampaignStatsType, required=True)

    @classmethod
    def get_node(cls, info, id):
        return with_campaign_relations(campaigns_visible_to(info.context.user)).filter(pk=id).first()

    @staticmethod
    def resolve_state(root, info):
        return root.state

    @staticmethod
    def resolve_products(root, info):
        return root.products.all()

    @staticmethod
    def resolve_target_provinces(root, info):
        return root.target_provinces.all()

    @staticmethod
    def resolve_target_categories(root, info):
        return root.target_categories.all()

    @staticmethod
    def resolve_stats(root, info):
        batch = getattr(root, "_stats_batch", None)
        return batch.get(root.pk) if batch else stats_for([root.pk])[root.pk]
