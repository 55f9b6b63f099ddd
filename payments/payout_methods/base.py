from dataclasses import dataclass


class SendError(Exception):
    """The money could not be handed over now (the network, the provider in trouble, our own
    keys): the payout stays on its way and sending is tried again later."""


@dataclass(frozen=True)
class SendOutcome:
    """What the provider answered: `paid` with its reference, or `failed` with the reason the
    seller's side refused it (the money then goes back to the payable), or `pending`: the provider
    took the payout and will tell the outcome later (`state`, its own word for where it is; and
    `confirm_package` when the seller must confirm receipt on their phone first)."""

    paid: bool
    reference: str = ""
    reason: str = ""
    pending: bool = False
    state: str = ""
    confirm_package: str = ""


class PayoutMethod:
    """A way of sending a payout. Registered by name in PAYOUT_METHODS; the name is what
    `Payout.method` stores, so it must never change once used.

    `cash_gateway` names the cash account the money leaves from (`ledger.cash_account`): the money
    sent must have come in there. `sends_itself` says whether `send` hands the money over (called
    after the run's transaction commits, outside any transaction) or an operator does it and
    records the outcome (`payouts.mark_paid` / `mark_failed`)."""

    label = ""
    cash_gateway = ""
    sends_itself = False

    def __init__(self, name: str, **options):
        self.name = name
        self.options = options

    def is_configured(self) -> bool:
        return True

    def reaches(self, destination) -> bool:
        """Whether this method can pay a seller with this destination (None: nothing recorded)."""
        return True

    def takes(self, destination, amount) -> bool:
        """Whether this method can pay this amount to this destination: a provider's limits."""
        return self.reaches(destination)

    def destination_text(self, destination) -> str:
        """What the payout records of where it went, for operators: never a full account number."""
        return ""

    def send(self, payout) -> SendOutcome | None:
        """Hand the money over; None when an operator does (nothing is sent). Idempotent: a
        repeat with the same payout never sends twice (the payout's idempotency key). Raises
        SendError when it should be tried again."""
        return None

    def query(self, payout) -> SendOutcome | None:
        """Ask the provider how a payout it accepted (`Payout.provider_state` set) stands now; None
        when this method has nothing to ask. Raises SendError when the provider cannot say now."""
        return None
