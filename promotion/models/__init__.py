from .campaigns import Campaign, CampaignDay, CampaignState, Sponsor, SponsorKind
from .clicks import Click, ClickOutcome, OrderAttribution, Spend
from .content import ContentImage, ContentItem, ContentKind, ContentStatus

__all__ = [
    "Campaign",
    "CampaignDay",
    "CampaignState",
    "Click",
    "ClickOutcome",
    "ContentImage",
    "ContentItem",
    "ContentKind",
    "ContentStatus",
    "OrderAttribution",
    "Spend",
    "Sponsor",
    "SponsorKind",
]
