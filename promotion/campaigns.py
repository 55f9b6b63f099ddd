"""Managing sponsors and their campaigns: what a campaign may hold, and its states.

Only operators (staff) and a sponsor's own staff see or change its campaigns (the rules are in
`promotion.permissions`). Every change locks the campaign row, checks everything, then writes; a
refusal is a ValidationError keyed by the input field (or PermissionDenied) and, raised inside the
transaction, leaves nothing written.
"""

import datetime
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import field_error
from core.money import AmountWords, clean_amount, to_fen
from core.permissions import staff as is_operator
from shop.catalog import clean_text
from shop.selectors import visible_products

from .budget import ledger_spent_fen
from .models import Campaign, CampaignState, Sponsor, SponsorKind
from .permissions import can_manage_campaign, can_manage_sponsor

MAX_BID = Decimal("999999.99")  # the column holds 8 digits
MAX_CAP = Decimal("9999999999.99")  # 12 digits
MAX_FREQUENCY_CAP = 100  # a day; more is no cap at all, for a reader
TARGET_FIELDS = ("target_provinces", "target_categories")
CAMPAIGN_FIELDS = (
    "name",
    "products",
    "farmer",
    "village",
    "bid",
    "daily_cap",
    "total_cap",
    "starts_at",
    "ends_at",
    *TARGET_FIELDS,
    "frequency_cap",
)


def _ensure_can_manage(user, campaign: Campaign) -> None:
    if not can_manage_campaign(user, campaign):
        raise PermissionDenied(_("Only the sponsor's staff and operators can change this campaign."))


# --- Sponsors -------------------------------------------------------------------------------


@transaction.atomic
def create_sponsor(actor, name: str, kind: str = SponsorKind.COMPANY, staff=()) -> Sponsor:
    """Operators only: a sponsor is a party the platform bills, so it is set up by the platform."""
    if not is_operator(actor):
        raise PermissionDenied(_("Only operators can add sponsors."))
    name = clean_text(name, "name")
    if not name:
        raise field_error("name", _("Give the sponsor a name."), "required")
    if len(name) > Sponsor._meta.get_field("name").max_length:
        raise field_error("name", _("The name is too long."), "max_length")
    if kind not in SponsorKind.values:
        raise field_error("kind", _("Not a kind of sponsor."), "invalid")
    if Sponsor.objects.filter(name=name).exists():
        raise field_error("name", _("A sponsor with this name already exists."), "unique")
    sponsor = Sponsor.objects.create(name=name, kind=kind)
    sponsor.staff.set(staff)
    return sponsor


# --- Campaign values ------------------------------------------------------------------------


def clean_money(value, field: str, maximum: Decimal) -> Decimal:
    """An amount in CNY of at least 0.01 with at most two places; never a float."""
    if value is None or value == "":
        raise field_error(field, _("Enter an amount."), "required")
    words = AmountWords(
        invalid=_("Enter the amount as a number of yuan, e.g. 0.50."),
        too_small=_("The amount must be at least 0.01 yuan."),
        too_large=_("The amount is too large."),
        too_precise=_("An amount has at most two decimal places (fen)."),
    )
    return clean_amount(value, field, maximum=maximum, code="invalid_amount", words=words)


def _aware(value, field: str):
    if value is None:
        return None
    if not isinstance(value, datetime.datetime):
        raise field_error(field, _("Enter a date and time."), "invalid")
    return timezone.make_aware(value) if timezone.is_naive(value) else value


