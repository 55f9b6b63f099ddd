from .dispute import Dispute, DisputeStatus  # noqa: F401
from .ledger import Account, AccountKind, Entry, LedgerTransaction  # noqa: F401
from .payment import Payment, PaymentStatus, Refund, RefundStatus, WebhookEvent, gateway_choices  # noqa: F401
from .payout import Payout, PayoutStatus  # noqa: F401
from .payout_destination import PayoutDestination  # noqa: F401
