"""What payments tells the apps above it (shop, later payouts and impact) without importing them.
Each is sent inside the transaction that recorded the change, with the payment row locked, so a
receiver's writes commit or roll back with it."""

from django.dispatch import Signal

# Sent with `payment` when the money for an order arrived (once per payment).
payment_succeeded = Signal()

# Sent with `refund` and its `payment` when a refund succeeded (once per refund); `refund.includes_shipping` says
# whether it was the rest of the whole order.
refund_succeeded = Signal()
