"""Serve tokens: each promoted slot's link carries one, signed with the site's secret, naming the
campaign, the product and when it was served. A click bills only with a valid token, at most once
(its id is unique among clicks), and only within TOKEN_MAX_AGE of being served."""

import datetime
import re
import secrets
from dataclasses import dataclass

from django.core import signing

TOKEN_MAX_AGE = datetime.timedelta(hours=2)
_SALT = "shanhuo.promotion.serve-token"
_TOKEN_ID = re.compile(r"^[A-Za-z0-9_-]{16}$")


@dataclass(frozen=True)
class ServeToken:
    token_id: str
    campaign_id: int
    product_id: int
    served_at: datetime.datetime


class TokenInvalid(Exception):
    """Not signed by us (forged or damaged)."""


class TokenExpired(Exception):
    def __init__(self, token: ServeToken):
        super().__init__(token.token_id)
        self.token = token


def issue(campaign_id: int, product_id: int, now: datetime.datetime) -> str:
    """Short enough for a link: `<id>.<campaign>.<product>.<served, unix s>:<HMAC-SHA256>`."""
    value = f"{secrets.token_urlsafe(12)}.{campaign_id}.{product_id}.{int(now.timestamp())}"
    return _signer().sign(value)


def _signer() -> signing.Signer:
    return signing.Signer(salt=_SALT, algorithm="sha256")


def read(token: str, now: datetime.datetime) -> ServeToken:
    """The token's content, or TokenInvalid; TokenExpired (carrying the content, so the click can
    still be recorded and redirected) when it is older than TOKEN_MAX_AGE or from the future."""
    try:
        token_id, campaign_id, product_id, served = _signer().unsign(token).split(".")
        if not _TOKEN_ID.match(token_id):
            raise ValueError(token_id)
        parsed = ServeToken(
            token_id, int(campaign_id), int(product_id), datetime.datetime.fromtimestamp(int(served), datetime.UTC)
        )
    except (signing.BadSignature, ValueError, TypeError, OverflowError, OSError):
        raise TokenInvalid from None
    age = now - parsed.served_at
    if age > TOKEN_MAX_AGE or age < -datetime.timedelta(minutes=5):
        raise TokenExpired(parsed)
    return parsed
