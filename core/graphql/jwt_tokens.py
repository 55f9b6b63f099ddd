"""Saleor's tokens: a short-lived JWT access token and a long-lived JWT refresh token.

Saleor's storefront SDK (`@saleor/auth-sdk`) reads two claims: `exp`, to refresh before the access
token runs out, and `iss`, which must equal the API's URL for the SDK to send the token at all.
Both tokens carry the user's global ID and the user's fingerprint (core.api_tokens): a password
change or `tokensDeactivateAll` ends them, checked on every use, with no table of tokens. HS256
with JWT_SECRET_KEY: only this server issues and reads them.

Every refusal is a `TokenError` with Saleor's code (JWT_SIGNATURE_EXPIRED, JWT_DECODE_ERROR,
JWT_INVALID_TOKEN), never an exception that would become a 500."""

import secrets
import time

import jwt
from django.conf import settings
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils.translation import gettext as _
from graphql_relay import to_global_id

from core import api_tokens

from .ids import parse_global_id

ACCESS = "access"
REFRESH = "refresh"
ALGORITHM = "HS256"
# A salt of their own: a JWT's fingerprint is not an older-kind token's.
FINGERPRINT_SALT = "shanhuo.jwt"
REQUIRED_CLAIMS = ("exp", "iat", "iss", "type", "user_id", "token")


class TokenError(Exception):
    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


def issuer(request) -> str:
    """The API's own URL: the SDK sends a token only to the URL named in its `iss`."""
    return settings.JWT_ISSUER or request.build_absolute_uri(reverse("graphql"))


def create(user, token_type: str, iss: str) -> str:
    now = int(time.time())
    lifetime = settings.JWT_ACCESS_TTL if token_type == ACCESS else settings.JWT_REFRESH_TTL
    payload = {
        "iat": now,
        "exp": now + lifetime,
        "iss": iss,
        "jti": secrets.token_urlsafe(12),
        "type": token_type,
        "user_id": to_global_id("User", user.pk),
        "token": api_tokens.fingerprint(user, FINGERPRINT_SALT),
    }
    return jwt.encode(payload, settings.JWT_SECRET_KEY, algorithm=ALGORITHM)


def looks_like_jwt(token: str) -> bool:
    return token.count(".") == 2


def payload_of(token) -> dict:
    """The claims of a token this server signed and that has not expired (not yet checked against
    the user: see `user_for`)."""
    if not isinstance(token, str) or not token:
        raise TokenError("JWT_DECODE_ERROR", _("Error decoding the token."))
    try:
        payload = jwt.decode(
            token,
            settings.JWT_SECRET_KEY,
            algorithms=[ALGORITHM],
            options={"require": list(REQUIRED_CLAIMS)},
        )
    except jwt.ExpiredSignatureError:
        raise TokenError("JWT_SIGNATURE_EXPIRED", _("The token has expired.")) from None
    except jwt.DecodeError:  # bad encoding, or a signature not made with our key
        raise TokenError("JWT_DECODE_ERROR", _("Error decoding the token.")) from None
    except jwt.PyJWTError:  # a required claim missing or of the wrong kind
        raise TokenError("JWT_INVALID_TOKEN", _("Invalid token. Sign in again.")) from None
    return payload


def pair(user, request) -> tuple[str, str]:
    """(access token, refresh token), as `tokenCreate` returns them."""
    iss = issuer(request)
    return create(user, ACCESS, iss), create(user, REFRESH, iss)


def user_for(token, *token_types: str, payload: dict | None = None):
    """The active user a token of one of these types was issued to, since their last password
    change and `tokensDeactivateAll`."""
    payload = payload or payload_of(token)
    parsed = parse_global_id(payload["user_id"])
    user = None
    if payload["type"] in token_types and parsed is not None and parsed[0] == "User":
        user = get_user_model().objects.filter(pk=parsed[1], is_active=True).first()
    if user is None or not api_tokens.matches(user, payload["token"], FINGERPRINT_SALT):
        raise TokenError("JWT_INVALID_TOKEN", _("Invalid token. Sign in again."))
    return user


def bearer_user(token: str):
    """The user of an `Authorization: Bearer` token: a JWT access token, or an older-kind token
    until it runs out."""
    if looks_like_jwt(token):
        return user_for(token, ACCESS)
    user = api_tokens.user_for(token)
    if user is None:
        raise TokenError("JWT_INVALID_TOKEN", _("Invalid token. Sign in again."))
    return user
