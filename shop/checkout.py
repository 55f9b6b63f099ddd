"""Checkout: the cart, its address and delivery, and its completion into an order.

Completion is the one place stock is taken. The variants' rows are locked in ID order, so two
checkouts sharing variants cannot deadlock, then every line's stock is decremented by one
conditional UPDATE (`stock >= quantity`): the row locks make the check and the decrement one step,
so no interleaving of any number of processes can sell a unit twice, and the statements do not
grow with the cart. The checkout row is locked first and the order carries
the checkout's ID under a unique constraint, so a repeated or concurrent completion returns the
order already made."""

from dataclasses import dataclass, field
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import Case, F, IntegerField, Value, When, prefetch_related_objects
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import field_error
from farmers.models import Farmer
from farmers.registration import normalise_phone
from payments import gateways
from payments import shopper_payments as payments

from . import catalog
from .limits import MAX_CART_WEIGHT_KG, MAX_CHECKOUT_LINES, MAX_LINE_QUANTITY
from .models import (
    Checkout,
    CheckoutLine,
    Fulfilment,
    Order,
    OrderLine,
    ParcelDelivery,
    ShippingMethod,
    Variant,
)
from .regions import normalise_province
from .selectors import visible_products
from .shipping import active_methods, parcel_price
from .signals import order_placed

# --- Access -----------------------------------------------------------------------------------


def checkout_for(user, checkout_id) -> Checkout:
    """A shopper's own checkout, or a guest checkout (reached by its unguessable ID alone)."""
    checkout = Checkout.objects.select_related("shipping_method").filter(pk=checkout_id).first()
    if checkout is None:
        raise field_error("id", _("No checkout with this ID."), "not_found")
    if checkout.user_id is not None and not (user and user.is_authenticated and user.pk == checkout.user_id):
        raise PermissionDenied(_("This checkout belongs to another account."))
    return checkout


def _ensure_open(checkout: Checkout) -> None:
    if checkout.completed_at is not None:
        raise field_error(None, _("This checkout has become an order and can no longer change."), "checkout_completed")


# --- Lines ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LineRequest:
    variant: Variant
    quantity: int


def _clean_quantity(quantity) -> int:
    if isinstance(quantity, bool) or not isinstance(quantity, int) or not 1 <= quantity <= MAX_LINE_QUANTITY:
        raise field_error(
            "quantity",
            _("Choose a quantity from 1 to %(max)d."),
            "invalid_quantity",
            max=MAX_LINE_QUANTITY,
        )
    return quantity


def _ensure_buyable(variants: list[Variant]) -> None:
    """Only goods shoppers can see can be bought: published, priced, from a verified seller."""
    product_ids = {variant.product_id for variant in variants}
    visible = set(visible_products().filter(pk__in=product_ids).values_list("pk", flat=True))
    hidden = [variant for variant in variants if variant.product_id not in visible]
    if hidden:
        raise field_error(
            "variant",
            _("%(names)s cannot be bought now."),
            "product_unavailable",
            names="、".join(sorted({variant.product.name for variant in hidden})),
        )


def _ensure_in_stock(wanted: dict[Variant, int], lines_by_variant: dict[int, CheckoutLine] | None = None) -> None:
    short = [variant for variant, quantity in wanted.items() if quantity > variant.stock]
    if short:
        raise _insufficient_stock(short, lines_by_variant or {})


def _insufficient_stock(variants: list[Variant], lines_by_variant: dict[int, CheckoutLine]) -> ValidationError:
    names = "、".join(f"{variant.product.name} · {variant.name} ({variant.stock})" for variant in variants)
    line_ids = [lines_by_variant[v.pk].pk for v in variants if v.pk in lines_by_variant]
    return field_error(
        "lines",
        _("Not enough in stock (units left in brackets): %(names)s."),
        "insufficient_stock",
        names=names,
        lines=line_ids,
    )


def _too_heavy(weight_kg: Decimal) -> ValidationError:
    return field_error(
        "lines",
        _("A cart can weigh at most %(max)s kg; this one would weigh %(weight)s kg. Order less, or in several orders."),
        "cart_too_heavy",
        max=f"{MAX_CART_WEIGHT_KG:,f}",
        weight=f"{weight_kg.normalize():,f}",
    )


