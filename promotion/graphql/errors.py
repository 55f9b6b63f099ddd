"""Error codes of the promotion mutations (campaigns, sponsors)."""

from core.graphql.errors import error_code_enum, error_type

PromotionErrorCode = error_code_enum(
    "PromotionErrorCode",
    (
        "INVALID_AMOUNT",
        "CAP_TOO_LOW",
        "BELOW_SPENT",
        "INVALID_SCHEDULE",
        "NOTHING_PROMOTED",
        "PRODUCT_UNAVAILABLE",
        "INVALID_TRANSITION",
        "CAMPAIGN_ENDED",
        "INVALID_FREQUENCY_CAP",
    ),
)
PromotionError = error_type("PromotionError", PromotionErrorCode)
