from django.dispatch import Signal

# Sent inside the verification transaction, so what listeners change commits (or not) with it.
# Arguments: farmer, by.
farmer_verified = Signal()
# Arguments: cooperative, by.
cooperative_verified = Signal()