def _ensure_light_enough(checkout: Checkout, quantities: dict[Variant, int]) -> None:
    """The cart with these variants at these quantities (its other lines as they are) weighs at
    most MAX_CART_WEIGHT_KG, so its parcels' weights and shipping fit their columns (shop.limits)."""
    others = checkout.lines.exclude(variant__in=[variant.pk for variant in quantities])
    weight = sum((kg * quantity for kg, quantity in others.values_list("variant__weight_kg", "quantity")), Decimal(0))
    weight += sum((variant.weight_kg * quantity for variant, quantity in quantities.items()), Decimal(0))
    if weight > MAX_CART_WEIGHT_KG:
        raise _too_heavy(weight)


def _merged(requests: list[LineRequest]) -> dict[Variant, int]:
    variants: dict[int, Variant] = {}
    quantities: dict[int, int] = {}
    for request in requests:
        variants.setdefault(request.variant.pk, request.variant)
        quantities[request.variant.pk] = quantities.get(request.variant.pk, 0) + _clean_quantity(request.quantity)
    return {variants[pk]: quantity for pk, quantity in quantities.items()}


@transaction.atomic
def create_checkout(user, *, email: str | None = None, lines: list[LineRequest] = ()) -> Checkout:
    email = _clean_email(email) if email else (user.email if user and user.is_authenticated else "")
    owner = user if user and user.is_authenticated else None
    checkout = Checkout.objects.create(user=owner, email=email)
    if lines:
        add_lines(checkout, list(lines))
    return checkout


def _clean_email(email: str) -> str:
    email = (email or "").strip()
    try:
        validate_email(email)
    except ValidationError:
        raise field_error("email", _("Enter a valid email address."), "invalid") from None
    return email


@transaction.atomic
def update_email(checkout: Checkout, email: str) -> Checkout:
    _ensure_open(checkout)
    checkout.email = _clean_email(email)
    checkout.save(update_fields=["email", "updated_at"])
    return checkout


@transaction.atomic
def add_lines(checkout: Checkout, requests: list[LineRequest]) -> Checkout:
    """Add goods; a variant already in the cart has its quantity raised."""
    _ensure_open(checkout)
    if not requests:
        raise field_error("lines", _("Add at least one item."), "required")
    wanted = _merged(requests)
    _ensure_buyable(list(wanted))
    existing = {line.variant_id: line for line in checkout.lines.all()}
    totals = {
        variant: quantity + (existing[variant.pk].quantity if variant.pk in existing else 0)
        for variant, quantity in wanted.items()
    }
    for quantity in totals.values():
        _clean_quantity(quantity)
    new_variants = [variant for variant in totals if variant.pk not in existing]
    if len(existing) + len(new_variants) > MAX_CHECKOUT_LINES:
        raise field_error("lines", _("A cart holds at most %(max)d items."), "too_many_lines", max=MAX_CHECKOUT_LINES)
    _ensure_in_stock(totals, existing)
    _ensure_light_enough(checkout, totals)
    for variant, quantity in totals.items():
        if variant.pk in existing:
            CheckoutLine.objects.filter(pk=existing[variant.pk].pk).update(quantity=quantity, price_seen=variant.price)
    CheckoutLine.objects.bulk_create(
        CheckoutLine(checkout=checkout, variant=variant, quantity=totals[variant], price_seen=variant.price)
        for variant in new_variants
    )
    checkout.save(update_fields=["updated_at"])
    return checkout


@transaction.atomic
def update_lines(checkout: Checkout, changes: list[tuple[CheckoutLine, int]]) -> Checkout:
    """Set quantities. A quantity of 0 is refused: removing is `delete_lines`, so a slip of the
    thumb never empties a line."""
    _ensure_open(checkout)
    if not changes:
        raise field_error("lines", _("Name at least one line to change."), "required")
    for line, quantity in changes:
        if line.checkout_id != checkout.pk:
            raise field_error("line", _("This line is not in this checkout."), "not_found")
        _clean_quantity(quantity)
    lines = {line.pk: (line, quantity) for line, quantity in changes}
    _ensure_in_stock(
        {line.variant: quantity for line, quantity in lines.values()},
        {line.variant_id: line for line, _quantity in lines.values()},
    )
    _ensure_light_enough(checkout, {line.variant: quantity for line, quantity in lines.values()})
    for line, quantity in lines.values():
        CheckoutLine.objects.filter(pk=line.pk).update(quantity=quantity, price_seen=line.variant.price)
    checkout.save(update_fields=["updated_at"])
    return checkout