def validate_campaign(campaign: Campaign, products: list, changed: set, now: datetime.datetime | None = None) -> None:
    """The rules between fields, checked on the campaign as it would be saved (with `products`);
    `changed` names the fields being set, so that a rule about a moment (not in the past) or about
    what can be promoted now applies to new values only. The admin's form calls it too."""
    now = now or timezone.now()
    if "products" in changed:
        ids = {p.pk for p in products}
        if ids - set(visible_products().filter(pk__in=ids).values_list("pk", flat=True)):
            raise field_error(
                "products",
                _("Only goods shoppers can see (published, by verified sellers) can be promoted."),
                "product_unavailable",
            )
    if not (products or campaign.farmer_id or campaign.village_id):
        raise field_error(
            "products", _("Promote at least one of: some products, a farmer, a village."), "nothing_promoted"
        )
    if campaign.farmer_id and "farmer" in changed and not campaign.farmer.is_verified:
        raise field_error("farmer", _("Only a verified farmer's goods can be promoted."), "invalid")
    if campaign.daily_cap < campaign.bid:
        raise field_error("daily_cap", _("The daily cap must pay for at least one click (the bid)."), "cap_too_low")
    if campaign.total_cap < campaign.daily_cap:
        raise field_error("total_cap", _("The total cap cannot be less than the daily cap."), "cap_too_low")
    if campaign.ends_at is not None:
        if campaign.ends_at <= campaign.starts_at:
            raise field_error("ends_at", _("The end must come after the start."), "invalid_schedule")
        if changed & {"starts_at", "ends_at"} and campaign.ends_at <= now:
            raise field_error("ends_at", _("The end is already past."), "invalid_schedule")
    if campaign.pk and "total_cap" in changed:
        spent = _spent_fen(campaign)
        if to_fen(campaign.total_cap) < spent:
            raise field_error(
                "total_cap",
                _("The total cap cannot be less than what was already spent (%(spent)s yuan)."),
                "below_spent",
                spent=f"{Decimal(spent) / 100:.2f}",
            )


def clean_frequency_cap(value) -> int | None:
    """How many times a day one reader may see the campaign: empty for no limit, else 1 to
    MAX_FREQUENCY_CAP."""
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        try:
            value = int(str(value).strip())
        except ValueError:
            raise field_error(
                "frequency_cap", _("Write a number of times, like 3, or leave it empty."), "invalid_frequency_cap"
            ) from None
    if not 1 <= value <= MAX_FREQUENCY_CAP:
        raise field_error(
            "frequency_cap",
            _("A reader can be shown it 1 to %(max)d times a day, or leave it empty for no limit."),
            "invalid_frequency_cap",
            max=MAX_FREQUENCY_CAP,
        )
    return value


def _targets(fields: dict) -> dict[str, list]:
    """The target provinces and categories given (empty: everywhere, any reader)."""
    return {name: list(dict.fromkeys(fields[name] or [])) for name in TARGET_FIELDS if name in fields}


def _set_targets(campaign: Campaign, targets: dict[str, list]) -> None:
    for name, chosen in targets.items():
        getattr(campaign, name).set(chosen)


def _assign(campaign: Campaign, fields: dict) -> list | None:
    """Set the cleaned values on `campaign`; return the products when they were given."""
    unknown = set(fields) - set(CAMPAIGN_FIELDS)
    if unknown:
        raise ValueError(f"not campaign fields: {sorted(unknown)}")
    if "name" in fields:
        name = clean_text(fields["name"], "name")
        if not name:
            raise field_error("name", _("Give the campaign a name."), "required")
        if len(name) > Campaign._meta.get_field("name").max_length:
            raise field_error("name", _("The name is too long."), "max_length")
        campaign.name = name
    if "bid" in fields:
        campaign.bid = clean_money(fields["bid"], "bid", MAX_BID)
    for cap in ("daily_cap", "total_cap"):
        if cap in fields:
            setattr(campaign, cap, clean_money(fields[cap], cap, MAX_CAP))
    if "starts_at" in fields:
        starts_at = _aware(fields["starts_at"], "starts_at")
        if starts_at is None:
            raise field_error("starts_at", _("Give the start of the campaign."), "required")
        campaign.starts_at = starts_at
    if "ends_at" in fields:
        campaign.ends_at = _aware(fields["ends_at"], "ends_at")
    if "farmer" in fields:
        campaign.farmer = fields["farmer"]
    if "village" in fields:
        campaign.village = fields["village"]
    if "frequency_cap" in fields:
        campaign.frequency_cap = clean_frequency_cap(fields["frequency_cap"])
    return list(fields["products"] or []) if "products" in fields else None


# --- Campaigns ------------------------------------------------------------------------------


@transaction.atomic
def create_campaign(actor, sponsor: Sponsor, **fields) -> Campaign:
    """A new campaign starts as a draft: nothing is served until someone activates it."""
    if not can_manage_sponsor(actor, sponsor):
        raise PermissionDenied(_("Only the sponsor's staff and operators can add its campaigns."))
    for required in ("name", "bid", "daily_cap", "total_cap", "starts_at"):
        if fields.get(required) is None:
            raise field_error(required, _("This field is required."), "required")
    campaign = Campaign(sponsor=sponsor, state=CampaignState.DRAFT, created_by=actor)
    products = _assign(campaign, fields) or []
    validate_campaign(campaign, products, set(fields))
    campaign.save()
    campaign.products.set(products)
    _set_targets(campaign, _targets(fields))
    return campaign


