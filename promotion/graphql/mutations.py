"""Sponsor and campaign mutations: parse the input, call one service in `promotion.campaigns`.

A campaign or sponsor the viewer may not see is NOT_FOUND, exactly like one that does not exist,
so nobody learns of another sponsor's campaigns by guessing IDs."""

import graphene
from django.contrib.auth import get_user_model
from django.utils.translation import gettext as _

from core.errors import field_error
from core.graphql.ids import decode_id, get_by_global_id
from core.graphql.mutations import BaseMutation
from core.graphql.scalars import ExactDecimal
from core.permissions import authenticated, staff
from farmers.models import Farmer, Province, Village
from shop.models import Category, Product

from .. import campaigns
from ..permissions import campaigns_visible_to, sponsors_visible_to
from .errors import PromotionError, PromotionErrorCode
from .types import CampaignType, SponsorKindEnum, SponsorType


class PromotionMutation(BaseMutation):
    class Meta:
        abstract = True

    _error_type = PromotionError
    _code_enum = PromotionErrorCode
    _permission_check = staticmethod(authenticated)


class SponsorCreateInput(graphene.InputObjectType):
    name = graphene.String(required=True)
    kind = SponsorKindEnum(default_value=SponsorKindEnum.COMPANY.value)
    staff = graphene.List(graphene.NonNull(graphene.String), description="Usernames of the sponsor's staff.")


class SponsorCreate(PromotionMutation):
    """Operators only."""

    sponsor = graphene.Field(SponsorType)

    class Arguments:
        input = SponsorCreateInput(required=True)

    class Meta:
        permission = staff

    @classmethod
    def perform_mutation(cls, root, info, input):
        usernames = list(dict.fromkeys(input.get("staff") or []))
        users = list(get_user_model().objects.filter(username__in=usernames))
        missing = set(usernames) - {u.username for u in users}
        if missing:
            raise field_error("staff", _("No user named %(names)s."), "not_found", names=", ".join(sorted(missing)))
        kind = input.get("kind")
        sponsor = campaigns.create_sponsor(
            info.context.user, input["name"], getattr(kind, "value", kind) or "company", users
        )
        return cls(sponsor=sponsor, errors=[])


class CampaignInputFields:
    products = graphene.List(graphene.NonNull(graphene.ID), description="Products promoted.")
    farmer = graphene.ID(description="A farmer whose goods are all promoted.")
    village = graphene.ID(description="A village whose goods are all promoted.")
    ends_at = graphene.DateTime(description="No end when null.")
    target_provinces = graphene.List(
        graphene.NonNull(graphene.ID),
        description="Shown only to readers in these provinces (a reader whose province is unknown is not "
        "among them); empty: everywhere.",
    )
    target_categories = graphene.List(
        graphene.NonNull(graphene.ID),
        description="Shown only to readers interested in these categories (a top category covers its "
        "subcategories); empty: any reader. Readers who turned personalisation off see no targeted campaign.",
    )
    frequency_cap = graphene.Int(
        description="At most this many impressions a day for one reader, 1 to 100; null: no limit."
    )


class CampaignCreateInput(CampaignInputFields, graphene.InputObjectType):
    sponsor = graphene.ID(required=True)
    name = graphene.String(required=True)
    bid = ExactDecimal(required=True, description="CNY per billable click, at least 0.01, at most two places.")
    daily_cap = ExactDecimal(required=True, description="CNY a day, at least the bid.")
    total_cap = ExactDecimal(required=True, description="CNY in all, at least the daily cap.")
    starts_at = graphene.DateTime(required=True)


class CampaignUpdateInput(CampaignInputFields, graphene.InputObjectType):
    """Only the fields given change; `farmer`, `village` or `endsAt` given as null are cleared."""

    name = graphene.String()
    bid = ExactDecimal()
    daily_cap = ExactDecimal()
    total_cap = ExactDecimal()
    starts_at = graphene.DateTime()


