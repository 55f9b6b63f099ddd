"""Shopper sign-up and API tokens for apps.

Here rather than in core because signing in takes what a person types at any log-in, a farmer's
phone number in any usual format included, through the log-in name rule of `farmers.registration`
(the one the log-in page uses); core imports no app."""

import graphene
from django.contrib.auth import authenticate
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils.translation import gettext as _

from core import shoppers
from core.graphql import jwt_tokens
from core.graphql.errors import error_code_enum, error_type
from core.graphql.mutations import BaseMutation
from core.graphql.user_types import TokenUserType
from core.ratelimit import ACCOUNT_REGISTER_PER_IP, LoginAttempt, client_ip

from ..registration import login_name as typed_login_name

AccountErrorCode = error_code_enum(
    "AccountErrorCode",
    (
        "INVALID_CREDENTIALS",
        "RATE_LIMITED",
        "PASSWORD_TOO_SHORT",
        "PASSWORD_TOO_COMMON",
        "PASSWORD_ENTIRELY_NUMERIC",
        "PASSWORD_TOO_SIMILAR",
        # Saleor's token codes (core.graphql.jwt_tokens).
        "JWT_SIGNATURE_EXPIRED",
        "JWT_INVALID_TOKEN",
        "JWT_DECODE_ERROR",
        "JWT_MISSING_TOKEN",
    ),
)
AccountError = error_type("AccountError", AccountErrorCode)


class AccountMutation(BaseMutation):
    class Meta:
        abstract = True

    _error_type = AccountError
    _code_enum = AccountErrorCode


class AccountRegisterInput(graphene.InputObjectType):
    email = graphene.String(required=True)
    password = graphene.String(required=True, description="At least 8 characters, not a common one.")


class AccountRegister(AccountMutation):
    """A shopper account. The answer is the same whether the address was new or already had an
    account (whose owner is told by mail): sign in with `tokenCreate` next. Rate-limited per
    address."""

    token = graphene.String(
        deprecation_reason="Always null: the answer does not tell whether an account was made. Use tokenCreate."
    )
    email = graphene.String()

    class Arguments:
        input = AccountRegisterInput(required=True)

    @classmethod
    def perform_mutation(cls, root, info, input):
        request = info.context
        if ACCOUNT_REGISTER_PER_IP.hit(client_ip(request)).blocked:
            raise ValidationError(
                _("Too many sign-ups from this network. Please try again in an hour."), code="rate_limited"
            )
        login_url = request.build_absolute_uri(reverse("accounts:login"))
        shoppers.sign_up_shopper(input["email"], input["password"], login_url=login_url)
        return cls(token=None, email=shoppers.normalise_email(input["email"]), errors=[])


class TokenCreate(AccountMutation):
    """Sign in, as Saleor does: send `token` back as `Authorization: Bearer <token>` until its
    `exp`, then trade `refreshToken` for a new one with `tokenRefresh`. Rate-limited like the
    log-in page."""

    token = graphene.String(description="A JWT access token (JWT_ACCESS_TTL seconds).")
    refresh_token = graphene.String(description="A JWT refresh token for `tokenRefresh` (JWT_REFRESH_TTL seconds).")
    user = graphene.Field(TokenUserType)

    class Meta:
        name = "CreateToken"  # Saleor's name of the payload

    class Arguments:
        email = graphene.String(required=True, description="Or a farmer's phone number, or a user name.")
        password = graphene.String(required=True)

    @classmethod
    def perform_mutation(cls, root, info, email, password):
        request = info.context
        login_name = typed_login_name(email)
        attempt = LoginAttempt.begin(request, login_name)
        if attempt.blocked:
            raise ValidationError(_("Too many attempts. Please wait 15 minutes and try again."), code="rate_limited")
        user = authenticate(request, username=login_name, password=password)
        if user is None:
            raise ValidationError(_("Wrong email, phone number or password."), code="invalid_credentials")
        attempt.succeeded()
        token, refresh_token = jwt_tokens.pair(user, request)
        return cls(token=token, refresh_token=refresh_token, user=user, errors=[])


class AccountMutations(graphene.ObjectType):
    account_register = AccountRegister.Field()
    token_create = TokenCreate.Field()
