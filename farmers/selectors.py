from django.db.models import Count, Prefetch, Q

from .models import Farmer, FarmerStateChange, VerificationState, Village
from .permissions import ngos_of


def farmers_visible_to(user):
    """Verified farmers have a public profile; others only to themselves, their NGOs and staff."""
    verified = Q(verification_state=VerificationState.VERIFIED)
    if not (user and user.is_authenticated):
        return Farmer.objects.filter(verified)
    if user.is_staff:
        return Farmer.objects.all()
    covered = ngos_of(user).values("villages")
    managed = Q(cooperative__managers=user)
    return Farmer.objects.filter(verified | Q(user=user) | Q(village__in=covered) | managed).distinct()


def villages_with_places():
    return Village.objects.select_related("county__province")


# --- NGO verification pages ----------------------------------------------------------------


def farmers_to_verify(viewer):
    """Farmers a verifier may see and decide on: every village for site staff, otherwise the
    villages the viewer's NGOs cover (`farmers.permissions.Viewer.covered_villages`). Never the
    viewer's own farmer record: nobody verifies themselves."""
    farmers = Farmer.objects.all() if viewer.is_staff else Farmer.objects.filter(village_id__in=viewer.covered_villages)
    return farmers.exclude(user_id=viewer.user_id) if viewer.user_id else farmers


def verification_queue(viewer, state):
    """One tab of the verification list, newest sign-ups first, with what a row shows joined in."""
    return (
        farmers_to_verify(viewer)
        .filter(verification_state=state)
        .select_related("village__county__province", "cooperative")
        .order_by("-created_at", "-id")
    )


def verification_state_counts(viewer) -> dict[str, int]:
    """How many farmers each state's tab holds, in one query."""
    rows = farmers_to_verify(viewer).order_by().values("verification_state").annotate(n=Count("id"))
    counts = dict.fromkeys(VerificationState.values, 0)
    counts.update({row["verification_state"]: row["n"] for row in rows})
    return counts


def farmer_record(viewer):
    """A farmer's record as a verifier sees it: places, cooperative, decisions with who made them."""
    history = FarmerStateChange.objects.select_related("changed_by").order_by("-changed_at", "-id")
    return (
        farmers_to_verify(viewer)
        .select_related("village__county__province", "cooperative")
        .prefetch_related(Prefetch("state_changes", queryset=history))
    )
