import graphene
from django.urls import reverse
from graphene_django import DjangoObjectType

from core.graphql.connection import CountableConnection
from core.graphql.images import image_url_field, resolve_image_status, resolve_image_url

from ..models import Category, ImageStatus, Product, ProductImage, Variant
from ..permissions import products_visible_to
from ..selectors import with_catalog_relations


class CategoryType(DjangoObjectType):
    class Meta:
        model = Category
        name = "Category"
        interfaces = (graphene.relay.Node,)
        fields = ("id", "name", "name_en", "slug", "parent")

    children = graphene.List(graphene.NonNull(lambda: CategoryType), required=True)

    @staticmethod
    def resolve_children(root, info):
        return root.children.all()


class VariantType(DjangoObjectType):
    class Meta:
        model = Variant
        name = "ProductVariant"
        interfaces = (graphene.relay.Node,)
        fields = ("id", "name", "sku", "price", "stock", "weight_kg")

    @classmethod
    def get_node(cls, info, id):
        visible = products_visible_to(info.context.user)
        return Variant.objects.filter(pk=id, product__in=visible).first()


ImageStatusEnum = graphene.Enum.from_enum(ImageStatus, name="ProductImageStatus")


class ProductImageType(DjangoObjectType):
    class Meta:
        model = ProductImage
        name = "ProductImage"
        interfaces = (graphene.relay.Node,)
        fields = ("id", "alt", "width", "height")

    status = graphene.Field(ImageStatusEnum, required=True)
    url = image_url_field()
    resolve_status = staticmethod(resolve_image_status)
    resolve_url = staticmethod(resolve_image_url)

    @classmethod
    def get_node(cls, info, id):
        visible = products_visible_to(info.context.user)
        return ProductImage.objects.filter(pk=id, product__in=visible, status=ImageStatus.READY).first()


class ProductType(DjangoObjectType):
    class Meta:
        model = Product
        name = "Product"
        interfaces = (graphene.relay.Node,)
        fields = (
            "id",
            "name",
            "slug",
            "description",
            "harvest_date",
            "category",
            "farmer",
            "cooperative",
            "village",
            "min_price",
            "in_stock",
            "is_published",
            "created_at",
            "updated_at",
        )
        connection_class = CountableConnection

    variants = graphene.List(graphene.NonNull(VariantType), required=True)
    images = graphene.List(
        graphene.NonNull(ProductImageType),
        required=True,
        description="Processed photos only; a photo being processed is not listed.",
    )
    url = graphene.String(required=True, description="The product's page on the shop.")

    @classmethod
    def get_node(cls, info, id):
        return with_catalog_relations(products_visible_to(info.context.user)).filter(pk=id).first()

    @staticmethod
    def resolve_variants(root, info):
        listed = getattr(root, "listed_variants", None)  # selectors.with_catalog_relations(variants_as_list=True)
        return listed if listed is not None else root.variants.all()

    @staticmethod
    def resolve_images(root, info):
        ready = getattr(root, "ready_images", None)
        return ready if ready is not None else root.images.filter(status=ImageStatus.READY)

    @staticmethod
    def resolve_url(root, info):
        return info.context.build_absolute_uri(reverse("shop:product", args=[root.slug]))
