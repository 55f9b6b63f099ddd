"""GraphQL types of stories and photo essays (the feed uses them too).

Lists load through promotion.selectors.with_content_relations, whose prefetched `ready_images` and
`visible_products` the resolvers use; a lone item falls back to a query per relation."""

import graphene
from django.urls import reverse
from graphene_django import DjangoObjectType
from graphql_relay import to_global_id

from core.graphql.connection import CountableConnection
from core.graphql.images import image_url_field, resolve_image_status, resolve_image_url
from core.image_models import ImageStatus
from farmers.graphql.types import VillageType
from farmers.permissions import viewer_of
from shop.graphql.types import ProductType
from shop.selectors import visible_products, with_catalog_relations

from ..models import ContentImage, ContentItem, ContentKind, ContentStatus
from ..permissions import content_visible_to, farmer_shown_on_stories


class ContentKindEnum(graphene.Enum):
    STORY = ContentKind.STORY.value
    PHOTO_ESSAY = ContentKind.PHOTO_ESSAY.value


ContentStatusEnum = graphene.Enum.from_enum(ContentStatus, name="ContentStatus")
ContentImageStatusEnum = graphene.Enum.from_enum(ImageStatus, name="ContentImageStatus")


class ContentImageType(DjangoObjectType):
    class Meta:
        model = ContentImage
        name = "ContentImage"
        interfaces = (graphene.relay.Node,)
        fields = ("id", "caption", "width", "height")

    status = graphene.Field(ContentImageStatusEnum, required=True)
    url = image_url_field()
    resolve_status = staticmethod(resolve_image_status)
    resolve_url = staticmethod(resolve_image_url)

    @classmethod
    def get_node(cls, info, id):
        """Processed photos of the items the viewer may see (a pending photo is shown to nobody)."""
        items = content_visible_to(info.context.user)
        return ContentImage.objects.filter(pk=id, item__in=items, status=ImageStatus.READY).first()


class ContentFarmerType(graphene.ObjectType):
    """The farmer a story is about: the public profile only. Phone and ID number are never here,
    whoever asks; those allowed to see them ask `node(id)` for the Farmer."""

    class Meta:
        name = "ContentFarmer"

    id = graphene.ID(required=True, description="The Farmer's global ID.")
    name = graphene.String(required=True)
    story = graphene.String(required=True, description="The farmer's own words about their farm.")
    village = graphene.Field(VillageType, required=True)

    @staticmethod
    def resolve_id(root, info):
        return to_global_id("Farmer", root.pk)


class ContentItemType(DjangoObjectType):
    class Meta:
        model = ContentItem
        name = "ContentItem"
        interfaces = (graphene.relay.Node,)
        fields = ("id", "title", "slug", "summary", "body", "village", "published_at", "created_at", "updated_at")
        connection_class = CountableConnection

    kind = graphene.Field(ContentKindEnum, required=True)
    status = graphene.Field(ContentStatusEnum, required=True)
    images = graphene.List(
        graphene.NonNull(ContentImageType),
        required=True,
        description="Processed photos only, in order; a photo being processed is not listed.",
    )
    farmer = graphene.Field(ContentFarmerType, description="The farmer it is about, once verified.")
    products = graphene.List(
        graphene.NonNull(ProductType), required=True, description="The featured goods shoppers can buy."
    )
    ngo_name = graphene.String(description="The NGO it is published for, if any.")
    url = graphene.String(required=True, description="The story's page.")

    @classmethod
    def get_node(cls, info, id):
        return content_visible_to(info.context.user).filter(pk=id).first()

    @staticmethod
    def resolve_kind(root, info):
        return root.kind

    @staticmethod
    def resolve_status(root, info):
        return root.status

    @staticmethod
    def resolve_images(root, info):
        ready = getattr(root, "ready_images", None)
        return ready if ready is not None else root.images.filter(status=ImageStatus.READY).order_by("position", "id")

    @staticmethod
    def resolve_farmer(root, info):
        farmer = root.farmer
        if farmer is None or farmer.is_verified:  # shown to everyone: no need to load the viewer
            return farmer
        return farmer if farmer_shown_on_stories(viewer_of(info.context), farmer) else None

    @staticmethod
    def resolve_products(root, info):
        loaded = getattr(root, "visible_products", None)
        if loaded is not None:
            return loaded
        return with_catalog_relations(visible_products().filter(stories=root).order_by("-created_at", "-id"))

    @staticmethod
    def resolve_ngo_name(root, info):
        return root.ngo.name if root.ngo_id else None

    @staticmethod
    def resolve_url(root, info):
        return info.context.build_absolute_uri(reverse("promotion:story", kwargs={"slug": root.slug}))
