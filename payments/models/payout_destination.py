from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from farmers.models import Cooperative, Farmer


def payout_method_choices():
    """The registered payout methods (PAYOUT_METHODS), read when needed: adding one needs no migration."""
    from payments.payout_methods import choices

    return choices()


class PayoutDestination(models.Model):
    """Where one seller (a farmer, or a cooperative) receives their payouts: a Stripe connected
    account, a bank account, or both. Operators keep it in the admin; the run picks the method
    (`payments.payout_methods.choose`). Without a row the seller is paid by bank transfer, made by
    their cooperative or NGO, which knows where to send it."""

    farmer = models.OneToOneField(
        Farmer, models.CASCADE, null=True, blank=True, related_name="payout_destination", verbose_name=_("farmer")
    )
    cooperative = models.OneToOneField(
        Cooperative,
        models.CASCADE,
        null=True,
        blank=True,
        related_name="payout_destination",
        verbose_name=_("cooperative"),
    )
    method = models.CharField(
        _("preferred payout method"),
        max_length=20,
        blank=True,
        choices=payout_method_choices,
        help_text=_(
            "Leave empty to use the first that reaches the seller: WeChat once bound, Stripe Connect with an account, "
            "else a bank transfer."
        ),
    )
    stripe_account = models.CharField(
        _("Stripe connected account"),
        max_length=40,
        blank=True,
        validators=[
            RegexValidator(r"^acct_[A-Za-z0-9]{6,}$", _("A Stripe account id looks like acct_1AbCdEf."), "invalid")
        ],
    )
    bank_name = models.CharField(_("bank"), max_length=80, blank=True)
    bank_account_name = models.CharField(_("account holder"), max_length=80, blank=True)
    bank_account_number = models.CharField(
        _("bank account number"),
        max_length=34,
        blank=True,
        validators=[RegexValidator(r"^[0-9 ]+$", _("Only digits, like 6228480000000000000."), "invalid")],
    )
    # Bound by the farmer themself (or, for a cooperative, by one of its managers) through WeChat's
    # OAuth (`payments.payout_destinations.bind_wechat`), never typed in: the openid under the
    # WeChat Pay AppID that WeChat balance transfers go to. Operators see that it is bound, not it.
    wechat_openid = models.CharField(_("WeChat openid"), max_length=64, blank=True, editable=False)
    wechat_holder_name = models.CharField(
        _("WeChat holder's name"),
        max_length=40,
        blank=True,
        editable=False,
        help_text=_("Sent with large WeChat transfers, which WeChat Pay checks against the account's real name."),
    )
    wechat_bound_at = models.DateTimeField(_("WeChat bound at"), null=True, blank=True, editable=False)
    wechat_bound_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
        verbose_name=_("WeChat bound by"),
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("payout destination")
        verbose_name_plural = _("payout destinations")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(farmer__isnull=False, cooperative__isnull=True)
                | models.Q(farmer__isnull=True, cooperative__isnull=False),
                name="payout_destination_has_exactly_one_seller",
                violation_error_message=_("Choose one seller: a farmer or a cooperative."),
                violation_error_code="one_seller",
            ),
        ]

    def __str__(self):
        return str(self.seller)

    def clean(self):
        from payments import payout_methods

        if self.method in payout_methods.registry and not payout_methods.get(self.method).reaches(self):
            if self.method == "wechat_transfer":
                message = _("The seller has not bound WeChat yet: they do it themselves at /farmer/wechat/.")
                raise ValidationError({"method": ValidationError(message, code="wechat_not_bound")})
            message = _("This payout method needs the seller's Stripe connected account.")
            raise ValidationError({"stripe_account": ValidationError(message, code="required")})

    @property
    def seller(self):
        return self.farmer if self.farmer_id else self.cooperative

    @property
    def wechat_bound(self) -> bool:
        return bool(self.wechat_openid)

    @property
    def bank_account_shown(self) -> str:
        """The bank account as lists show it: the number masked but its last four digits."""
        digits = self.bank_account_number.replace(" ", "")
        if not digits:
            return ""
        masked = f"**** {digits[-4:]}"
        return " · ".join(part for part in (self.bank_name, self.bank_account_name, masked) if part)
