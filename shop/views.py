from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from core import viewers
from farmers.models import Village

from . import checkout, permissions, provenance, selectors
from .models import Category
from .signals import product_viewed
from .storefront import carts
from .storefront.forms import AddToCartForm

PAGE_SIZE = 24


def home(request):
    products = selectors.with_catalog_relations(selectors.sort_products(selectors.visible_products()))
    category_slug = request.GET.get("category")
    category = None
    if category_slug:
        category = Category.objects.filter(slug=category_slug).first()
        if category:
            products = selectors.filter_products(products, category=category)
    page = Paginator(products, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "shop/home.html",
        {
            "page": page,
            "categories": selectors.top_categories(),
            "current_category": category,
        },
    )


def product_detail(request, slug):
    """The goods, who grew them and where; choosing a size and a quantity puts them in the cart."""
    product = get_object_or_404(
        selectors.with_catalog_relations(permissions.products_visible_to(request.user)), slug=slug
    )
    variants = list(product.variants.all())
    form = AddToCartForm(variants, request.POST or None)
    status = 200
    if request.method == "GET":
        product_viewed.send(sender=type(product), product=product, request=request)
    if request.method == "POST":
        if form.is_valid():
            line = checkout.LineRequest(form.cleaned_data["variant"], form.cleaned_data["quantity"])
            try:
                carts.add_to_cart(request, [line])
            except ValidationError as error:
                form.add_service_errors(error)
            else:
                messages.success(request, _("%(name)s is in your cart.") % {"name": product.name})
                return viewers.remember(request, redirect("shop:cart"))
        status = 400
    response = render(
        request,
        "shop/product.html",
        {"product": product, "seller": product.seller, "village": product.village, "form": form},
        status=status,
    )
    return viewers.remember(request, response)  # a cookie a receiver minted for a first visit


def village_detail(request, slug):
    village = get_object_or_404(Village.objects.select_related("county__province"), slug=slug)
    products = selectors.with_catalog_relations(
        selectors.sort_products(selectors.visible_products().filter(village=village))
    )
    page = Paginator(products, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "shop/village.html", {"village": village, "page": page})


def line_provenance(request, token):
    """The public page of one order line (a parcel's QR code leads here): the goods and where they
    come from, nothing about the shopper or the farmer's contact."""
    line = provenance.line_for_token(token)
    if line is None:
        raise Http404
    return render(request, "shop/provenance.html", {"line": line, "share": provenance.line_share(line)})
