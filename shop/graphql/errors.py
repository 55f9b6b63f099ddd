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
