"""Who sees which villages' figures: operators see every village; staff of an NGO see the villages
their NGOs cover; nobody else sees any. Pages, exports and the API all ask these functions."""

from django.core.exceptions import PermissionDenied

from core.permissions import authenticated, staff
from farmers.models import Village
from farmers.permissions import is_ngo_staff, ngos_of


def may_see_impact(user) -> bool:
    """May open the impact pages at all: operators, and staff of any NGO (one that covers no village
    yet sees empty pages rather than a refusal, as on the verification pages)."""
    return authenticated(user) and (staff(user) or is_ngo_staff(user))


def villages_visible_to(user):
    """The villages whose figures `user` may see, as a queryset (none for shoppers and farmers)."""
    if not authenticated(user):
        return Village.objects.none()
    if staff(user):
        return Village.objects.all()
    return Village.objects.filter(pk__in=ngos_of(user).values("villages"))


def check_may_see_impact(user) -> None:
    if not may_see_impact(user):
        raise PermissionDenied


def visible_village(user, village_id) -> Village | None:
    """The village if `user` may see its figures; None for another NGO's village or no village,
    so callers answer both the same way (a 404: an outsider learns nothing of which ids exist)."""
    try:
        return villages_visible_to(user).select_related("county__province").get(pk=village_id)
    except (Village.DoesNotExist, ValueError, TypeError):
        return None
