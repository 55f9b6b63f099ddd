"""The seller's pages: list goods, see and change one's own listings. Each view parses the form,
calls `shop.catalog` and shapes the page; the rules live in the services.

Server-rendered and without JavaScript: many farmers use a cheap Android phone on a slow network.
"""

from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.templatetags.money import yuan
from farmers.models import Cooperative
from farmers.permissions import is_seller
from shop import catalog, permissions, selectors
from shop.models import ImageStatus, Product, Variant

from .forms import ProductEditForm, ProductForm, VariantFormSet, VariantPriceStockForm

PAGE_SIZE = 20
# Where a service's error about a product field is shown on the listing form.
PRODUCT_FIELD_FOR = {"image": "photo", "cooperative": "farmer"}
# …and a service's error about a variant field, on a variant form.
VARIANT_FIELD_FOR = {"weight_kg": "weight"}


def seller_required(view):
    """Anonymous: to the log-in page. Logged in but with nothing to sell (a shopper): 403."""

    @login_required
    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if not is_seller(request.user):
            raise PermissionDenied(_("These pages are for farmers and cooperatives."))
        return view(request, *args, **kwargs)

    return wrapped


def _managed_product(request, pk):
    return get_object_or_404(
        permissions.products_managed_by(request.user).select_related("farmer", "cooperative"), pk=pk
    )


def _put_error(form, field: str, errors) -> None:
    form.add_error(field if field in form.fields else None, errors)


def _apply_service_errors(exc: ValidationError, form, variant_forms: list) -> None:
    """Put a service's errors (`name`, `image`, `variants.1.price`, …) beside the fields they concern."""
    for key, errors in exc.error_dict.items():
        parts = key.split(".")
        if parts[0] == "variants" and len(parts) == 3 and parts[1].isdigit() and int(parts[1]) < len(variant_forms):
            _put_error(variant_forms[int(parts[1])], VARIANT_FIELD_FOR.get(parts[2], parts[2]), errors)
        else:
            _put_error(form, PRODUCT_FIELD_FOR.get(key, key), errors)


# --- Listing goods ------------------------------------------------------------------------------


@seller_required
def product_new(request):
    if request.method == "POST":
        form = ProductForm(request.POST, request.FILES, user=request.user)
        formset = VariantFormSet(request.POST, prefix="variants")
        if form.is_valid() and formset.is_valid():
            product = _create_listing(request, form, formset)
            if product is not None:
                _announce_new_listing(request, product)
                return redirect("seller:products")
        form.ask_for_the_photo_again()
    else:
        form = ProductForm(user=request.user)
        formset = VariantFormSet(prefix="variants")
    return render(request, "seller/product_form.html", {"form": form, "formset": formset})


def _create_listing(request, form, formset) -> Product | None:
    """Product, variants and photo together or not at all; None (and errors on the forms) when refused."""
    data = form.cleaned_data
    seller = data.get("farmer")
    variant_forms = formset.filled_forms()
    try:
        with transaction.atomic():
            product = catalog.create_product(
                request.user,
                name=data["name"],
                category=data["category"],
                farmer=None if isinstance(seller, Cooperative) else seller,
                cooperative=seller if isinstance(seller, Cooperative) else None,
                description=data["description"],
                harvest_date=data["harvest_date"],
                publish_when_verified=True,
                variants=[variant_form.service_values() for variant_form in variant_forms],
            )
            if data.get("photo"):
                catalog.add_product_image(request.user, product, data["photo"], alt=data["name"])
    except ValidationError as exc:
        _apply_service_errors(exc, form, variant_forms)
        return None
    return product


def _announce_new_listing(request, product):
    if product.is_published:
        messages.success(request, _("“%(name)s” is listed and shoppers can see it now.") % {"name": product.name})
    else:
        messages.success(
            request,
            _("“%(name)s” is saved. It will be published as soon as the seller is verified.") % {"name": product.name},
        )


@seller_required
def product_edit(request, pk):
    product = _managed_product(request, pk)
    if request.method == "POST":
        form = ProductEditForm(request.POST, request.FILES)
        if form.is_valid():
            data = form.cleaned_data
            try:
                with transaction.atomic():
                    fields = ("name", "category", "description", "harvest_date")
                    catalog.update_product(request.user, product, **{field: data[field] for field in fields})
                    if data.get("photo"):
                        catalog.add_product_image(request.user, product, data["photo"], alt=data["name"])
            except ValidationError as exc:
                _apply_service_errors(exc, form, [])
            else:
                messages.success(request, _("Your changes to “%(name)s” are saved.") % {"name": data["name"]})
                return redirect("seller:products")
        form.ask_for_the_photo_again()
    else:
        form = ProductEditForm(initial=_details_of(product))
    return _render_edit(request, product, form)


