from django.contrib import admin
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from . import services
from .models import Category, Product, ProductImage, Variant


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ["name", "name_en", "parent", "position"]
    list_filter = ["parent"]
    search_fields = ["name", "name_en"]
    prepopulated_fields = {"slug": ["name_en"]}


class VariantInline(admin.TabularInline):
    model = Variant
    extra = 0
    fields = ["name", "sku", "price", "stock", "weight_kg", "position"]


class ProductImageInline(admin.TabularInline):
    model = ProductImage
    extra = 0
    fields = ["preview", "alt", "position", "status", "error_code"]
    readonly_fields = ["preview", "status", "error_code"]

    @admin.display(description=_("photo"))
    def preview(self, obj):
        url = obj.url("small")
        return format_html('<img src="{}" height="60">', url) if url else "—"


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    list_display = ["name", "category", "seller_name", "village", "min_price", "in_stock", "is_published", "created_at"]
    list_filter = [
        "is_published",
        "in_stock",
        "category__parent",
        "category",
        "village__county__province",
        "farmer__verification_state",
    ]
    search_fields = ["name", "slug", "farmer__name", "cooperative__name", "village__name", "village__county__name"]
    list_select_related = ["category", "farmer", "cooperative", "village"]
    raw_id_fields = ["farmer", "cooperative", "village", "created_by"]
    readonly_fields = ["min_price", "in_stock", "created_at", "updated_at"]
    date_hierarchy = "created_at"
    inlines = [VariantInline, ProductImageInline]

    @admin.display(description=_("seller"))
    def seller_name(self, obj):
        return obj.seller.name

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        services.refresh_product_summary(form.instance)


@admin.register(Variant)
class VariantAdmin(admin.ModelAdmin):
    list_display = ["__str__", "price", "stock", "weight_kg"]
    search_fields = ["name", "sku", "product__name"]
    list_filter = ["product__category__parent"]
    raw_id_fields = ["product"]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        services.refresh_product_summary(obj.product)


@admin.register(ProductImage)
class ProductImageAdmin(admin.ModelAdmin):
    list_display = ["__str__", "status", "error_code", "width", "height", "created_at"]
    list_filter = ["status"]
    search_fields = ["product__name", "alt"]
    raw_id_fields = ["product"]
    readonly_fields = [
        "status",
        "error_code",
        "error_message",
        "original",
        "small",
        "medium",
        "large",
        "width",
        "height",
    ]
