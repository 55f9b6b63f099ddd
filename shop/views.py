from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, render

from farmers.models import Village

from . import permissions, provenance, selectors
from .models import Category

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
    product = get_object_or_404(
        selectors.with_catalog_relations(permissions.products_visible_to(request.user)), slug=slug
    )
    return render(
        request, "shop/product.html", {"product": product, "seller": product.seller, "village": product.village}
    )


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
