"""Catalog mutations: each parses input, calls one service and shapes the result."""

import graphene
from graphene_file_upload.scalars import Upload

from core.graphql.ids import get_by_global_id
from core.graphql.mutations import BaseMutation
from core.graphql.scalars import ExactDecimal
from farmers.models import Cooperative, Farmer
from farmers.permissions import is_seller

from .. import catalog
from ..models import Category, Product, Variant
from .errors import ProductError, ProductErrorCode
from .types import ProductImageType, ProductType, VariantType


class ProductVariantInput(graphene.InputObjectType):
    name = graphene.String(required=True, description="The unit sold, e.g. 5 斤 box.")
    price = ExactDecimal(required=True, description="Price in CNY, at most two decimal places.")
    stock = graphene.Int(default_value=0)
    weight_kg = ExactDecimal(
        description="Shipping weight of one unit in kilograms: required, more than 0, at most 50, to the gram."
    )
    sku = graphene.String()


class ProductVariantUpdateInput(graphene.InputObjectType):
    name = graphene.String()
    price = ExactDecimal()
    stock = graphene.Int()
    weight_kg = ExactDecimal(description="Shipping weight of one unit in kilograms: more than 0, at most 50.")
    sku = graphene.String()


class ProductCreateInput(graphene.InputObjectType):
    name = graphene.String(required=True)
    category = graphene.ID(required=True)
    farmer = graphene.ID(description="The farmer selling it; defaults to you when you are a farmer.")
    cooperative = graphene.ID(description="Or the cooperative selling it.")
    description = graphene.String()
    harvest_date = graphene.Date()
    is_published = graphene.Boolean(default_value=False)
    variants = graphene.List(graphene.NonNull(ProductVariantInput))


class ProductUpdateInput(graphene.InputObjectType):
    name = graphene.String()
    category = graphene.ID()
    description = graphene.String()
    harvest_date = graphene.Date()
    is_published = graphene.Boolean()


def _given(data) -> dict:
    """Only the fields the caller sent: an omitted field keeps its value."""
    return {key: value for key, value in dict(data).items() if value is not None}


def _product(global_id: str, field: str = "id") -> Product:
    return get_by_global_id(Product.objects.select_related("farmer", "cooperative"), global_id, "Product", field)


class CatalogMutation(BaseMutation):
    class Meta:
        abstract = True

    _error_type = ProductError
    _code_enum = ProductErrorCode
    _permission_check = staticmethod(is_seller)


class ProductCreate(CatalogMutation):
    product = graphene.Field(ProductType)

    class Arguments:
        input = ProductCreateInput(required=True)

    @classmethod
    def perform_mutation(cls, root, info, input):
        data = _given(input)
        category = get_by_global_id(Category.objects.all(), data.pop("category"), "Category", "category")
        farmer_id, cooperative_id = data.pop("farmer", None), data.pop("cooperative", None)
        farmer = get_by_global_id(Farmer.objects.all(), farmer_id, "Farmer", "farmer") if farmer_id else None
        cooperative = (
            get_by_global_id(Cooperative.objects.all(), cooperative_id, "Cooperative", "cooperative")
            if cooperative_id
            else None
        )
        variants = [_given(variant) for variant in data.pop("variants", [])]
        product = catalog.create_product(
            info.context.user, category=category, farmer=farmer, cooperative=cooperative, variants=variants, **data
        )
        return cls(product=product, errors=[])


class ProductUpdate(CatalogMutation):
    product = graphene.Field(ProductType)

    class Arguments:
        id = graphene.ID(required=True)
        input = ProductUpdateInput(required=True)

    @classmethod
    def perform_mutation(cls, root, info, id, input):
        product = _product(id)
        changes = _given(input)
        if "category" in changes:
            changes["category"] = get_by_global_id(Category.objects.all(), changes["category"], "Category", "category")
        product = catalog.update_product(info.context.user, product, **changes)
        return cls(product=product, errors=[])


class ProductDelete(CatalogMutation):
    deleted_id = graphene.ID(description="The ID of the product that was deleted.")

    class Arguments:
        id = graphene.ID(required=True)

    @classmethod
    def perform_mutation(cls, root, info, id):
        catalog.delete_product(info.context.user, _product(id))
        return cls(deleted_id=id, errors=[])


class ProductVariantCreate(CatalogMutation):
    variant = graphene.Field(VariantType)
    product = graphene.Field(ProductType)

    class Arguments:
        product = graphene.ID(required=True)
        input = ProductVariantInput(required=True)

    @classmethod
    def perform_mutation(cls, root, info, product, input):
        variant = catalog.create_variant(info.context.user, _product(product, "product"), **_given(input))
        return cls(variant=variant, product=variant.product, errors=[])


class ProductVariantUpdate(CatalogMutation):
    variant = graphene.Field(VariantType)
    product = graphene.Field(ProductType)

    class Arguments:
        id = graphene.ID(required=True)
        input = ProductVariantUpdateInput(required=True)

    @classmethod
    def perform_mutation(cls, root, info, id, input):
        variant = get_by_global_id(Variant.objects.all(), id, "ProductVariant", "id")
        variant = catalog.update_variant(info.context.user, variant, **_given(input))
        return cls(variant=variant, product=variant.product, errors=[])


class ProductImageCreate(CatalogMutation):
    """Upload a photo (multipart request). It is listed on the product once processed."""

    image = graphene.Field(ProductImageType, description="PENDING until processed; then listed on the product.")

    class Arguments:
        product = graphene.ID(required=True)
        image = Upload(required=True)
        alt = graphene.String()

    @classmethod
    def perform_mutation(cls, root, info, product, image, alt=""):
        created = catalog.add_product_image(info.context.user, _product(product, "product"), image, alt or "")
        return cls(image=created, errors=[])


class ShopMutations(graphene.ObjectType):
    product_create = ProductCreate.Field()
    product_update = ProductUpdate.Field()
    product_delete = ProductDelete.Field()
    product_variant_create = ProductVariantCreate.Field()
    product_variant_update = ProductVariantUpdate.Field()
    product_image_create = ProductImageCreate.Field()
