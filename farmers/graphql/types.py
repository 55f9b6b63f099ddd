import graphene
from graphene_django import DjangoObjectType

from ..models import Cooperative, County, Farmer, Province, VerificationState, Village
from ..permissions import viewer_of
from ..selectors import farmers_visible_to

VerificationStateEnum = graphene.Enum.from_enum(VerificationState, name="VerificationStateEnum")


class ProvinceType(DjangoObjectType):
    class Meta:
        model = Province
        name = "Province"
        interfaces = (graphene.relay.Node,)
        fields = ("id", "name", "name_en", "slug")


class CountyType(DjangoObjectType):
    class Meta:
        model = County
        name = "County"
        interfaces = (graphene.relay.Node,)
        fields = ("id", "name", "name_en", "slug", "province")


class VillageType(DjangoObjectType):
    class Meta:
        model = Village
        name = "Village"
        interfaces = (graphene.relay.Node,)
        fields = (
            "id",
            "name",
            "name_en",
            "slug",
            "story",
            "county",
            "households",
            "poor_households",
            "poverty_line",
            "baseline_income",
        )

    province = graphene.Field(ProvinceType, required=True)

    @staticmethod
    def resolve_province(root, info):
        return root.county.province


class CooperativeType(DjangoObjectType):
    """A cooperative's public profile, once verified."""

    class Meta:
        model = Cooperative
        name = "Cooperative"
        interfaces = (graphene.relay.Node,)
        fields = ("id", "name", "slug", "village", "story")

    @classmethod
    def get_node(cls, info, id):
        cooperative = Cooperative.objects.filter(pk=id).first()
        return cooperative if cooperative and viewer_of(info.context).can_see_cooperative(cooperative) else None


class FarmerType(DjangoObjectType):
    """A farmer's public profile. Personal fields resolve to null for anyone not allowed to see them."""

    class Meta:
        model = Farmer
        name = "Farmer"
        interfaces = (graphene.relay.Node,)
        fields = ("id", "name", "village", "cooperative", "story")

    verification_state = graphene.Field(VerificationStateEnum, required=True)
    phone = graphene.String(description="Only for the farmer, staff and NGOs covering the village.")
    id_number = graphene.String(description="Only for the farmer, staff and NGOs covering the village.")
    is_registered_poor = graphene.Boolean(description="Only for the farmer, staff and NGOs covering the village.")

    @classmethod
    def get_node(cls, info, id):
        return farmers_visible_to(info.context.user).select_related("village__county__province").filter(pk=id).first()

    @staticmethod
    def resolve_cooperative(root, info):
        cooperative = root.cooperative
        return cooperative if cooperative and viewer_of(info.context).can_see_cooperative(cooperative) else None

    @staticmethod
    def resolve_verification_state(root, info):
        return root.verification_state

    @staticmethod
    def resolve_phone(root, info):
        return root.phone if viewer_of(info.context).can_see_personal_data(root) else None

    @staticmethod
    def resolve_id_number(root, info):
        return root.id_number if viewer_of(info.context).can_see_personal_data(root) else None

    @staticmethod
    def resolve_is_registered_poor(root, info):
        return root.is_registered_poor if viewer_of(info.context).can_see_personal_data(root) else None
