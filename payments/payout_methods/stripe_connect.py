"""Stripe Connect: a transfer from the platform's Stripe balance to the seller's connected account
(`acct_…`), through the official `stripe` library, with the payout's idempotency key."""

import logging

import stripe
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from core.money import to_fen

from ..gateways.stripe import client
from .base import PayoutMethod, SendError, SendOutcome

logger = logging.getLogger(__name__)

# Stripe's answers that say "not now", not "never": the payout stays on its way for a retry.
# AuthenticationError is our key, never the seller's fault; IdempotencyError a key reused with other
# parameters, which only a bug of ours causes.
RETRY = (
    stripe.APIConnectionError,
    stripe.RateLimitError,
    stripe.APIError,
    stripe.AuthenticationError,
    stripe.IdempotencyError,
)


class StripeConnect(PayoutMethod):
    label = _("Stripe Connect transfer")
    cash_gateway = "stripe"
    sends_itself = True

    def is_configured(self) -> bool:
        return bool(settings.STRIPE_SECRET_KEY)

    def reaches(self, destination) -> bool:
        return destination is not None and bool(destination.stripe_account)

    def destination_text(self, destination) -> str:
        return destination.stripe_account

    def send(self, payout) -> SendOutcome:
        params = {
            "amount": to_fen(payout.amount),
            "currency": payout.currency.lower(),
            "destination": payout.destination,
            "metadata": {"payout": str(payout.pk), "idempotency_key": payout.idempotency_key},
        }
        try:
            transfer = client().v1.transfers.create(params, {"idempotency_key": payout.idempotency_key})
        except RETRY as error:
            logger.warning("payout %s: Stripe transfer not made now: %s", payout.pk, error)
            raise SendError(str(error)) from error
        except stripe.StripeError as error:
            # Refused for good (the account cannot receive it, a parameter Stripe rejects): the
            # money goes back to the payable.
            reason = error.user_message or error.code or str(error)
            return SendOutcome(paid=False, reason=str(reason)[:255])
        return SendOutcome(paid=True, reference=transfer.id)
