"""Verification of farmers (by NGOs covering their village, or staff) and of cooperatives (by
staff): the allowed moves, the reasons they need, and who decided when."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from .models import Cooperative, Farmer, FarmerStateChange, VerificationState
from .permissions import can_verify
from .signals import cooperative_verified, farmer_verified

S = VerificationState
ALLOWED_TRANSITIONS = {
    S.PENDING: {S.VERIFIED, S.REJECTED},
    S.REJECTED: {S.PENDING, S.VERIFIED},
    S.VERIFIED: {S.SUSPENDED},
    S.SUSPENDED: {S.VERIFIED},
}
NEEDS_REASON = {S.REJECTED, S.SUSPENDED}


def check_decision(from_state: str, to_state: str, reason: str) -> tuple[S, S, str]:
    """The rules every verification decision follows: an allowed move, and a reason where the
    decision hurts (rejecting, suspending). Returns the states and the trimmed reason."""
    from_state, to_state = S(from_state), S(to_state)
    if to_state not in ALLOWED_TRANSITIONS[from_state]:
        raise ValidationError(
            {
                "verification_state": ValidationError(
                    _("The state cannot go from %(from)s to %(to)s."),
                    code="invalid_transition",
                    params={"from": from_state.label, "to": to_state.label},
                )
            }
        )
    reason = (reason or "").strip()
    if to_state in NEEDS_REASON and not reason:
        raise ValidationError({"reason": ValidationError(_("Please give a reason."), code="required")})
    return from_state, to_state, reason


@transaction.atomic
def change_verification_state(farmer: Farmer, to_state: str, by, reason: str = "") -> Farmer:
    """Move a farmer between verification states and record who did it, when and why.

    `by` is the person deciding; None only for the system itself (a management command)."""
    farmer = Farmer.objects.select_for_update().get(pk=farmer.pk)
    if by is not None and farmer.user_id == by.pk:
        raise PermissionDenied(_("Nobody can decide on their own verification."))
    if by is not None and not can_verify(by, farmer):
        raise PermissionDenied(_("You cannot verify farmers of this village."))
    from_state, to_state, reason = check_decision(farmer.verification_state, to_state, reason)
    now = timezone.now()
    farmer.verification_state = to_state
    farmer.state_changed_by = by
    farmer.state_changed_at = now
    farmer.state_reason = reason
    farmer.save(update_fields=["verification_state", "state_changed_by", "state_changed_at", "state_reason"])
    FarmerStateChange.objects.create(
        farmer=farmer, from_state=from_state, to_state=to_state, changed_by=by, changed_at=now, reason=reason
    )
    if to_state == S.VERIFIED:
        farmer_verified.send(sender=Farmer, farmer=farmer, by=by)
    return farmer


@transaction.atomic
def change_cooperative_state(cooperative: Cooperative, to_state: str, by, reason: str = "") -> Cooperative:
    """A cooperative's verification, decided by site staff, with the same moves and reasons as a
    farmer's. Its listings waiting for verification go on sale with it (`cooperative_verified`)."""
    if by is not None and not (by.is_authenticated and by.is_staff):
        raise PermissionDenied(_("Only the platform's staff verify cooperatives."))
    cooperative = Cooperative.objects.select_for_update().get(pk=cooperative.pk)
    _from_state, to_state, _reason = check_decision(cooperative.verification_state, to_state, reason)
    cooperative.verification_state = to_state
    cooperative.save(update_fields=["verification_state"])
    if to_state == S.VERIFIED:
        cooperative_verified.send(sender=Cooperative, cooperative=cooperative, by=by)
    return cooperative
