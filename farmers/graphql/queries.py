import graphene

from core.graphql.fields import node_or_error

from ..models import Province
from ..selectors import villages_with_places
from .types import CountyType, FarmerType, ProvinceType, VillageType


class FarmersQueries(graphene.ObjectType):
    provinces = graphene.List(graphene.NonNull(ProvinceType), required=True)
    villages = graphene.List(
        graphene.NonNull(VillageType),
        required=True,
        county=graphene.ID(description="Only the villages of this county."),
    )
    village = graphene.Field(VillageType, id=graphene.ID(required=True))
    farmer = graphene.Field(FarmerType, id=graphene.ID(required=True), description="A farmer's public profile.")

    @staticmethod
    def resolve_provinces(root, info):
        return Province.objects.all()

    @staticmethod
    def resolve_villages(root, info, county=None):
        villages = villages_with_places()
        if county is not None:
            villages = villages.filter(county=node_or_error(info, county, CountyType, "county", must_exist=False))
        return villages

    @staticmethod
    def resolve_village(root, info, id):
        return node_or_error(info, id, VillageType, "id")

    @staticmethod
    def resolve_farmer(root, info, id):
        return node_or_error(info, id, FarmerType, "id")
