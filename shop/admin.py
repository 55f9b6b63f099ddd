from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import PermissionDenied, ValidationError
from django.template.response import TemplateResponse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from core.admin import ReadOnlyAdmin, ReadOnlyInline

from . import catalog
from .models import (
    Category,
    Checkout,
    CheckoutLine,
    Fulfilment,
    Order,
    OrderLine,
    ParcelDelivery,
    Product,
    ProductImage,
    ShippingMethod,
    ShippingRate,
    Variant,
)


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


class ProductAdminForm(forms.ModelForm):
    """The admin keeps the catalog's rules: one seller, the seller's village, publish once verified."""

    class Meta:
        model = Product
        fields = [
            "name",
            "slug",
            "category",
            "farmer",
            "cooperative",
            "description",
            "harvest_date",
            "is_published",
            "created_by",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["slug"].required = False
        self.fields["slug"].help_text = _("Left empty, one is made from the name.")

    def clean(self):
        data = super().clean()
        farmer, cooperative = data.get("farmer"), data.get("cooperative")
        if bool(farmer) == bool(cooperative):
            raise forms.ValidationError(_("Choose either a farmer or a cooperative as the seller."))
        product = self.instance
        product.farmer, product.cooperative = farmer, cooperative
        product.is_published = data.get("is_published", False)
        try:
            catalog.check_publishable(product)
        except ValidationError as error:
            self.add_error("is_published", error.error_dict["is_published"])
        return data


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    form = ProductAdminForm
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
    raw_id_fields = ["farmer", "cooperative", "created_by"]
    readonly_fields = ["min_price", "in_stock", "created_at", "updated_at"]
    date_hierarchy = "created_at"
    inlines = [VariantInline, ProductImageInline]

    @admin.display(description=_("seller"))
    def seller_name(self, obj):
        return obj.seller.name

    def save_model(self, request, obj, form, change):
        obj.village = obj.seller.village
        if not change:
            obj.created_by = obj.created_by or request.user
            obj.slug = obj.slug or catalog.new_slug(obj.name)
        super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        catalog.refresh_product_summary(form.instance)


@admin.register(Variant)
class VariantAdmin(admin.ModelAdmin):
    list_display = ["__str__", "price", "stock", "weight_kg"]
    search_fields = ["name", "sku", "product__name"]
    list_filter = ["product__category__parent"]
    raw_id_fields = ["product"]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        catalog.refresh_product_summary(obj.product)

    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        catalog.refresh_product_summary(obj.product)

    def delete_queryset(self, request, queryset):
        products = {variant.product for variant in queryset.select_related("product")}
        super().delete_queryset(request, queryset)
        for product in products:
            catalog.refresh_product_summary(product)


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


# --- Shipping, checkouts, orders ----------------------------------------------------------------


class ShippingRateInline(admin.TabularInline):
    model = ShippingRate
    extra = 1
    fields = ["max_weight_kg", "price"]


@admin.register(ShippingMethod)
class ShippingMethodAdmin(admin.ModelAdmin):
    """The table parcels are priced from: each row is "parcels up to this weight cost this much"."""

    list_display = ["name", "is_active", "extra_kg_price", "position"]
    list_filter = ["is_active"]
    search_fields = ["name"]
    inlines = [ShippingRateInline]


class CheckoutLineInline(ReadOnlyInline):
    model = CheckoutLine
    fields = ["variant", "quantity"]


class ParcelDeliveryInline(ReadOnlyInline):
    model = ParcelDelivery
    fields = ["farmer", "cooperative", "method"]


@admin.register(Checkout)
class CheckoutAdmin(ReadOnlyAdmin):
    list_display = ["id", "email", "user", "completed_at", "updated_at"]
    list_filter = [("completed_at", admin.EmptyFieldListFilter)]
    search_fields = ["id", "email", "user__username"]
    inlines = [CheckoutLineInline, ParcelDeliveryInline]


class OrderLineInline(ReadOnlyInline):
    model = OrderLine
    fields = ["product_name", "variant_name", "unit_price", "quantity", "total", "seller_name", "village_name"]


class FulfilmentInline(ReadOnlyInline):
    model = Fulfilment
    fields = ["seller_name", "status", "subtotal", "shipping_price", "carrier", "tracking_number", "shipped_at"]


@admin.register(Order)
class OrderAdmin(ReadOnlyAdmin):
    list_display = ["number", "email", "status", "payment_method", "total", "created_at", "paid_at"]
    list_filter = ["status", "payment_method", "province"]
    search_fields = ["id", "email", "recipient", "phone", "lines__product_name", "fulfilments__seller_name"]
    date_hierarchy = "created_at"
    inlines = [FulfilmentInline, OrderLineInline]
    actions = ["confirm_offline_payment", "cancel_orders"]

    def has_change_permission(self, request, obj=None):
        """Django's permission check, not ReadOnlyAdmin's refusal: the change page shows the order
        (its fields read-only) to those who may act on it."""
        return admin.ModelAdmin.has_change_permission(self, request, obj)

    def has_confirm_payment_permission(self, request):
        return request.user.has_perm("payments.change_payment")

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in Order._meta.fields]

    @admin.display(description=_("order number"), ordering="id")
    def number(self, obj):
        return obj.number

    @admin.action(description=_("Confirm the offline payment was received"), permissions=["confirm_payment"])
    def confirm_offline_payment(self, request, queryset):
        """First a page listing the chosen orders, each with a field for the reference the money
        came with; once sent, each payment through the service, with a message per order."""
        from payments.forms import OfflinePaymentForm

        orders = list(queryset.select_related("payment").order_by("pk"))
        sent = request.POST.get("post") == "yes"
        rows = [
            (order, OfflinePaymentForm(request.POST if sent else None, prefix=f"order-{order.pk}")) for order in orders
        ]
        if sent and all(form.is_valid() for _order, form in rows):
            for order, form in rows:
                self._confirm_payment(request, order, form.cleaned_data["reference"])
            return None  # back to the list of orders, with the messages
        context = {
            **self.admin_site.each_context(request),
            "title": _("Confirm offline payments"),
            "opts": self.opts,
            "rows": rows,
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            "media": self.media,
        }
        return TemplateResponse(request, "admin/shop/order/confirm_offline_payment.html", context)

    def _confirm_payment(self, request, order, reference: str) -> None:
        """One order's payment through the service; what it refuses (already paid, not offline) is
        an error message naming the order, never an error page."""
        from payments import shopper_payments as payments

        payment = getattr(order, "payment", None)  # every order has one, unless something went wrong
        try:
            if payment is None:
                raise ValidationError(_("The order has no payment."))
            payments.confirm_offline_payment(request.user, payment, reference)
        except ValidationError as error:
            reason = " ".join(error.messages)
        except PermissionDenied as error:
            reason = str(error)
        else:
            if reference:
                done = _("Order %(number)s: payment received, reference %(reference)s.")
            else:
                done = _("Order %(number)s: payment received.")
            self.message_user(request, done % {"number": order.number, "reference": reference}, messages.SUCCESS)
            return
        failed = _("Order %(number)s: %(reason)s") % {"number": order.number, "reason": reason}
        self.message_user(request, failed, messages.ERROR)

    @admin.action(description=_("Cancel (returns stock, refunds what was paid)"), permissions=["change"])
    def cancel_orders(self, request, queryset):
        from . import orders

        for order in queryset:
            try:
                orders.cancel_order(request.user, order)
            except ValidationError as error:
                self.message_user(request, f"{order.number}: {' '.join(error.messages)}", level="error")


@admin.register(Fulfilment)
class FulfilmentAdmin(ReadOnlyAdmin):
    list_display = ["__str__", "status", "carrier", "tracking_number", "shipped_at", "delivered_at"]
    list_filter = ["status", "village__county__province"]
    search_fields = ["seller_name", "tracking_number", "order__email"]
