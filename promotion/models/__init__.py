from .campaigns import Campaign, CampaignDay, CampaignState, Sponsor, SponsorKind
from .clicks import Click, ClickOutcome, OrderAttribution, Spend
from .content import ContentImage, ContentItem, ContentKind, ContentStatus
from .reader_choices import ReaderChoice
from .shares import ShareLink, ShareVisit, ShareVisitOutcome

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
    "ReaderChoice",
    "ShareLink",
    "ShareVisit",
    "ShareVisitOutcome",
    "Spend",
    "Sponsor",
    "SponsorKind",
]