def campaign_fields(data) -> dict:
    """The input as service arguments, global IDs loaded. Keys absent from the input stay absent;
    an explicit null is kept (it clears `farmer`, `village`, `ends_at`)."""
    fields = {key: value for key, value in dict(data).items() if key != "sponsor"}
    if "products" in fields:
        ids = [decode_id(gid, "Product", "products") for gid in fields["products"] or []]
        found = {p.pk: p for p in Product.objects.filter(pk__in=ids)}
        if len(found) != len(set(ids)):
            raise field_error("products", _("Some of these products do not exist."), "not_found")
        fields["products"] = [found[pk] for pk in dict.fromkeys(ids)]
    for name, model, type_name in (("farmer", Farmer, "Farmer"), ("village", Village, "Village")):
        if fields.get(name) is not None:
            fields[name] = get_by_global_id(model.objects.all(), fields[name], type_name, name)
    for name, model, type_name in (
        ("target_provinces", Province, "Province"),
        ("target_categories", Category, "Category"),
    ):
        if name in fields:
            ids = list(dict.fromkeys(decode_id(gid, type_name, name) for gid in fields[name] or []))
            found = {o.pk: o for o in model.objects.filter(pk__in=ids)}
            if len(found) != len(ids):
                raise field_error(name, _("Some of these do not exist."), "not_found")
            fields[name] = [found[pk] for pk in ids]
    return fields


def _campaign(info, global_id):
    return get_by_global_id(campaigns_visible_to(info.context.user), global_id, "Campaign", "id")


class CampaignCreate(PromotionMutation):
    """A new campaign is a DRAFT until activated."""

    campaign = graphene.Field(CampaignType)

    class Arguments:
        input = CampaignCreateInput(required=True)

    @classmethod
    def perform_mutation(cls, root, info, input):
        sponsor = get_by_global_id(sponsors_visible_to(info.context.user), input["sponsor"], "Sponsor", "sponsor")
        campaign = campaigns.create_campaign(info.context.user, sponsor, **campaign_fields(input))
        return cls(campaign=campaign, errors=[])


class CampaignUpdate(PromotionMutation):
    campaign = graphene.Field(CampaignType)

    class Arguments:
        id = graphene.ID(required=True)
        input = CampaignUpdateInput(required=True)

    @classmethod
    def perform_mutation(cls, root, info, id, input):
        fields = campaign_fields(input)
        for required in ("name", "bid", "daily_cap", "total_cap", "starts_at"):
            if required in fields and fields[required] is None:
                raise field_error(required, _("This field cannot be cleared."), "required")
        campaign = campaigns.update_campaign(info.context.user, _campaign(info, id), **fields)
        return cls(campaign=campaign, errors=[])


class CampaignActivate(PromotionMutation):
    campaign = graphene.Field(CampaignType)

    class Arguments:
        id = graphene.ID(required=True)

    @classmethod
    def perform_mutation(cls, root, info, id):
        return cls(campaign=campaigns.activate_campaign(info.context.user, _campaign(info, id)), errors=[])


class CampaignPause(PromotionMutation):
    campaign = graphene.Field(CampaignType)

    class Arguments:
        id = graphene.ID(required=True)

    @classmethod
    def perform_mutation(cls, root, info, id):
        return cls(campaign=campaigns.pause_campaign(info.context.user, _campaign(info, id)), errors=[])


class CampaignEnd(PromotionMutation):
    """For good: an ended campaign is never served or billed again."""

    campaign = graphene.Field(CampaignType)

    class Arguments:
        id = graphene.ID(required=True)

    @classmethod
    def perform_mutation(cls, root, info, id):
        return cls(campaign=campaigns.end_campaign(info.context.user, _campaign(info, id)), errors=[])


class PromotionMutations(graphene.ObjectType):
    sponsor_create = SponsorCreate.Field()
    campaign_create = CampaignCreate.Field()
    campaign_update = CampaignUpdate.Field()
    campaign_activate = CampaignActivate.Field()
    campaign_pause = CampaignPause.Field()
    campaign_end = CampaignEnd.Field()
