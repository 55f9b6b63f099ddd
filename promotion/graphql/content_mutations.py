"""The writers' mutations of stories and photo essays.

Each mutation parses IDs, calls one service in promotion.content and shapes the result; who may
write about which village is decided there (by promotion.permissions). An item the caller may not
see is NOT_FOUND; one they may see but not change is PERMISSION_DENIED."""

import graphene
from graphene_file_upload.scalars import Upload

from core.graphql.ids import get_by_global_id
from core.graphql.mutations import BaseMutation
from farmers.models import Farmer, Village
from farmers.permissions import is_ngo_staff
from shop.models import Product

from .. import content
from ..models import ContentImage
from ..permissions import content_visible_to
from .content_errors import ContentError, ContentErrorCode
from .content_types import ContentImageType, ContentItemType, ContentKindEnum


class ContentItemCreateInput(graphene.InputObjectType):
    kind = ContentKindEnum(required=True)
    title = graphene.String(required=True)
    summary = graphene.String()
    body = graphene.String()
    village = graphene.ID(required=True, description="The village it is about.")
    farmer = graphene.ID(description="The farmer it is about, who lives in the village.")
    products = graphene.List(graphene.NonNull(graphene.ID), description="Goods of the village to feature.")


class ContentItemUpdateInput(graphene.InputObjectType):
    kind = ContentKindEnum()
    title = graphene.String()
    summary = graphene.String()
    body = graphene.String()
    village = graphene.ID()
    farmer = graphene.ID()
    products = graphene.List(graphene.NonNull(graphene.ID), description="Replaces the featured goods.")


def _given(data) -> dict:
    """Only the fields the caller sent: an omitted field keeps its value."""
    return {key: value for key, value in dict(data).items() if value is not None}


def _item(info, global_id: str, field: str = "id"):
    return get_by_global_id(content_visible_to(info.context.user), global_id, "ContentItem", field)


def _relations(data: dict) -> dict:
    """Global IDs of the input turned into objects (enum values into strings)."""
    if "kind" in data:
        data["kind"] = data["kind"].value if hasattr(data["kind"], "value") else data["kind"]
    if "village" in data:
        data["village"] = get_by_global_id(Village.objects.all(), data["village"], "Village", "village")
    if "farmer" in data:
        data["farmer"] = get_by_global_id(Farmer.objects.all(), data["farmer"], "Farmer", "farmer")
    if "products" in data:
        data["products"] = [
            get_by_global_id(Product.objects.all(), product, "Product", "products") for product in data["products"]
        ]
    return data


class ContentMutation(BaseMutation):
    class Meta:
        abstract = True

    _error_type = ContentError
    _code_enum = ContentErrorCode
    _permission_check = staticmethod(is_ngo_staff)


class ContentItemCreate(ContentMutation):
    """A draft story or photo essay about a village your NGO covers (operators: any village)."""

    content_item = graphene.Field(ContentItemType)

    class Arguments:
        input = ContentItemCreateInput(required=True)

    @classmethod
    def perform_mutation(cls, root, info, input):
        data = _relations(_given(input))
        item = content.create_content(info.context.user, **data)
        return cls(content_item=item, errors=[])


class ContentItemUpdate(ContentMutation):
    content_item = graphene.Field(ContentItemType)

    class Arguments:
        id = graphene.ID(required=True)
        input = ContentItemUpdateInput(required=True)

    @classmethod
    def perform_mutation(cls, root, info, id, input):
        item = _item(info, id)
        item = content.update_content(info.context.user, item, **_relations(_given(input)))
        return cls(content_item=item, errors=[])


class ContentItemPublish(ContentMutation):
    """Show it to shoppers. A photo essay needs a processed photo first."""

    content_item = graphene.Field(ContentItemType)

    class Arguments:
        id = graphene.ID(required=True)

    @classmethod
    def perform_mutation(cls, root, info, id):
        return cls(content_item=content.publish_content(info.context.user, _item(info, id)), errors=[])


class ContentItemUnpublish(ContentMutation):
    content_item = graphene.Field(ContentItemType)

    class Arguments:
        id = graphene.ID(required=True)

    @classmethod
    def perform_mutation(cls, root, info, id):
        return cls(content_item=content.unpublish_content(info.context.user, _item(info, id)), errors=[])


class ContentImageAdd(ContentMutation):
    """Upload a photo (multipart request). It is listed on the story once processed."""

    image = graphene.Field(ContentImageType, description="PENDING until processed; then listed on the story.")
    content_item = graphene.Field(ContentItemType)

    class Arguments:
        item = graphene.ID(required=True)
        image = Upload(required=True)
        caption = graphene.String()

    @classmethod
    def perform_mutation(cls, root, info, item, image, caption=""):
        created = content.add_content_image(info.context.user, _item(info, item, "item"), image, caption or "")
        return cls(image=created, content_item=created.item, errors=[])


class ContentImageDelete(ContentMutation):
    deleted_id = graphene.ID(description="The ID of the photo that was deleted.")
    content_item = graphene.Field(ContentItemType)

    class Meta:
        error_fields = {"image": "id"}

    class Arguments:
        id = graphene.ID(required=True)

    @classmethod
    def perform_mutation(cls, root, info, id):
        items = content_visible_to(info.context.user)
        image = get_by_global_id(ContentImage.objects.filter(item__in=items), id, "ContentImage", "id")
        content.delete_content_image(info.context.user, image)
        return cls(deleted_id=id, content_item=image.item, errors=[])


class ContentMutations(graphene.ObjectType):
    content_item_create = ContentItemCreate.Field()
    content_item_update = ContentItemUpdate.Field()
    content_item_publish = ContentItemPublish.Field()
    content_item_unpublish = ContentItemUnpublish.Field()
    content_image_add = ContentImageAdd.Field()
    content_image_delete = ContentImageDelete.Field()
