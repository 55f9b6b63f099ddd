"""Bearer tokens for apps calling the GraphQL API (browsers use the session cookie instead).

Two kinds are accepted. Saleor's kind (core.graphql.jwt_tokens): a short-lived JWT access token
and a long-lived refresh token, issued by `tokenCreate`. The older kind, issued before issue 19 and
still honoured until it expires: the user's id and a fingerprint, signed with SECRET_KEY and dated;
nothing stored, it expires after API_TOKEN_MAX_AGE.

Both carry the user's fingerprint: a hash of their password hash and their `jwt_token_key`.
Changing the password or replacing the key (`revoke_all`) changes it, which ends every token
issued before, of either kind, without a table of tokens."""

import secrets

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import signing
from django.utils.crypto import constant_time_compare, salted_hmac

SALT = "shanhuo.api-token"


def fingerprint(user, salt: str = SALT) -> str:
    # With the key still empty this is the fingerprint the older tokens were issued with.
    return salted_hmac(salt, user.password + user.jwt_token_key).hexdigest()[:20]


def matches(user, claimed, salt: str = SALT) -> bool:
    return isinstance(claimed, str) and constant_time_compare(fingerprint(user, salt), claimed)


def revoke_all(user) -> None:
    """End every token the user holds, on every device (the session cookie is not a token: web
    log-ins stay)."""
    user.jwt_token_key = secrets.token_hex(16)
    user.save(update_fields=["jwt_token_key"])


def issue(user) -> str:
    """An older-kind token. Only tests issue these now; the ones in the field run out by themselves."""
    return signing.dumps({"u": user.pk, "p": fingerprint(user)}, salt=SALT)


def user_for(token: str):
    """The active user an older-kind token was issued to, or None for a forged, expired or revoked one."""
    try:
        data = signing.loads(token, salt=SALT, max_age=settings.API_TOKEN_MAX_AGE)
    except signing.BadSignature:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("u"), int) or not isinstance(data.get("p"), str):
        return None
    user = get_user_model().objects.filter(pk=data["u"], is_active=True).first()
    if user is None or not matches(user, data["p"]):
        return None
    return user
