"""Saleor's other token mutations: `tokenRefresh`, `tokenVerify`, `tokensDeactivateAll`.

Beside `tokenCreate` because they answer with the same `AccountError` type, which Saleor's SDK
names in its `tokenRefresh` query (`fragment … on AccountError`)."""

import graphene
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from graphene.types.generic import GenericScalar

from core import api_tokens
from core.graphql import jwt_tokens
from core.graphql.user_types import TokenUserType
from core.permissions import authenticated

from .account_mutations import AccountMutation


def _refused(field: str, error: jwt_tokens.TokenError) -> ValidationError:
    return ValidationError({field: ValidationError(error.message, code=error.code.lower())})


class TokenRefresh(AccountMutation):
    """A new access token for a refresh token from `tokenCreate`. Refused once the user changed
    their password or ran `tokensDeactivateAll` (the refresh token is taken from the argument only:
    Saleor's cookie form, with its `csrfToken`, is not offered)."""

    token = graphene.String(description="A new JWT access token.")
    user = graphene.Field(TokenUserType)

    class Meta:
        name = "RefreshToken"  # Saleor's name of the payload

    class Arguments:
        refresh_token = graphene.String(description="The `refreshToken` of `tokenCreate`.")

    @classmethod
    def perform_mutation(cls, root, info, refresh_token=None):
        if not refresh_token:
            raise ValidationError(
                {"refresh_token": ValidationError(_("The refresh token is missing."), code="jwt_missing_token")}
            )
        try:
            user = jwt_tokens.user_for(refresh_token, jwt_tokens.REFRESH)
        except jwt_tokens.TokenError as error:
            raise _refused("refresh_token", error) from None
        return cls(
            token=jwt_tokens.create(user, jwt_tokens.ACCESS, jwt_tokens.issuer(info.context)), user=user, errors=[]
        )


class TokenVerify(AccountMutation):
    """Whether a token (access or refresh) is still good, its claims and its user."""

    is_valid = graphene.Boolean(required=True)
    payload = GenericScalar(description="The token's claims.")
    user = graphene.Field(TokenUserType)

    class Meta:
        name = "VerifyToken"  # Saleor's name of the payload

    class Arguments:
        token = graphene.String(required=True)

    @classmethod
    def perform_mutation(cls, root, info, token):
        try:
            payload = jwt_tokens.payload_of(token)
            user = jwt_tokens.user_for(token, jwt_tokens.ACCESS, jwt_tokens.REFRESH, payload=payload)
        except jwt_tokens.TokenError as error:
            raise _refused("token", error) from None
        return cls(is_valid=True, payload=payload, user=user, errors=[])

    @classmethod
    def _failure(cls, errors):
        return cls(is_valid=False, errors=errors)


class TokensDeactivateAll(AccountMutation):
    """Sign out everywhere: every token of yours stops working, this one too (Saleor's SDK's
    `signOut` only forgets its tokens; send this first to end them). Web log-ins stay."""

    class Meta:
        name = "DeactivateAllUserTokens"  # Saleor's name of the payload
        permission = authenticated

    @classmethod
    def perform_mutation(cls, root, info):
        api_tokens.revoke_all(info.context.user)
        return cls(errors=[])


class TokenMutations(graphene.ObjectType):
    token_refresh = TokenRefresh.Field()
    token_verify = TokenVerify.Field()
    tokens_deactivate_all = TokensDeactivateAll.Field()
