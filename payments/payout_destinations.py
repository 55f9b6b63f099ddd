"""Where sellers are paid, as far as they keep it themselves: binding the WeChat whose balance
their payouts go to (`bind_wechat`).

Only the person whose WeChat it is binds it, through WeChat's OAuth in their own browser: a farmer
for their own payouts; for a cooperative, one of its managers, whose WeChat then receives the
cooperative's payouts (docs/decisions.md, wxpayout). Neither staff nor a cooperative's manager
binds for a member: money must go to a WeChat its owner proved, not one typed in by someone else.
Binding again replaces the WeChat bound before; payouts already made keep the openid they were
sent to."""

import re

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import field_error
from core.permissions import authenticated
from farmers.models import Cooperative, Farmer

from .models import PayoutDestination

# WeChat's openids: letters, digits, - and _ (28 characters today); never anything else.
OPENID = re.compile(r"[A-Za-z0-9_-]{6,64}")


def bindable_sellers(user) -> list:
    """The sellers whose WeChat `user` may bind: their own farmer, then each cooperative they manage."""
    if not authenticated(user):
        return []
    own = list(Farmer.objects.filter(user=user))
    return own + list(Cooperative.objects.filter(managers=user).order_by("name", "pk"))


def may_bind_wechat(user, seller) -> bool:
    """The farmer themself; a cooperative's own manager. Not staff, not a member's manager."""
    if not authenticated(user):
        return False
    if isinstance(seller, Farmer):
        return seller.user_id is not None and seller.user_id == user.pk
    return seller.managers.filter(pk=user.pk).exists()


def destination_of(seller) -> PayoutDestination | None:
    field = "farmer" if isinstance(seller, Farmer) else "cooperative"
    return PayoutDestination.objects.filter(**{field: seller}).first()


def bind_wechat(user, seller, openid: str) -> PayoutDestination:
    """Pay `seller` to the WeChat of `openid` (which WeChat's OAuth gave for `user`'s browser), in
    place of any WeChat bound before. The seller's other payout details are kept."""
    if not may_bind_wechat(user, seller):
        raise PermissionDenied(_("Only the farmer themself, or a manager of the cooperative, binds its WeChat."))
    if not isinstance(openid, str) or not OPENID.fullmatch(openid):
        raise field_error("openid", _("WeChat did not tell us who you are. Please try again."), "invalid")
    field = "farmer" if isinstance(seller, Farmer) else "cooperative"
    holder = seller.name if isinstance(seller, Farmer) else user.get_full_name()
    with transaction.atomic():
        destination = PayoutDestination.objects.select_for_update().filter(**{field: seller}).first()
        if destination is None:
            destination = PayoutDestination(**{field: seller})
        destination.wechat_openid = openid
        destination.wechat_holder_name = holder[: PayoutDestination._meta.get_field("wechat_holder_name").max_length]
        destination.wechat_bound_at = timezone.now()
        destination.wechat_bound_by = user
        destination.save()
    return destination
