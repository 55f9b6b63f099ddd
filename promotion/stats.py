"""Per-campaign totals for the admin and the API: the sponsor report's totals
(`reports.totals_for`), so that a campaign shows the same figures wherever it is read."""

from .reports import Figures as CampaignStats
from .reports import totals_for as stats_for

__all__ = ["CampaignStats", "campaign_stats", "stats_for"]


def campaign_stats(campaign) -> CampaignStats:
    return stats_for([campaign.pk])[campaign.pk]
