"""Bearer tokens for apps calling the GraphQL API (browsers use the session cookie instead).

A token is the user's id and a fingerprint of their password hash, signed with SECRET_KEY and
dated: nothing to store, it expires after API_TOKEN_MAX_AGE, and changing the password revokes
every token issued before."""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import signing
from django.utils.crypto import constant_time_compare, salted_hmac

SALT = "shanhuo.api-token"


def _fingerprint(user) -> str:
    return salted_hmac(SALT, user.password).hexdigest()[:20]


def issue(user) -> str:
    return signing.dumps({"u": user.pk, "p": _fingerprint(user)}, salt=SALT)


def user_for(token: str):
    """The active user the token was issued to, or None for a forged, expired or revoked token."""
    try:
        data = signing.loads(token, salt=SALT, max_age=settings.API_TOKEN_MAX_AGE)
    except signing.BadSignature:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("u"), int) or not isinstance(data.get("p"), str):
        return None
    user = get_user_model().objects.filter(pk=data["u"], is_active=True).first()
    if user is None or not constant_time_compare(_fingerprint(user), data["p"]):
        return None
    return user