@transaction.atomic
def delete_lines(checkout: Checkout, lines: list[CheckoutLine]) -> Checkout:
    _ensure_open(checkout)
    if any(line.checkout_id != checkout.pk for line in lines):
        raise field_error("lines", _("This line is not in this checkout."), "not_found")
    CheckoutLine.objects.filter(pk__in=[line.pk for line in lines]).delete()
    checkout.save(update_fields=["updated_at"])
    return checkout


# --- Address and delivery ---------------------------------------------------------------------

ADDRESS_LIMITS = {
    field.name: field.max_length for field in Checkout._meta.fields if field.name in Checkout.ADDRESS_FIELDS
}
ADDRESS_LIMITS["phone"] = 30  # as typed (+86 138 0013 8000); stored as 11 digits


def clean_address(values: dict) -> dict:
    """All six parts are required; the province is one of the 31, the phone a mainland mobile."""
    errors: dict[str, ValidationError] = {}
    cleaned = {}
    for name in Checkout.ADDRESS_FIELDS:
        text = " ".join(str(values.get(name) or "").split())
        if not text:
            errors[name] = ValidationError(_("This part of the address is required."), code="required")
        elif len(text) > ADDRESS_LIMITS[name]:
            errors[name] = ValidationError(
                _("At most %(max)d characters."), code="max_length", params={"max": ADDRESS_LIMITS[name]}
            )
        cleaned[name] = text
    if "province" not in errors:
        province = normalise_province(cleaned["province"])
        if province is None:
            errors["province"] = ValidationError(
                _("Enter a mainland province, region or municipality, e.g. 广东省 or 北京市."), code="invalid"
            )
        cleaned["province"] = province
    if "phone" not in errors:
        phone = normalise_phone(cleaned["phone"])
        if phone is None:
            errors["phone"] = ValidationError(
                _("Enter an 11-digit mainland mobile number, e.g. 13800138000."), code="invalid_phone"
            )
        cleaned["phone"] = phone
    if errors:
        raise ValidationError(errors)
    return cleaned


@transaction.atomic
def update_shipping_address(checkout: Checkout, values: dict) -> Checkout:
    _ensure_open(checkout)
    for name, value in clean_address(values).items():
        setattr(checkout, name, value)
    checkout.save(update_fields=[*Checkout.ADDRESS_FIELDS, "updated_at"])
    return checkout


@transaction.atomic
def update_contact(checkout: Checkout, *, email: str, address: dict) -> Checkout:
    """The email and the address in one step, as the checkout page asks for them: both are
    checked before either is saved, and every wrong part is reported at once."""
    _ensure_open(checkout)
    errors: dict[str, list] = {}
    try:
        email = _clean_email(email)
    except ValidationError as error:
        errors.update(error.error_dict)
    try:
        address = clean_address(address)
    except ValidationError as error:
        errors.update(error.error_dict)
    if errors:
        raise ValidationError(errors)
    checkout.email = email
    for name, value in address.items():
        setattr(checkout, name, value)
    checkout.save(update_fields=["email", *Checkout.ADDRESS_FIELDS, "updated_at"])
    return checkout


@transaction.atomic
def update_delivery_method(checkout: Checkout, method: ShippingMethod) -> Checkout:
    """One method for every parcel (the parcels' own choices are dropped)."""
    _ensure_open(checkout)
    _ensure_offered(method)
    checkout.parcel_deliveries.all().delete()
    checkout.shipping_method = method
    checkout.save(update_fields=["shipping_method", "updated_at"])
    return checkout


def _ensure_offered(method: ShippingMethod) -> None:
    if not method.is_active:
        raise field_error("delivery_method", _("This delivery method is not offered."), "invalid")


