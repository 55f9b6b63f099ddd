from .campaigns import Campaign, CampaignDay, CampaignState, CampaignViewerDay, Sponsor, SponsorKind
from .clicks import Click, ClickOutcome, OrderAttribution, Spend
from .content import ContentImage, ContentItem, ContentKind, ContentStatus
from .feed_stats import ProductFeedStats
from .reader_choices import ReaderChoice
from .readers import ChosenProvince
from .shares import ShareLink, ShareVisit, ShareVisitOutcome

__all__ = [
    "Campaign",
    "CampaignDay",
    "CampaignState",
    "CampaignViewerDay",
    "ChosenProvince",
    "Click",
    "ClickOutcome",
    "ContentImage",
    "ContentItem",
    "ContentKind",
    "ContentStatus",
    "OrderAttribution",
    "ProductFeedStats",
    "ReaderChoice",
    "ShareLink",
    "ShareVisit",
    "ShareVisitOutcome",
    "Spend",
    "Sponsor",
    "SponsorKind",
]
