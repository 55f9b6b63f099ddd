"""The root schema: each app contributes its queries and mutations."""

import graphene
from django.utils import translation

# graphene-django turns model help texts into descriptions (plain text) when a type is defined:
# define the types in English, the API's language, whichever request, command or test imports
# them first (a zh-hans request would otherwise leave the whole API described in Chinese).
with translation.override("en"):
    from core.graphql.fields import resolve_any_node
    from farmers.graphql.account_mutations import AccountMutations
    from farmers.graphql.queries import FarmersQueries
    from farmers.graphql.token_mutations import TokenMutations
    from impact.graphql.queries import ImpactQueries
    from payments.graphql.payout_queries import PayoutQueries
    from promotion.graphql.content_mutations import ContentMutations
    from promotion.graphql.content_queries import ContentQueries
    from promotion.graphql.feed_mutations import FeedMutations
    from promotion.graphql.mutations import PromotionMutations
    from promotion.graphql.queries import PromotionQueries
    from search.graphql.product_queries import ProductQueries
    from search.graphql.queries import SearchQueries
    from shop.graphql.buying_queries import BuyingQueries
    from shop.graphql.checkout_mutations import CheckoutMutations
    from shop.graphql.earnings_queries import EarningsQueries
    from shop.graphql.mutations import ShopMutations
    from shop.graphql.order_mutations import OrderMutations
    from shop.graphql.payment_mutations import PaymentMutations
    from shop.graphql.queries import ShopQueries


class Query(
    PayoutQueries,
    EarningsQueries,
    SearchQueries,
    FarmersQueries,
    ShopQueries,
    ProductQueries,
    BuyingQueries,
    PromotionQueries,
    ContentQueries,
    ImpactQueries,
    graphene.ObjectType,
):
    node = graphene.Field(graphene.relay.Node, id=graphene.ID(required=True), description="Any object by global ID.")

    @staticmethod
    def resolve_node(root, info, id):
        return resolve_any_node(info, id)


class Mutation(
    FeedMutations,
    AccountMutations,
    TokenMutations,
    ShopMutations,
    CheckoutMutations,
    OrderMutations,
    PaymentMutations,
    PromotionMutations,
    ContentMutations,
    graphene.ObjectType,
):
    pass


with translation.override("en"):
    schema = graphene.Schema(query=Query, mutation=Mutation)
