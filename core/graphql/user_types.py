"""The user a token was issued to, as Saleor's token mutations name it (`User`)."""

import graphene
from graphql_relay import to_global_id


class TokenUserType(graphene.ObjectType):
    """Who signed in: Saleor's `User`, reduced to what a token says (`me` has their checkouts and orders)."""

    class Meta:
        name = "User"

    id = graphene.ID(required=True, description="The ID in the token's `user_id`.")
    email = graphene.String(required=True, description="Empty for a farmer who signs in by phone.")

    @staticmethod
    def resolve_id(root, info):
        return to_global_id("User", root.pk)

    @staticmethod
    def resolve_email(root, info):
        return root.email
