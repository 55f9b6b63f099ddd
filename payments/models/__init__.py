from .ledger import Account, AccountKind, Entry, LedgerTransaction  # noqa: F401
from .payment import Payment, PaymentStatus, Refund, RefundStatus, WebhookEvent  # noqa: F401