@transaction.atomic
def update_parcel_delivery_methods(checkout: Checkout, choices: dict[str, ShippingMethod]) -> Checkout:
    """A method for each parcel, by seller key (`Parcel.key`): every parcel of the cart needs one.
    The first parcel's method becomes the checkout's own, for goods added later."""
    _ensure_open(checkout)
    parcels = totals_of(checkout).parcels
    keys = [parcel.key for parcel in parcels]
    if set(choices) - set(keys):
        raise field_error("delivery_method", _("That parcel is not in this cart."), "not_found")
    missing = [parcel.seller.name for parcel in parcels if parcel.key not in choices]
    if missing:
        raise field_error(
            "delivery_method",
            _("Choose how each parcel travels (missing: %(sellers)s)."),
            "delivery_method_not_set",
            sellers="、".join(missing),
        )
    for method in choices.values():
        _ensure_offered(method)
        try:
            parcel_price(method, Decimal("0"))
        except ValidationError:
            raise field_error("delivery_method", _("This delivery method has no prices yet."), "invalid") from None
    checkout.parcel_deliveries.all().delete()
    ParcelDelivery.objects.bulk_create(
        ParcelDelivery(
            checkout=checkout,
            farmer=parcel.seller if isinstance(parcel.seller, Farmer) else None,
            cooperative=None if isinstance(parcel.seller, Farmer) else parcel.seller,
            method=choices[parcel.key],
        )
        for parcel in parcels
    )
    checkout.shipping_method = choices[keys[0]]
    checkout.save(update_fields=["shipping_method", "updated_at"])
    for cached in ("_parcel_choices", "_loaded_lines"):
        checkout.__dict__.pop(cached, None)
    return checkout


# --- Totals -----------------------------------------------------------------------------------


@dataclass
class Parcel:
    """One seller's share of a checkout: shipped as one parcel."""

    seller: object
    lines: list[CheckoutLine] = field(default_factory=list)
    subtotal: Decimal = Decimal("0.00")
    weight_kg: Decimal = Decimal("0")
    method: ShippingMethod | None = None  # the parcel's own choice, else the checkout's method
    shipping_price: Decimal | None = None

    @property
    def key(self) -> str:
        """The seller, as a form or the API names this parcel: "farmer-12", "cooperative-3"."""
        return seller_key(self.seller)


def seller_key(seller) -> str:
    return f"{'farmer' if isinstance(seller, Farmer) else 'cooperative'}-{seller.pk}"


@dataclass
class Totals:
    parcels: list[Parcel]
    subtotal: Decimal
    shipping: Decimal | None
    total: Decimal | None


def lines_of(checkout: Checkout) -> list[CheckoutLine]:
    """The lines with their goods and sellers, loaded once per checkout object."""
    if not hasattr(checkout, "_loaded_lines"):
        checkout._loaded_lines = list(
            checkout.lines.select_related(
                "variant__product__farmer",
                "variant__product__cooperative",
                "variant__product__village__county__province",
            ).order_by("variant_id")
        )
    return checkout._loaded_lines


def parcel_choices(checkout: Checkout) -> dict[str, ShippingMethod]:
    """The parcels' own delivery methods, by seller key; loaded once per checkout object."""
    if not hasattr(checkout, "_parcel_choices"):
        checkout._parcel_choices = {
            seller_key(choice.farmer or choice.cooperative): choice.method
            for choice in checkout.parcel_deliveries.select_related("farmer", "cooperative", "method")
            if choice.method.is_active
        }
    return checkout._parcel_choices


def totals_of(checkout: Checkout) -> Totals:
    parcels: dict[tuple, Parcel] = {}
    for line in lines_of(checkout):
        product = line.variant.product
        key = ("farmer", product.farmer_id) if product.farmer_id else ("cooperative", product.cooperative_id)
        parcel = parcels.setdefault(key, Parcel(seller=product.seller))
        parcel.lines.append(line)
        parcel.subtotal += line.variant.price * line.quantity
        parcel.weight_kg += line.variant.weight_kg * line.quantity
    chosen = parcel_choices(checkout) if checkout.pk and parcels else {}
    # One object per method, so its weight table is read once however many parcels use it.
    methods = {method.pk: method for method in (*chosen.values(), checkout.shipping_method) if method is not None}
    for parcel in parcels.values():
        method = chosen.get(parcel.key, checkout.shipping_method)
        parcel.method = methods[method.pk] if method is not None else None
    prefetch_related_objects(list(methods.values()), "rates")
    for parcel in parcels.values():
        try:
            parcel.shipping_price = parcel_price(parcel.method, parcel.weight_kg) if parcel.method else None
        except ValidationError:  # the operator emptied the method's price table: not priced, not an error page
            parcel.method = parcel.shipping_price = None
    subtotal = sum((parcel.subtotal for parcel in parcels.values()), Decimal("0.00"))
    priced = all(parcel.method for parcel in parcels.values()) and checkout.shipping_method is not None
    shipping = sum((parcel.shipping_price for parcel in parcels.values()), Decimal("0.00")) if priced else None
    return Totals(list(parcels.values()), subtotal, shipping, subtotal + shipping if priced else None)


