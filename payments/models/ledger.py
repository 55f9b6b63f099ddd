from django.db import models
from django.utils.translation import gettext_lazy as _

from farmers.models import Cooperative, Farmer

from ..ledger_text import shown


class AccountKind(models.TextChoices):
    ASSET = "asset", _("Asset")
    LIABILITY = "liability", _("Liability")
    INCOME = "income", _("Income")
    EXPENSE = "expense", _("Expense")


class Account(models.Model):
    """A ledger account: money held (cash at a gateway), owed (a farmer's payable) or earned (fees)."""

    code = models.CharField(_("code"), max_length=60, unique=True)
    name = models.CharField(_("name"), max_length=120)
    kind = models.CharField(_("kind"), max_length=10, choices=AccountKind.choices)
    farmer = models.OneToOneField(
        Farmer, models.PROTECT, null=True, blank=True, related_name="payable_account", verbose_name=_("farmer")
    )
    cooperative = models.OneToOneField(
        Cooperative,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="payable_account",
        verbose_name=_("cooperative"),
    )

    class Meta:
        ordering = ["code"]
        verbose_name = _("ledger account")
        verbose_name_plural = _("ledger accounts")

    def __str__(self):
        return shown(self.name)


class LedgerTransaction(models.Model):
    """One movement of money: entries that sum to zero. `key` names what was booked (a payment, a
    refund, a fee), so the same thing can never be booked twice, even by racing processes."""

    key = models.CharField(_("key"), max_length=80, unique=True)
    memo = models.CharField(_("memo"), max_length=255)
    order = models.ForeignKey(
        "shop.Order", models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("order")
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("ledger transaction")
        verbose_name_plural = _("ledger transactions")

    def __str__(self):
        return shown(self.memo)


class Entry(models.Model):
    """A debit (positive amount) or a credit (negative amount) to one account."""

    transaction = models.ForeignKey(
        LedgerTransaction, models.PROTECT, related_name="entries", verbose_name=_("ledger transaction")
    )
    account = models.ForeignKey(Account, models.PROTECT, related_name="entries", verbose_name=_("ledger account"))
    amount = models.DecimalField(_("amount (debit +, credit −)"), max_digits=14, decimal_places=2)
    # On a seller's payable account: the payout that paid this money out (payments.payouts).
    payout = models.ForeignKey(
        "payments.Payout",
        models.PROTECT,
        null=True,
        blank=True,
        related_name="settled_entries",
        verbose_name=_("paid out by"),
    )

    class Meta:
        ordering = ["id"]
        verbose_name = _("ledger entry")
        verbose_name_plural = _("ledger entries")
        constraints = [models.CheckConstraint(condition=~models.Q(amount=0), name="entry_amount_not_zero")]

    def __str__(self):
        return f"{self.account.code} {self.amount:+}"
