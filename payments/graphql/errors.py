from core.graphql.errors import error_code_enum, error_type

PaymentErrorCode = error_code_enum(
    "PaymentErrorCode", ("NOT_PAID", "ALREADY_PAID", "ALREADY_REFUNDED", "NOTHING_TO_REFUND", "GATEWAY_ERROR")
)
PaymentError = error_type("PaymentError", PaymentErrorCode)