def _locked(campaign: Campaign) -> Campaign:
    return Campaign.objects.select_for_update().select_related("sponsor").get(pk=campaign.pk)


def _spent_fen(campaign: Campaign) -> int:
    """Billed so far: the database counter, or the ledger when it is ahead (on the Redis path the
    counter is written back by the reconcile task, up to a minute late)."""
    return max(campaign.spent_fen, ledger_spent_fen(campaign.pk))


def _can_pay_a_click(campaign: Campaign) -> bool:
    return _spent_fen(campaign) + campaign.bid_fen <= campaign.total_cap_fen


@transaction.atomic
def update_campaign(actor, campaign: Campaign, **fields) -> Campaign:
    """Change any of CAMPAIGN_FIELDS; an ended campaign is final. Target provinces and
    categories given replace the old ones (an empty list: everywhere, any reader).

    The total cap may not go below what was already billed (by the database counter or the
    ledger, whichever is more). The state follows the budget: an active campaign whose remaining
    total can no longer pay a click becomes EXHAUSTED, and an EXHAUSTED one that can again (its
    cap raised, or its bid lowered) becomes PAUSED, not ACTIVE: spending money again is a decision
    the sponsor makes explicitly with campaignActivate, often after raising the cap in steps."""
    campaign = _locked(campaign)
    _ensure_can_manage(actor, campaign)
    if campaign.state == CampaignState.ENDED:
        raise field_error(None, _("An ended campaign cannot be changed."), "campaign_ended")
    products = _assign(campaign, fields)
    if products is None:
        products = list(campaign.products.all())
    validate_campaign(campaign, products, set(fields))
    if campaign.state == CampaignState.ACTIVE and not _can_pay_a_click(campaign):
        campaign.state = CampaignState.EXHAUSTED
    elif campaign.state == CampaignState.EXHAUSTED and _can_pay_a_click(campaign):
        campaign.state = CampaignState.PAUSED
    campaign.save()
    if "products" in fields:
        campaign.products.set(products)
    _set_targets(campaign, _targets(fields))
    return campaign


def _refuse(message) -> ValidationError:
    return field_error(None, message, "invalid_transition")


@transaction.atomic
def activate_campaign(actor, campaign: Campaign, now: datetime.datetime | None = None) -> Campaign:
    """DRAFT or PAUSED → ACTIVE (an ACTIVE campaign stays so). A campaign that starts later may be
    activated now: it is served from its start. Refused once ended, exhausted, past its end, or
    when the remaining total cannot pay one click."""
    now = now or timezone.now()
    campaign = _locked(campaign)
    _ensure_can_manage(actor, campaign)
    if campaign.state == CampaignState.ACTIVE:
        return campaign
    if campaign.state == CampaignState.ENDED:
        raise _refuse(_("An ended campaign cannot be activated again."))
    if campaign.state == CampaignState.EXHAUSTED or not _can_pay_a_click(campaign):
        raise _refuse(_("The budget is spent: raise the total cap first."))
    if campaign.ends_at is not None and campaign.ends_at <= now:
        raise _refuse(_("The campaign's schedule has ended: set a later end first."))
    campaign.state = CampaignState.ACTIVE
    campaign.save(update_fields=["state", "updated_at"])
    return campaign


@transaction.atomic
def pause_campaign(actor, campaign: Campaign) -> Campaign:
    """ACTIVE → PAUSED (a PAUSED campaign stays so): served no more until activated again."""
    campaign = _locked(campaign)
    _ensure_can_manage(actor, campaign)
    if campaign.state == CampaignState.PAUSED:
        return campaign
    if campaign.state != CampaignState.ACTIVE:
        raise _refuse(_("Only an active campaign can be paused."))
    campaign.state = CampaignState.PAUSED
    campaign.save(update_fields=["state", "updated_at"])
    return campaign


@transaction.atomic
def end_campaign(actor, campaign: Campaign) -> Campaign:
    """Any state → ENDED, for good (ending an ended campaign changes nothing). Clicks on slots
    served before are no longer billed: `clicks.record_click` bills running campaigns only."""
    campaign = _locked(campaign)
    _ensure_can_manage(actor, campaign)
    if campaign.state != CampaignState.ENDED:
        campaign.state = CampaignState.ENDED
        campaign.save(update_fields=["state", "updated_at"])
    return campaign
