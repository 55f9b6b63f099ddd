from django.db.models import Q

from .models import NGO, Farmer, VerificationState, Village


def farmers_visible_to(user):
    """Verified farmers have a public profile; others only to themselves, their NGOs and staff."""
    verified = Q(verification_state=VerificationState.VERIFIED)
    if not (user and user.is_authenticated):
        return Farmer.objects.filter(verified)
    if user.is_staff:
        return Farmer.objects.all()
    covered = NGO.objects.filter(staff=user).values("villages")
    managed = Q(cooperative__managers=user)
    return Farmer.objects.filter(verified | Q(user=user) | Q(village__in=covered) | managed).distinct()


def villages_with_places():
    return Village.objects.select_related("county__province")
