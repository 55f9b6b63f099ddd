from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from .models import Farmer, FarmerStateChange, VerificationState
from .permissions import can_verify
from .signals import farmer_verified

S = VerificationState
ALLOWED_TRANSITIONS = {
    S.PENDING: {S.VERIFIED, S.REJECTED},
    S.REJECTED: {S.PENDING, S.VERIFIED},
    S.VERIFIED: {S.SUSPENDED},
    S.SUSPENDED: {S.VERIFIED},
}
NEEDS_REASON = {S.REJECTED, S.SUSPENDED}


@transaction.atomic
def change_verification_state(farmer: Farmer, to_state: str, by, reason: str = "") -> Farmer:
    """Move a farmer between verification states and record who did it, when and why.

    `by` is the person deciding; None only for the system itself (a management command)."""
    farmer = Farmer.objects.select_for_update().get(pk=farmer.pk)
    if by is not None and not can_verify(by, farmer):
        raise PermissionDenied(_("You cannot verify farmers of this village."))
    from_state = S(farmer.verification_state)
    to_state = S(to_state)
    if to_state not in ALLOWED_TRANSITIONS[from_state]:
        raise ValidationError(
            {
                "verification_state": ValidationError(
                    _("A farmer cannot go from %(from)s to %(to)s."),
                    code="invalid_transition",
                    params={"from": from_state.label, "to": to_state.label},
                )
            }
        )
    reason = (reason or "").strip()
    if to_state in NEEDS_REASON and not reason:
        raise ValidationError({"reason": ValidationError(_("Please give a reason."), code="required")})
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
