"""Who may see or record payments' records: plain functions of (user, object) and the querysets
of what a user may see, used alike by pages, the admin and the API."""

from django.db.models import Q

from core.permissions import authenticated, staff
from farmers.permissions import ngos_of

from .models import Payout


def payouts_visible_to(user):
    """Operators: every payout. A farmer: their own. A cooperative manager: the cooperative's. NGO
    staff: those of sellers in the villages their NGO covers (to follow the money reaching them).
    Shoppers and strangers: none. A subquery, so the joins make no duplicates."""
    if not authenticated(user):
        return Payout.objects.none()
    if user.is_staff:
        return Payout.objects.all()
    covered = ngos_of(user).values("villages")
    mine = Payout.objects.filter(
        Q(farmer__user=user)
        | Q(cooperative__managers=user)
        | Q(farmer__village__in=covered)
        | Q(cooperative__village__in=covered)
    )
    return Payout.objects.filter(pk__in=mine.values("pk"))


def may_record_payouts(user) -> bool:
    """Recording a payout paid, failed or returned moves money in the books: operators given the
    right to change payouts (a superuser has it), not every staff member."""
    return staff(user) and user.has_perm("payments.change_payout")
