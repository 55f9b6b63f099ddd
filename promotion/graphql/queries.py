"""Campaign and sponsor queries: each viewer sees only the sponsors they work for (operators: all)."""

import graphene

from core.graphql.connection import ConnectionField
from core.graphql.fields import decode_node_id, node_or_error

from ..permissions import campaigns_visible_to, sponsors_visible_to
from ..selectors import with_campaign_relations
from .feed_queries import FeedQueries
from .types import CampaignStateEnum, CampaignType, SponsorType


class CampaignQueries(graphene.ObjectType):
    campaigns = ConnectionField(
        CampaignType,
        sponsor=graphene.ID(description="Only this sponsor's campaigns."),
        state=CampaignStateEnum(description="Only campaigns in this state."),
        description="Campaigns of the sponsors you work for (all, for operators); newest first.",
    )
    campaign = graphene.Field(CampaignType, id=graphene.ID(required=True), description="One campaign you may see.")
    sponsors = graphene.List(
        graphene.NonNull(SponsorType), required=True, description="The sponsors you work for (all, for operators)."
    )

    @staticmethod
    def resolve_campaigns(root, info, sponsor=None, state=None, **_page):
        campaigns = campaigns_visible_to(info.context.user)
        if sponsor is not None:
            campaigns = campaigns.filter(sponsor_id=decode_node_id(sponsor, SponsorType, "sponsor"))
        if state is not None:
            campaigns = campaigns.filter(state=getattr(state, "value", state))
        return with_campaign_relations(campaigns.order_by("-created_at", "-id"))

    @staticmethod
    def resolve_campaign(root, info, id):
        return node_or_error(info, id, CampaignType, "id")

    @staticmethod
    def resolve_sponsors(root, info):
        return sponsors_visible_to(info.context.user).order_by("name")


class PromotionQueries(CampaignQueries, FeedQueries, graphene.ObjectType):
    pass
