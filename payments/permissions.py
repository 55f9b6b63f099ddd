"""Who may do what with payments' records."""

from core.permissions import staff


def may_record_payouts(user) -> bool:
    """Recording a payout paid, failed or returned moves money in the books: operators given the
    right to change payouts (a superuser has it), not every staff member."""
    return staff(user) and user.has_perm("payments.change_payout")
