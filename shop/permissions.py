"""Who may see and change the shop's goods, orders and parcels: plain functions of (user, object)
and the querysets of what a user may see or manage, used alike by services, pages and the API."""

from django.db.models import Q

from core.permissions import authenticated
from farmers.models import Cooperative, Farmer
from farmers.permissions import can_act_for_cooperative, can_act_for_farmer

from .models import Fulfilment, Order, Product
from .selectors import visible_products


def sold_by(user) -> Q:
    """Goods or parcels of the user's own, of their cooperatives and of its members."""
    return Q(farmer__user=user) | Q(farmer__cooperative__managers=user) | Q(cooperative__managers=user)


# --- Goods ------------------------------------------------------------------------------------


def can_manage_product(user, product: Product) -> bool:
    if product.farmer_id:
        return can_act_for_farmer(user, product.farmer)
    return can_act_for_cooperative(user, product.cooperative)


def products_visible_to(user):
    """Shoppers: the visible catalog. Sellers also see their own drafts; staff see everything."""
    if authenticated(user) and user.is_staff:
        return Product.objects.all()
    visible = Q(pk__in=visible_products().values("pk"))
    if authenticated(user):
        return Product.objects.filter(visible | Q(pk__in=Product.objects.filter(sold_by(user)).values("pk")))
    return Product.objects.filter(visible)


def products_managed_by(user):
    """What a seller may change (`can_manage_product` as a query; a subquery, so no duplicates)."""
    if not authenticated(user):
        return Product.objects.none()
    if user.is_staff:
        return Product.objects.all()
    return Product.objects.filter(pk__in=Product.objects.filter(sold_by(user)).values("pk"))


def sellers_for(user):
    """The farmers and cooperatives a user may list goods for, as (cooperatives, farmers) querysets.
    Staff may act for anyone; everyone else for themselves and their cooperatives and members."""
    if not authenticated(user):
        return Cooperative.objects.none(), Farmer.objects.none()
    if user.is_staff:
        return Cooperative.objects.all(), Farmer.objects.select_related("village")
    cooperatives = Cooperative.objects.filter(managers=user)
    farmers = Farmer.objects.filter(Q(user=user) | Q(cooperative__in=cooperatives.values("pk"))).select_related(
        "village"
    )
    return cooperatives.order_by("name", "pk"), farmers.order_by("name", "pk")


# --- Orders and parcels -----------------------------------------------------------------------


def can_ship(user, fulfilment: Fulfilment) -> bool:
    """The seller: the farmer (or their cooperative's manager), the cooperative's manager, or staff."""
    if fulfilment.farmer_id:
        return can_act_for_farmer(user, fulfilment.farmer)
    return can_act_for_cooperative(user, fulfilment.cooperative)


def can_manage_order(user, order: Order) -> bool:
    return authenticated(user) and (user.is_staff or (order.user_id is not None and order.user_id == user.pk))


def orders_of(user):
    if not authenticated(user):
        return Order.objects.none()
    return Order.objects.filter(user=user)


def fulfilments_to_ship(user):
    """The parcels this user ships: their own, their cooperative members', their cooperatives'."""
    if not authenticated(user):
        return Fulfilment.objects.none()
    return Fulfilment.objects.filter(sold_by(user)).distinct()


# --- Earnings ---------------------------------------------------------------------------------


def can_see_earnings(user, seller) -> bool:
    """A seller's statement: the farmer, their cooperative's manager, the cooperative's manager, or
    staff (the people who act for the seller)."""
    if isinstance(seller, Farmer):
        return can_act_for_farmer(user, seller)
    return can_act_for_cooperative(user, seller)


def statement_sellers(user) -> list:
    """The statements a user opens from their earnings page: their own farmer first, then each
    cooperative they manage followed by its members. Operators open others by naming them."""
    if not authenticated(user):
        return []
    own = list(Farmer.objects.filter(user=user))
    listed = list(own)
    for cooperative in Cooperative.objects.filter(managers=user).order_by("name", "pk"):
        listed.append(cooperative)
        listed += [member for member in cooperative.members.order_by("name", "pk") if member not in own]
    return listed