@dataclass
class ParcelOptions:
    parcel: Parcel
    options: list[tuple[ShippingMethod, Decimal]]  # each offered method and this parcel's price with it


def delivery_options(checkout: Checkout) -> list[ParcelOptions]:
    """What each offered delivery method would cost, parcel by parcel: each seller's parcel may go
    with another courier. A method whose table has no prices yet is left out."""
    methods = list(active_methods())
    result = []
    for parcel in totals_of(checkout).parcels:
        options = []
        for method in methods:
            try:
                options.append((method, parcel_price(method, parcel.weight_kg)))
            except ValidationError:
                continue
        result.append(ParcelOptions(parcel, options))
    return result


def estimated(checkout: Checkout) -> Totals:
    """The totals, with shipping estimated by the first offered method when none is chosen yet."""
    if checkout.shipping_method is None:
        method = active_methods().first()
        if method is not None:
            checkout.shipping_method = method  # in memory only, for the estimate
            try:
                return totals_of(checkout)
            except ValidationError:
                pass
            finally:
                checkout.shipping_method = None
    return totals_of(checkout)


# --- Completion -------------------------------------------------------------------------------


@dataclass(frozen=True)
class PlacedOrder:
    order: Order
    # What the shopper's app confirms a card payment with; None when there is nothing to confirm.
    client_secret: str | None
    # False when the checkout had become this order already (a repeated or concurrent call).
    new: bool = True


def place_order(
    user, checkout: Checkout, payment_method: str | None = None, viewer_keys=(), expected_total: Decimal | None = None
) -> PlacedOrder:
    """Complete the checkout (once), then open its payment at the gateway. Repeating it returns
    the same order, its payment opened once. No payment method: the site's default.
    `expected_total` is the total the shopper agreed to: if prices moved since, nothing is placed."""
    order, new = _complete(user, checkout, payment_method or gateways.default_method(), viewer_keys, expected_total)
    try:
        payment = payments.start_payment(order.payment)
    except gateways.GatewayError as error:
        raise field_error(
            None,
            _("The order is placed, but the payment service did not answer (%(reason)s). Try again."),
            "payment_gateway_error",
            reason=str(error),
        ) from error
    return PlacedOrder(order, payments.client_secret(payment), new=new)


def complete_checkout(
    user, checkout: Checkout, payment_method: str, viewer_keys=(), expected_total: Decimal | None = None
) -> Order:
    """Turn the checkout into an order (once), taking the stock, in one transaction; the payment
    is started after it commits (`place_order`), so no row stays locked while a gateway is called.
    `viewer_keys` (core.viewers) let promotion credit the order to the shopper's last click."""
    return _complete(user, checkout, payment_method, viewer_keys, expected_total)[0]


def _complete(user, checkout, payment_method, viewer_keys, expected_total) -> tuple[Order, bool]:
    """The order, and whether this call made it (False: a repeated or concurrent completion)."""
    if payment_method not in gateways.available():
        raise field_error("payment_method", _("This payment method is not available."), "payment_method_unavailable")
    try:
        with transaction.atomic():
            # of=("self",): PostgreSQL cannot lock the nullable side of the shipping method's outer join.
            checkouts = Checkout.objects.select_for_update(of=("self",)).select_related("shipping_method")
            locked = checkouts.get(pk=checkout.pk)
            if locked.completed_at is not None:
                return Order.objects.get(checkout_id=locked.pk), False
            order = _place_order(user, locked, payment_method, expected_total)
            payments.create_payment(order)
            order_placed.send(sender=Order, order=order, viewer_keys=tuple(viewer_keys))
            locked.completed_at = timezone.now()
            locked.save(update_fields=["completed_at", "updated_at"])
            return order, True
    except IntegrityError:
        # A concurrent completion on a database without row locks (SQLite) won the unique checkout_id.
        order = Order.objects.filter(checkout_id=checkout.pk).first()
        if order is None:
            raise
        return order, False


