"""Who may see or change what in promotion: sponsors and their campaigns, stories and photo essays.

Campaigns are seen and changed only by the sponsor's own staff and operators. Stories are written
by staff of the NGOs covering the village (operators: any village); published ones are for
everyone, drafts for their author and those who may edit or preview them."""

from django.db.models import Q

from core.permissions import authenticated
from core.permissions import staff as is_operator
from farmers.permissions import covers_village, ngos_of

from .models import Campaign, ContentItem, ContentStatus, Sponsor

# --- Sponsors and campaigns -------------------------------------------------------------------


def can_manage_sponsor(user, sponsor: Sponsor) -> bool:
    if not authenticated(user):
        return False
    return user.is_staff or Sponsor.staff.through.objects.filter(sponsor_id=sponsor.pk, user_id=user.pk).exists()


def is_sponsor_staff(user) -> bool:
    """Staff of at least one sponsor: they have sponsor pages to start at."""
    return authenticated(user) and Sponsor.staff.through.objects.filter(user_id=user.pk).exists()


def can_manage_campaign(user, campaign: Campaign) -> bool:
    return can_manage_sponsor(user, Sponsor(pk=campaign.sponsor_id))


def sponsors_visible_to(user):
    if is_operator(user):
        return Sponsor.objects.all()
    if authenticated(user):
        return Sponsor.objects.filter(staff=user)
    return Sponsor.objects.none()


def campaigns_visible_to(user):
    """A subquery rather than a join on staff, so a campaign is never listed twice."""
    if is_operator(user):
        return Campaign.objects.all()
    if authenticated(user):
        return Campaign.objects.filter(sponsor__in=Sponsor.objects.filter(staff=user).values("pk"))
    return Campaign.objects.none()


# --- Stories and photo essays -----------------------------------------------------------------


def can_publish_for(user, village) -> bool:
    """Operators for any village; NGO staff for the villages their NGO covers; nobody else."""
    return covers_village(user, village)


def can_manage_content(user, item: ContentItem) -> bool:
    """Editing follows the village, not authorship: a colleague can fix a story, and an officer who
    left the NGO can no longer change what is published in its name."""
    return can_publish_for(user, item.village)


def content_visible_to(user):
    """Published items for everyone; drafts too for their author, operators, and staff of the
    item's NGO or of an NGO covering its village (the same people the story page lets preview)."""
    published = Q(status=ContentStatus.PUBLISHED, published_at__isnull=False)
    if not authenticated(user):
        return ContentItem.objects.filter(published)
    if user.is_staff:
        return ContentItem.objects.all()
    ngos = ngos_of(user)
    mine = Q(author=user) | Q(ngo__in=ngos.values("pk")) | Q(village__in=ngos.values("villages"))
    return ContentItem.objects.filter(published | mine)


def content_managed_by(user):
    """The items `user` may change (see can_manage_content), in one query."""
    if not authenticated(user):
        return ContentItem.objects.none()
    if user.is_staff:
        return ContentItem.objects.all()
    return ContentItem.objects.filter(village__in=ngos_of(user).values("villages"))


def farmer_shown_on_stories(viewer, farmer) -> bool:
    """The farmer a story is about, for a `farmers.permissions.Viewer`: a verified farmer's public
    profile for everyone; one not (or no longer) verified only for those who may see the farmer
    anyway (staff, NGOs covering the village)."""
    return farmer.is_verified or viewer.is_staff or farmer.village_id in viewer.covered_villages