def _render_edit(request, product, form, bound_variant_form=None, status=200):
    """The product's details form, and below it each size's price, weight and stock form (posted to
    `variant_update`, which comes back here); a size without a weight has that field marked."""
    variant_forms = [
        bound_variant_form
        if bound_variant_form is not None and bound_variant_form.variant.pk == variant.pk
        else VariantPriceStockForm(variant=variant, initial={"back": "edit"})
        for variant in product.variants.all()
    ]
    context = {"form": form, "product": product, "variant_forms": variant_forms}
    return render(request, "seller/product_edit.html", context, status=status)


# --- My products --------------------------------------------------------------------------------


@seller_required
def products(request):
    return _render_products(request, request.GET.get("page"))


def _render_products(request, page_number, bound_form=None, status=200):
    """The list, with the price-and-stock form of each variant; `bound_form` is one that was refused,
    shown with its errors on its own row."""
    queryset = selectors.with_seller_relations(permissions.products_managed_by(request.user))
    page = Paginator(queryset, PAGE_SIZE).get_page(page_number)
    rows = []
    for product in page.object_list:
        variants = []
        for variant in product.variants.all():
            if bound_form is not None and bound_form.variant.pk == variant.pk:
                form = bound_form
            else:
                form = VariantPriceStockForm(variant=variant, initial={"page": page.number})
            variants.append((variant, form))
        images = product.all_images
        rows.append(
            {
                "product": product,
                "state": selectors.listing_state(product),
                "own": bool(product.farmer_id and product.farmer.user_id == request.user.pk),
                "photo": next((image for image in images if image.status == ImageStatus.READY), None),
                "photo_processing": any(image.status == ImageStatus.PENDING for image in images),
                "photo_failed": bool(images) and all(image.status == ImageStatus.FAILED for image in images),
                "variants": variants,
                "needs_weight": any(catalog.needs_weight(variant) for variant, _form in variants),
            }
        )
    show_seller = not (hasattr(request.user, "farmer") and not request.user.is_staff) or any(
        not row["own"] for row in rows
    )
    context = {"page": page, "rows": rows, "show_seller": show_seller}
    return render(request, "seller/products.html", context, status=status)


def _back_to_list(page):
    url = reverse("seller:products")
    return f"{url}?page={page}" if page and page > 1 else url


@seller_required
@require_POST
def variant_update(request, pk):
    variant = get_object_or_404(
        Variant.objects.select_related("product").filter(product__in=permissions.products_managed_by(request.user)),
        pk=pk,
    )
    form = VariantPriceStockForm(request.POST, variant=variant)
    if form.is_valid():
        data = form.cleaned_data
        try:
            variant = catalog.update_variant(
                request.user, variant, price=data["price"], stock=data["stock"], weight_kg=data["weight"]
            )
        except ValidationError as exc:
            _apply_service_errors(exc, form, [])
        else:
            messages.success(
                request,
                _("Saved: %(product)s · %(unit)s, %(price)s, %(stock)d in stock.")
                % {
                    "product": variant.product.name,
                    "unit": variant.name,
                    "price": yuan(variant.price),
                    "stock": variant.stock,
                },
            )
            if data["back"] == "edit":
                return redirect("seller:product_edit", variant.product_id)
            return redirect(_back_to_list(data.get("page")))
    if form.cleaned_data.get("back") == "edit":
        product = _managed_product(request, variant.product_id)
        return _render_edit(request, product, ProductEditForm(initial=_details_of(product)), bound_variant_form=form)
    return _render_products(request, form.cleaned_data.get("page"), bound_form=form)


def _details_of(product) -> dict:
    return {
        "name": product.name,
        "category": product.category_id,
        "description": product.description,
        "harvest_date": product.harvest_date,
    }


@seller_required
@require_POST
def product_unpublish(request, pk):
    product = _managed_product(request, pk)
    catalog.update_product(request.user, product, is_published=False)
    messages.success(request, _("“%(name)s” is no longer shown to shoppers.") % {"name": product.name})
    return redirect(_back_to_list(_page_of(request)))


@seller_required
@require_POST
def product_publish(request, pk):
    product = _managed_product(request, pk)
    product = catalog.update_product(request.user, product, publish_when_verified=True)
    if product.is_published:
        messages.success(request, _("“%(name)s” is published.") % {"name": product.name})
    else:
        messages.info(
            request,
            _("“%(name)s” will be published as soon as the seller is verified.") % {"name": product.name},
        )
    return redirect(_back_to_list(_page_of(request)))


def _page_of(request) -> int | None:
    page = request.POST.get("page", "")
    return int(page) if page.isdigit() else None
