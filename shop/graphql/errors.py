import graphene

from core.graphql.errors import error_code_enum, error_type

ProductErrorCode = error_code_enum(
    "ProductErrorCode",
    (
        "INVALID_PRICE",
        "INVALID_STOCK",
        "SELLER_NOT_VERIFIED",
        "INVALID_IMAGE",
        "IMAGE_TOO_LARGE",
        "IMAGE_TOO_MANY_PIXELS",
        "TOO_MANY_VARIANTS",
        "TOO_MANY_IMAGES",
    ),
)
ProductError = error_type("ProductError", ProductErrorCode)

CheckoutErrorCode = error_code_enum(
    "CheckoutErrorCode",
    (
        "INVALID_QUANTITY",
        "INSUFFICIENT_STOCK",
        "PRODUCT_UNAVAILABLE",
        "TOO_MANY_LINES",
        "CART_TOO_HEAVY",
        "INVALID_PHONE",
        "CHECKOUT_COMPLETED",
        "EMPTY_CHECKOUT",
        "EMAIL_NOT_SET",
        "SHIPPING_ADDRESS_NOT_SET",
        "DELIVERY_METHOD_NOT_SET",
        "PAYMENT_METHOD_UNAVAILABLE",
        "PAYMENT_GATEWAY_ERROR",
    ),
)
CheckoutError = error_type(
    "CheckoutError",
    CheckoutErrorCode,
    lines=graphene.List(graphene.NonNull(graphene.ID), description="The checkout lines at fault, if any."),
)

OrderErrorCode = error_code_enum("OrderErrorCode", ("NOT_PAID", "ORDER_CLOSED", "INVALID_TRANSITION", "CANNOT_CANCEL"))
OrderError = error_type("OrderError", OrderErrorCode)
