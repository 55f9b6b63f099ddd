"""Checkout mutations, with Saleor's names: each parses input, calls `shop.checkout`, shapes output."""

import uuid

import graphene
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from graphql_relay import from_global_id, to_global_id

from core import viewers
from core.graphql.ids import decode_id, get_by_global_id, parse_global_id
from core.graphql.mutations import BaseMutation
from payments.graphql.types import PaymentMethodEnum

from .. import checkout as service
from ..models import Checkout, CheckoutLine, ShippingMethod, Variant
from ..signals import cart_added
from .address import AddressInput
from .checkout_types import CheckoutType
from .errors import CheckoutError, CheckoutErrorCode
from .order_types import OrderType


def decode_checkout_id(global_id, field: str = "id"):
    """Checkout IDs carry a UUID, not a number: `Checkout:<uuid>` in base64."""
    try:
        type_name, raw = from_global_id(global_id) if isinstance(global_id, str) else ("", "")
        if type_name == "Checkout":
            return uuid.UUID(raw)
    except (ValueError, TypeError, UnicodeDecodeError):
        pass
    raise ValidationError(
        {field: ValidationError(_("%(id)s is not a valid Checkout ID."), code="invalid", params={"id": global_id})}
    )


def checkout_by_id(info, global_id):
    return service.checkout_for(info.context.user, decode_checkout_id(global_id))


class CheckoutLineInput(graphene.InputObjectType):
    variant_id = graphene.ID(required=True)
    quantity = graphene.Int(required=True, description="1 to 999.")


class CheckoutLineUpdateInput(graphene.InputObjectType):
    line_id = graphene.ID(required=True)
    quantity = graphene.Int(required=True, description="1 to 999; remove a line with checkoutLinesDelete.")


class CheckoutCreateInput(graphene.InputObjectType):
    email = graphene.String(description="Needed to complete a guest checkout; defaults to the account's.")
    lines = graphene.List(graphene.NonNull(CheckoutLineInput))


def _line_requests(lines) -> list[service.LineRequest]:
    ids = [decode_id(line["variant_id"], "ProductVariant", "variantId") for line in lines]
    variants = Variant.objects.select_related("product").in_bulk(ids)
    missing = [line["variant_id"] for line, pk in zip(lines, ids, strict=True) if pk not in variants]
    if missing:
        raise ValidationError(
            {
                "variantId": ValidationError(
                    _("No product variant with ID %(id)s."), code="not_found", params={"id": missing[0]}
                )
            }
        )
    return [service.LineRequest(variants[pk], line["quantity"]) for line, pk in zip(lines, ids, strict=True)]


class CheckoutMutation(BaseMutation):
    class Meta:
        abstract = True

    _error_type = CheckoutError
    _code_enum = CheckoutErrorCode
    _error_fields = {"variant": "variantId", "line": "lineId"}

    @classmethod
    def _failure(cls, errors):
        for error in errors:
            if error.get("lines"):
                error["lines"] = [to_global_id("CheckoutLine", pk) for pk in error["lines"]]
        return super()._failure(errors)


class CheckoutCreate(CheckoutMutation):
    checkout = graphene.Field(CheckoutType)

    class Arguments:
        input = CheckoutCreateInput(required=True)

    @classmethod
    def perform_mutation(cls, root, info, input):
        lines = _line_requests(input.get("lines") or [])
        checkout = service.create_checkout(info.context.user, email=input.get("email"), lines=lines)
        return cls(checkout=checkout, errors=[])


class CheckoutEmailUpdate(CheckoutMutation):
    checkout = graphene.Field(CheckoutType)

    class Arguments:
        id = graphene.ID(required=True)
        email = graphene.String(required=True)

    @classmethod
    def perform_mutation(cls, root, info, id, email):
        return cls(checkout=service.update_email(checkout_by_id(info, id), email), errors=[])


class CheckoutLinesAdd(CheckoutMutation):
    checkout = graphene.Field(CheckoutType)

    class Arguments:
        id = graphene.ID(required=True)
        lines = graphene.List(graphene.NonNull(CheckoutLineInput), required=True)

    @classmethod
    def perform_mutation(cls, root, info, id, lines):
        requests = _line_requests(lines)
        checkout = service.add_lines(checkout_by_id(info, id), requests)
        cart_added.send(sender=Checkout, product_ids=[r.variant.product_id for r in requests], request=info.context)
        return cls(checkout=checkout, errors=[])


class CheckoutLinesUpdate(CheckoutMutation):
    checkout = graphene.Field(CheckoutType)

    class Arguments:
        id = graphene.ID(required=True)
        lines = graphene.List(graphene.NonNull(CheckoutLineUpdateInput), required=True)

    @classmethod
    def perform_mutation(cls, root, info, id, lines):
        checkout = checkout_by_id(info, id)
        known = CheckoutLine.objects.select_related("variant__product")
        changes = [
            (get_by_global_id(known, line["line_id"], "CheckoutLine", "lineId"), line["quantity"]) for line in lines
        ]
        return cls(checkout=service.update_lines(checkout, changes), errors=[])


