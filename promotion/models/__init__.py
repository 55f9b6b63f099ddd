from .campaigns import Campaign, CampaignDay, CampaignState, CampaignViewerDay, Sponsor, SponsorKind
from .clicks import Click, ClickOutcome, OrderAttribution, Spend
from .content import ContentImage, ContentItem, ContentKind, ContentStatus
from .readers import ChosenProvince
from .shares import ShareLink, ShareVisit, ShareVisitOutcome

__all__ = [
    "Campaign",
    "CampaignDay",
    "CampaignState",
    "ChosenProvince",
    "CampaignViewerDay",
    "Click",
    "ClickOutcome",
    "ContentImage",
    "ContentItem",
    "ContentKind",
    "ContentStatus",
    "OrderAttribution",
    "ShareLink",
    "ShareVisit",
    "ShareVisitOutcome",
    "Spend",
    "Sponsor",
    "SponsorKind",
]