def _ready_for_completion(checkout: Checkout, totals: Totals) -> list[CheckoutLine]:
    errors = {}
    lines = lines_of(checkout)
    if not lines:
        errors["lines"] = ValidationError(_("The cart is empty."), code="empty_checkout")
    if not checkout.email:
        errors["email"] = ValidationError(_("Give an email address for the order."), code="email_not_set")
    if not checkout.has_address:
        errors["shipping_address"] = ValidationError(
            _("Add a delivery address first."), code="shipping_address_not_set"
        )
    if checkout.shipping_method is None or not checkout.shipping_method.is_active or totals.shipping is None:
        errors["delivery_method"] = ValidationError(
            _("Choose a delivery method first."), code="delivery_method_not_set"
        )
    if errors:
        raise ValidationError(errors)
    _ensure_buyable([line.variant for line in lines])
    weight = sum((parcel.weight_kg for parcel in totals.parcels), Decimal(0))
    if weight > MAX_CART_WEIGHT_KG:  # a seller made their goods heavier since they were added
        raise _too_heavy(weight)
    return lines


def _take_stock(lines: list[CheckoutLine]) -> None:
    """Two statements whatever the cart's size: lock the variants' rows in ID order (so two
    checkouts sharing variants wait for each other instead of deadlocking), then take every line's
    units in one conditional UPDATE. The UPDATE keeps its `stock >= quantity` condition, so a
    database without row locks (SQLite) still never sells a unit twice; a line it could not take
    undoes the whole completion (the caller's transaction)."""
    wanted = {line.variant_id: line.quantity for line in lines}  # a checkout has one line per variant
    ids = sorted(wanted)
    left = dict(Variant.objects.select_for_update().filter(pk__in=ids).order_by("pk").values_list("pk", "stock"))
    short = [line for line in lines if left.get(line.variant_id, 0) < line.quantity]
    if not short:
        quantity = Case(*(When(pk=pk, then=Value(wanted[pk])) for pk in ids), output_field=IntegerField())
        taken = Variant.objects.filter(pk__in=ids, stock__gte=quantity).update(stock=F("stock") - quantity)
        if taken != len(ids):  # only without row locks: another completion took units in between
            left = dict(Variant.objects.filter(pk__in=ids).values_list("pk", "stock"))
            short = [line for line in lines if left.get(line.variant_id, 0) < wanted[line.variant_id]] or lines
    if short:
        for line in short:
            line.variant.stock = left.get(line.variant_id, 0)
        raise _insufficient_stock([line.variant for line in short], {line.variant_id: line for line in short})
    catalog.sync_in_stock({line.variant.product_id for line in lines})


def _place_order(user, checkout: Checkout, payment_method: str, expected_total: Decimal | None) -> Order:
    totals = totals_of(checkout)
    lines = _ready_for_completion(checkout, totals)
    if expected_total is not None and totals.total != expected_total:
        raise field_error(
            None,
            _("Prices changed since you looked: the total is now %(total)s. Check the order and place it again."),
            "price_changed",
            total=f"¥{totals.total}",
        )
    _take_stock(lines)
    order = Order.objects.create(
        checkout_id=checkout.pk,
        user=checkout.user if checkout.user_id else (user if user and user.is_authenticated else None),
        email=checkout.email,
        payment_method=payment_method,
        shipping_method_name="、".join(dict.fromkeys(parcel.method.name for parcel in totals.parcels))[:40],
        subtotal=totals.subtotal,
        shipping_total=totals.shipping,
        total=totals.total,
        **checkout.address_values(),
    )
    fulfilments = Fulfilment.objects.bulk_create(
        Fulfilment(
            order=order,
            farmer=parcel.seller if isinstance(parcel.seller, Farmer) else None,
            cooperative=None if isinstance(parcel.seller, Farmer) else parcel.seller,
            village=parcel.lines[0].variant.product.village,
            seller_name=parcel.seller.name,
            subtotal=parcel.subtotal,
            weight_kg=parcel.weight_kg,
            shipping_price=parcel.shipping_price,
            shipping_method_name=parcel.method.name,
        )
        for parcel in totals.parcels
    )
    OrderLine.objects.bulk_create(
        _order_line(order, fulfilment, line)
        for parcel, fulfilment in zip(totals.parcels, fulfilments, strict=True)
        for line in parcel.lines
    )
    return order


