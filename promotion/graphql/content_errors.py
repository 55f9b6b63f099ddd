"""Error codes of the story and photo-essay mutations."""

from core.graphql.errors import error_code_enum, error_type

ContentErrorCode = error_code_enum(
    "ContentErrorCode",
    (
        "FARMER_NOT_IN_VILLAGE",
        "PRODUCT_NOT_IN_VILLAGE",
        "NGO_NOT_COVERING_VILLAGE",
        "TOO_MANY_PRODUCTS",
        "PHOTO_ESSAY_NEEDS_PHOTO",
        "INVALID_IMAGE",
        "IMAGE_TOO_LARGE",
        "IMAGE_TOO_MANY_PIXELS",
        "TOO_MANY_IMAGES",
    ),
)
ContentError = error_type("ContentError", ContentErrorCode)
