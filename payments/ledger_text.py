"""The ledger's memos and account names: stored in English, shown in the reader's language.

A memo (`LedgerTransaction.memo`) or an account name (`Account.name`) is part of the record: it is
written once, in English, from one of the templates below (`stored`), and never rewritten, so that
searching, exports and logs see the same text whatever language an operator uses. It is shown
through the catalogue with the same msgid (`shown`): the stored text is matched against the
templates, its values are taken out, and the translated template is filled with them. Rows written
before this module existed read the same, so they are translated too. A text that matches no
template (or whose template has no translation) is shown as stored.

Hence the rule for whoever changes these: never edit a template's English (old rows would stop
matching); add a new template beside it instead. See docs/decisions.md.
"""

import re
from functools import cache

from django.utils.translation import gettext, gettext_noop

# Memos of ledger transactions.
ORDER_PAID = gettext_noop("Order %(order)s paid")
PLATFORM_FEE = gettext_noop("Platform fee on order %(order)s")
REFUND = gettext_noop("Refund %(refund)s on order %(order)s")
FEE_RETURNED = gettext_noop("Fee returned with refund %(refund)s")
DISPUTE_LOST = gettext_noop("Dispute %(dispute)s lost on order %(order)s")
PROMOTION_CLICK = gettext_noop("Click %(click)s on campaign %(campaign)s")
PAYOUT_SENT = gettext_noop("Payout %(payout)s sent")
PAYOUT_PAID = gettext_noop("Payout %(payout)s paid")
PAYOUT_FAILED = gettext_noop("Payout %(payout)s failed, money back to the payable")
PAYOUT_RETURNED = gettext_noop("Payout %(payout)s returned, money back to the payable")
PROVIDER_FEE = gettext_noop("Fee of %(gateway)s on order %(order)s")
PROVIDER_FEE_RETURNED = gettext_noop("Fee of %(gateway)s returned with refund %(refund)s")

# Names of ledger accounts.
CASH = gettext_noop("Cash received through %(gateway)s")
PLATFORM_FEES = gettext_noop("Platform fees")
PAYABLE_TO_FARMER = gettext_noop("Payable to farmer %(farmer)s")
PAYABLE_TO_COOPERATIVE = gettext_noop("Payable to cooperative %(cooperative)s")
SPONSOR_BUDGET = gettext_noop("Promotion budget of sponsor %(sponsor)s")
PROMOTION_INCOME = gettext_noop("Promotion clicks")
PAYOUTS_IN_TRANSIT = gettext_noop("Payouts on their way")
PROVIDER_FEES = gettext_noop("Payment providers' fees")

TEMPLATES = (
    ORDER_PAID,
    PLATFORM_FEE,
    REFUND,
    FEE_RETURNED,
    DISPUTE_LOST,
    PROMOTION_CLICK,
    PAYOUT_SENT,
    PAYOUT_PAID,
    PAYOUT_FAILED,
    PAYOUT_RETURNED,
    PROVIDER_FEE,
    PROVIDER_FEE_RETURNED,
    CASH,
    PLATFORM_FEES,
    PAYABLE_TO_FARMER,
    PAYABLE_TO_COOPERATIVE,
    SPONSOR_BUDGET,
    PROMOTION_INCOME,
    PAYOUTS_IN_TRANSIT,
    PROVIDER_FEES,
)

PLACEHOLDER = re.compile(r"%\((\w+)\)s")


def stored(template: str, **values) -> str:
    """The English text to store: the template filled in (never translated)."""
    return template % values


@cache
def _patterns() -> tuple[tuple[str, re.Pattern], ...]:
    patterns = []
    for template in TEMPLATES:
        pieces = PLACEHOLDER.split(template)  # text, name, text, name, ..., text
        regex = "".join(re.escape(piece) if i % 2 == 0 else f"(?P<{piece}>.+?)" for i, piece in enumerate(pieces))
        patterns.append((template, re.compile(regex)))
    return tuple(patterns)


def _gateway_label(code: str) -> str:
    from .gateways import registry

    return str(registry.get(code).label) if code in registry else code


# Values that are codes rather than numbers are shown by their label in the reader's language.
SHOWN_VALUES = {"gateway": _gateway_label}


def shown(text: str) -> str:
    """A stored memo or account name in the active language."""
    for template, pattern in _patterns():
        match = pattern.fullmatch(text)
        if match is None:
            continue
        translated = gettext(template)
        if translated == template:  # English, or no translation: the stored text reads as written
            return text
        values = {name: SHOWN_VALUES.get(name, str)(value) for name, value in match.groupdict().items()}
        return translated % values
    return text