class CheckoutLinesDelete(CheckoutMutation):
    checkout = graphene.Field(CheckoutType)

    class Meta:
        error_fields = {"lines": "linesIds"}

    class Arguments:
        id = graphene.ID(required=True)
        lines_ids = graphene.List(graphene.NonNull(graphene.ID), required=True)

    @classmethod
    def perform_mutation(cls, root, info, id, lines_ids):
        checkout = checkout_by_id(info, id)
        lines = [
            get_by_global_id(CheckoutLine.objects.all(), line_id, "CheckoutLine", "linesIds") for line_id in lines_ids
        ]
        return cls(checkout=service.delete_lines(checkout, lines), errors=[])


class CheckoutShippingAddressUpdate(CheckoutMutation):
    checkout = graphene.Field(CheckoutType)

    class Arguments:
        id = graphene.ID(required=True)
        shipping_address = AddressInput(required=True)

    @classmethod
    def perform_mutation(cls, root, info, id, shipping_address):
        checkout = service.update_shipping_address(checkout_by_id(info, id), dict(shipping_address))
        return cls(checkout=checkout, errors=[])


class CheckoutDeliveryMethodUpdate(CheckoutMutation):
    checkout = graphene.Field(CheckoutType)

    class Meta:
        error_fields = {"delivery_method": "deliveryMethodId"}

    class Arguments:
        id = graphene.ID(required=True)
        delivery_method_id = graphene.ID(required=True)

    @classmethod
    def perform_mutation(cls, root, info, id, delivery_method_id):
        checkout = checkout_by_id(info, id)
        method = get_by_global_id(
            ShippingMethod.objects.all(), delivery_method_id, "ShippingMethod", "deliveryMethodId"
        )
        return cls(checkout=service.update_delivery_method(checkout, method), errors=[])


class ParcelDeliveryMethodInput(graphene.InputObjectType):
    seller_id = graphene.ID(required=True, description="The parcel's seller: `CheckoutParcel.sellerId`.")
    delivery_method_id = graphene.ID(required=True)


def _seller_key(global_id) -> str:
    """The service's name for a parcel ("farmer-12"), from its seller's global ID."""
    parsed = parse_global_id(global_id)
    if parsed is None or parsed[0] not in ("Farmer", "Cooperative"):
        raise ValidationError(
            {
                "parcels": ValidationError(
                    _("%(id)s is not a parcel's seller."), code="invalid", params={"id": global_id}
                )
            }
        )
    return f"{parsed[0].lower()}-{parsed[1]}"


class CheckoutParcelDeliveryMethodsUpdate(CheckoutMutation):
    """A courier for each seller's parcel (every parcel needs one); the first becomes the checkout's
    own method. `checkoutDeliveryMethodUpdate` instead sends every parcel with one method."""

    checkout = graphene.Field(CheckoutType)

    class Meta:
        error_fields = {"delivery_method": "parcels"}

    class Arguments:
        id = graphene.ID(required=True)
        parcels = graphene.List(graphene.NonNull(ParcelDeliveryMethodInput), required=True)

    @classmethod
    def perform_mutation(cls, root, info, id, parcels):
        checkout = checkout_by_id(info, id)
        methods = ShippingMethod.objects.all()
        choices = {
            _seller_key(parcel["seller_id"]): get_by_global_id(
                methods, parcel["delivery_method_id"], "ShippingMethod", "parcels"
            )
            for parcel in parcels
        }
        return cls(checkout=service.update_parcel_delivery_methods(checkout, choices), errors=[])


class CheckoutComplete(CheckoutMutation):
    """Place the order. Repeating it returns the same order. For card payments, confirm the
    returned `clientSecret` with Stripe; the order becomes PAID when Stripe's webhook says so."""

    order = graphene.Field(OrderType)
    client_secret = graphene.String(description="Stripe's PaymentIntent client secret (card payments).")

    # Not one transaction: the order commits first (releasing the stock rows), and only then is
    # the payment gateway called, so no lock is held across a network call.
    _atomic = False

    class Arguments:
        id = graphene.ID(required=True)
        payment_method = PaymentMethodEnum(description="Defaults to card when Stripe is configured, else offline.")

    @classmethod
    def perform_mutation(cls, root, info, id, payment_method=None):
        checkout = checkout_by_id(info, id)
        method = payment_method.value if payment_method is not None else None
        placed = service.place_order(info.context.user, checkout, method, viewers.viewer_keys(info.context))
        return cls(order=placed.order, client_secret=placed.client_secret, errors=[])


class CheckoutMutations(graphene.ObjectType):
    checkout_create = CheckoutCreate.Field()
    checkout_email_update = CheckoutEmailUpdate.Field()
    checkout_lines_add = CheckoutLinesAdd.Field()
    checkout_lines_update = CheckoutLinesUpdate.Field()
    checkout_lines_delete = CheckoutLinesDelete.Field()
    checkout_shipping_address_update = CheckoutShippingAddressUpdate.Field()
    checkout_delivery_method_update = CheckoutDeliveryMethodUpdate.Field()
    checkout_parcel_delivery_methods_update = CheckoutParcelDeliveryMethodsUpdate.Field()
    checkout_complete = CheckoutComplete.Field()
