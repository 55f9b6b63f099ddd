"""Who may see a farmer's personal data and act for a farmer: one place for these rules."""

from .models import NGO, Farmer


def can_see_personal_data(user, farmer: Farmer) -> bool:
    """Phone and ID number: the farmer, staff, and the NGOs covering the farmer's village."""
    if not (user and user.is_authenticated):
        return False
    if user.is_staff or farmer.user_id == user.pk:
        return True
    return NGO.objects.filter(staff=user, villages=farmer.village_id).exists()


def can_act_for_farmer(user, farmer: Farmer) -> bool:
    """List and edit goods: the farmer, a manager of the farmer's cooperative, or staff."""
    if not (user and user.is_authenticated and user.is_active):
        return False
    if user.is_staff or farmer.user_id == user.pk:
        return True
    return farmer.cooperative_id is not None and farmer.cooperative.managers.filter(pk=user.pk).exists()


def can_act_for_cooperative(user, cooperative) -> bool:
    if not (user and user.is_authenticated and user.is_active):
        return False
    return user.is_staff or cooperative.managers.filter(pk=user.pk).exists()


def is_seller(user) -> bool:
    """A user with something to sell: a farmer account, a cooperative manager, or staff."""
    if not (user and user.is_authenticated and user.is_active):
        return False
    return user.is_staff or hasattr(user, "farmer") or user.managed_cooperatives.exists()


def can_verify(user, farmer: Farmer) -> bool:
    """Verification decisions: staff, or staff of an NGO that covers the farmer's village."""
    if not (user and user.is_authenticated and user.is_active):
        return False
    return user.is_staff or NGO.objects.filter(staff=user, villages=farmer.village_id).exists()
