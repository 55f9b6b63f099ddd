"""Who may see a farmer's personal data and act for a farmer: one place for these rules."""

from dataclasses import dataclass

from core.permissions import authenticated

from .models import NGO, Farmer


@dataclass(frozen=True)
class Viewer:
    """What one user may see of farmers, loaded once (one query) and reused for a whole page."""

    user_id: int | None
    is_staff: bool
    covered_villages: frozenset[int]
    managed_cooperatives: frozenset[int]

    @classmethod
    def of(cls, user) -> "Viewer":
        if not authenticated(user):
            return cls(None, False, frozenset(), frozenset())
        covered = frozenset(ngos_of(user).values_list("villages", flat=True)) - {None}
        managed = frozenset(user.managed_cooperatives.values_list("pk", flat=True))
        return cls(user.pk, user.is_staff, covered, managed)

    def can_see_personal_data(self, farmer: Farmer) -> bool:
        """Phone, ID number, poverty registration: the farmer, staff, and NGOs covering the village."""
        if self.user_id is None:
            return False
        return self.is_staff or farmer.user_id == self.user_id or farmer.village_id in self.covered_villages

    def can_see_cooperative(self, cooperative) -> bool:
        return cooperative.is_verified or self.is_staff or cooperative.pk in self.managed_cooperatives


def viewer_of(request) -> Viewer:
    """The viewer of this request, computed on first use and kept on the request."""
    viewer = getattr(request, "_farmers_viewer", None)
    if viewer is None:
        viewer = Viewer.of(getattr(request, "user", None))
        request._farmers_viewer = viewer
    return viewer


def can_act_for_farmer(user, farmer: Farmer) -> bool:
    """List and edit goods: the farmer, a manager of the farmer's cooperative, or staff."""
    if not authenticated(user):
        return False
    if user.is_staff or farmer.user_id == user.pk:
        return True
    return farmer.cooperative_id is not None and farmer.cooperative.managers.filter(pk=user.pk).exists()


def can_act_for_cooperative(user, cooperative) -> bool:
    if not authenticated(user):
        return False
    return user.is_staff or cooperative.managers.filter(pk=user.pk).exists()


def is_seller(user) -> bool:
    """A user with something to sell: a farmer account, a cooperative manager, or staff."""
    if not authenticated(user):
        return False
    return user.is_staff or hasattr(user, "farmer") or user.managed_cooperatives.exists()


def ngos_of(user):
    """The NGOs `user` works for; `.values("villages")` is the villages they cover, as a subquery."""
    return NGO.objects.filter(staff=user)


def covers_village(user, village) -> bool:
    """Staff, or staff of an NGO that covers the village: the people who verify its farmers,
    publish its stories and see its farmers' personal data."""
    if not authenticated(user) or village is None:
        return False
    return user.is_staff or ngos_of(user).filter(villages=village).exists()


def can_verify(user, farmer: Farmer) -> bool:
    """Verification decisions: staff, or staff of an NGO that covers the farmer's village."""
    return covers_village(user, farmer.village_id)


def is_ngo_staff(user) -> bool:
    if not authenticated(user):
        return False
    return user.is_staff or user.ngos.exists()
