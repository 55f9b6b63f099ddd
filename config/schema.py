"""The root schema: each app contributes its queries and mutations."""

import graphene

from core.graphql.fields import resolve_any_node
from farmers.graphql.queries import FarmersQueries
from shop.graphql.mutations import ShopMutations
from shop.graphql.queries import ShopQueries


class Query(FarmersQueries, ShopQueries, graphene.ObjectType):
    node = graphene.Field(graphene.relay.Node, id=graphene.ID(required=True), description="Any object by global ID.")

    @staticmethod
    def resolve_node(root, info, id):
        return resolve_any_node(info, id)


class Mutation(ShopMutations, graphene.ObjectType):
    pass


schema = graphene.Schema(query=Query, mutation=Mutation)