def _order_line(order: Order, fulfilment: Fulfilment, line: CheckoutLine) -> OrderLine:
    variant = line.variant
    product = variant.product
    village = product.village
    return OrderLine(
        order=order,
        fulfilment=fulfilment,
        variant=variant,
        product_name=product.name,
        variant_name=variant.name,
        sku=variant.sku,
        unit_price=variant.price,
        quantity=line.quantity,
        total=variant.price * line.quantity,
        unit_weight_kg=variant.weight_kg,
        farmer_id=product.farmer_id,
        cooperative_id=product.cooperative_id,
        village=village,
        seller_name=product.seller.name,
        village_name=f"{village.county.province.name}{village.county.name}{village.name}",
        harvest_date=product.harvest_date,
    )


# --- Keeping the shopper informed ---------------------------------------------------------------


@dataclass(frozen=True)
class CartNotice:
    """Something that changed in the cart since the shopper last looked; `blocking` ones must be
    fixed before the order can be placed."""

    line: CheckoutLine
    code: str
    message: str
    blocking: bool


@transaction.atomic
def review(checkout: Checkout) -> list[CartNotice]:
    """Re-check every line against the catalogue now: goods no longer sold, too little stock, and
    prices that moved since the shopper last saw them. A moved price is told once: it counts as
    seen from here on."""
    notices = []
    lines = lines_of(checkout)
    buyable = set(
        visible_products().filter(pk__in={line.variant.product_id for line in lines}).values_list("pk", flat=True)
    )
    seen = []
    for line in lines:
        variant = line.variant
        name = f"{variant.product.name} · {variant.name}"
        if variant.product_id not in buyable:
            message = _("%(name)s is no longer sold. Remove it to go on.") % {"name": name}
            notices.append(CartNotice(line, "product_unavailable", message, True))
            continue
        if line.quantity > variant.stock:
            if variant.stock:
                message = _("Only %(stock)d left of %(name)s. Lower the quantity to go on.") % {
                    "stock": variant.stock,
                    "name": name,
                }
            else:
                message = _("%(name)s is sold out. Remove it to go on.") % {"name": name}
            notices.append(CartNotice(line, "insufficient_stock", message, True))
        if line.price_seen is not None and line.price_seen != variant.price:
            message = _("The price of %(name)s changed from ¥%(old)s to ¥%(new)s.") % {
                "name": name,
                "old": line.price_seen,
                "new": variant.price,
            }
            notices.append(CartNotice(line, "price_changed", message, False))
        if line.price_seen != variant.price:
            line.price_seen = variant.price
            seen.append(line)
    if seen:
        CheckoutLine.objects.bulk_update(seen, ["price_seen"])
    return notices


# --- Whose cart -------------------------------------------------------------------------------


def open_checkouts(user):
    return (
        Checkout.objects.filter(user=user, completed_at__isnull=True)
        if user.is_authenticated
        else Checkout.objects.none()
    )


def cart_of(user) -> Checkout | None:
    """An account's cart: its most recently changed open checkout."""
    return open_checkouts(user).first() if user and user.is_authenticated else None


@transaction.atomic
def claim_cart(user, guest: Checkout) -> list[str]:
    """A guest who logs in or signs up keeps their cart: it becomes the account's cart, or, when the
    account has one already, its goods are added to it (as far as stock allows) and the guest's
    cart is emptied. Returns the names of goods that could not be added, to tell the shopper."""
    guest = Checkout.objects.select_for_update().filter(pk=guest.pk, user=None, completed_at=None).first()
    if guest is None:
        return []
    mine = cart_of(user)
    if mine is None:
        guest.user = user
        guest.email = guest.email or user.email
        guest.save(update_fields=["user", "email", "updated_at"])
        return []
    dropped = []
    for line in guest.lines.select_related("variant__product"):
        try:
            with transaction.atomic():
                add_lines(mine, [LineRequest(line.variant, line.quantity)])
        except ValidationError:  # sold out or over a limit: the account's own cart wins
            dropped.append(f"{line.variant.product.name} · {line.variant.name}")
    guest.delete()
    return dropped
