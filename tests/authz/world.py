"""The objects the authorization matrix acts on, built once per test module through the real
services: the "other party" of every role (farmer B and cooperative D, shopper T, NGO Y and its
village, sponsor T) and one signed-in user per role."""

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from farmers.models import VerificationState
from payments import payouts, shopper_payments
from promotion import content
from promotion.models import CampaignState, ContentItem, ContentStatus
from shop import checkout as checkout_service
from shop.models import Fulfilment
from shop.orders import deliver_fulfilment, ship_fulfilment
from tests import factories as f
from tests.shop.buying import ADDRESS, place_order, shipping_method

ANONYMOUS = "anonymous"
SHOPPER = "shopper"
PENDING_FARMER = "pending_farmer"
FARMER_A = "farmer_a"
COOP_MANAGER = "coop_manager"
NGO_X = "ngo_x"
SPONSOR_S = "sponsor_s"
OPERATOR = "operator"
# The other party itself (the rule names who): proves each request is one that works, so that a
# refusal of another role is a refusal of that role, not of a malformed request.
OWNER = "owner"

ROLES = (ANONYMOUS, SHOPPER, PENDING_FARMER, FARMER_A, COOP_MANAGER, NGO_X, SPONSOR_S, OPERATOR)


@dataclass
class World:
    roles: dict  # role -> User, or None for the anonymous visitor
    # The other party's objects.
    village_y: object  # covered by NGO Y only
    farmer_b: object  # verified, in village_y, a member of cooperative D
    coop_d: object
    coop_d_manager: object
    product_b: object  # published
    variant_b: object
    draft_b: object  # an unpublished product of farmer B
    category: object
    shipping: object
    shopper_t: object
    checkout_t: object  # ready to complete
    checkout_line_t: object
    order_unpaid: object  # offline, waiting for the money
    order_paid: object  # paid, nothing shipped
    order_shipped: object  # paid, its parcel on the way
    payout_b: object
    ngo_y_staff: object
    draft_y: object  # a draft story of NGO Y about village_y, with a photo
    image_y: object
    published_y: object
    sponsor_t: object
    sponsor_t_staff: object
    campaign_draft_t: object
    campaign_active_t: object


def photo(name="photo.jpg") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, f.image_bytes(), content_type="image/jpeg")


def build() -> World:
    operator = f.staff_user()

    # NGO X covers a village of its own, where farmer A and cooperative C are; NGO Y covers village_y.
    village_x = f.village()
    village_y = f.village()
    ngo_x_staff, ngo_y_staff = f.user(), f.user()
    f.ngo(villages=[village_x], staff=[ngo_x_staff])
    ngo_y = f.ngo(villages=[village_y], staff=[ngo_y_staff])

    farmer_a = f.farmer(village_=village_x)
    pending = f.farmer(state=VerificationState.PENDING, village_=village_x)
    coop_manager = f.user()
    coop_c = f.cooperative(village_=village_x, manager=coop_manager)
    f.farmer(village_=village_x, cooperative=coop_c)

    coop_d_manager = f.user()
    coop_d = f.cooperative(village_=village_y, manager=coop_d_manager)
    farmer_b = f.farmer(village_=village_y, cooperative=coop_d)
    category = f.category()
    product_b = f.product(
        seller=farmer_b,
        category_=category,
        variants=[{"name": "5斤装", "price": Decimal("39.90"), "stock": 50, "weight_kg": Decimal("2.5")}],
    )
    variant_b = product_b.variants.get()
    draft_b = f.product(seller=farmer_b, category_=category, published=False)
    shipping = shipping_method()

    shopper_t = f.user(email="shopper-t@example.com")
    checkout_t = checkout_service.create_checkout(
        shopper_t, email=shopper_t.email, lines=[checkout_service.LineRequest(variant_b, 1)]
    )
    checkout_service.update_shipping_address(checkout_t, dict(ADDRESS))
    checkout_service.update_delivery_method(checkout_t, shipping)
    checkout_t.refresh_from_db()

    def order():
        return place_order([(variant_b, 1)], user=shopper_t, email=shopper_t.email, method=shipping)

    order_unpaid = order()
    order_paid = order()
    shopper_payments.confirm_offline_payment(operator, order_paid.payment)
    order_shipped = order()
    shopper_payments.confirm_offline_payment(operator, order_shipped.payment)
    ship_fulfilment(farmer_b.user, order_shipped.fulfilments.get(), "顺丰", "SF0000000001")
    order_delivered = order()
    shopper_payments.confirm_offline_payment(operator, order_delivered.payment)
    parcel = order_delivered.fulfilments.get()
    ship_fulfilment(farmer_b.user, parcel, "顺丰", "SF0000000002")
    deliver_fulfilment(farmer_b.user, parcel)
    Fulfilment.objects.filter(pk=parcel.pk).update(delivered_at=timezone.now() - datetime.timedelta(days=8))
    payouts.run()
    payout_b = farmer_b.payouts.get()

    draft_y = ContentItem.objects.create(
        title="村里的新路",
        slug="matrix-draft-y",
        summary="修路的故事",
        body="村里修了一条新路，山货运得出去了。",
        village=village_y,
        ngo=ngo_y,
        author=ngo_y_staff,
    )
    image_y = content.add_content_image(ngo_y_staff, draft_y, photo(), "")
    published_y = f.story(village_=village_y, ngo=ngo_y, author=ngo_y_staff)
    assert published_y.status == ContentStatus.PUBLISHED

    sponsor_s_staff, sponsor_t_staff = f.user(), f.user()
    f.sponsor(staff=[sponsor_s_staff])
    sponsor_t = f.sponsor(staff=[sponsor_t_staff])
    campaign_draft_t = f.campaign(sponsor_=sponsor_t, products=[product_b], state=CampaignState.DRAFT)
    campaign_active_t = f.campaign(sponsor_=sponsor_t, products=[product_b])

    return World(
        roles={
            ANONYMOUS: None,
            SHOPPER: f.user(email="shopper@example.com"),
            PENDING_FARMER: pending.user,
            FARMER_A: farmer_a.user,
            COOP_MANAGER: coop_manager,
            NGO_X: ngo_x_staff,
            SPONSOR_S: sponsor_s_staff,
            OPERATOR: operator,
        },
        village_y=village_y,
        farmer_b=farmer_b,
        coop_d=coop_d,
        coop_d_manager=coop_d_manager,
        product_b=product_b,
        variant_b=variant_b,
        draft_b=draft_b,
        category=category,
        shipping=shipping,
        shopper_t=shopper_t,
        checkout_t=checkout_t,
        checkout_line_t=checkout_t.lines.get(),
        order_unpaid=order_unpaid,
        order_paid=order_paid,
        order_shipped=order_shipped,
        payout_b=payout_b,
        ngo_y_staff=ngo_y_staff,
        draft_y=draft_y,
        image_y=image_y,
        published_y=published_y,
        sponsor_t=sponsor_t,
        sponsor_t_staff=sponsor_t_staff,
        campaign_draft_t=campaign_draft_t,
        campaign_active_t=campaign_active_t,
    )
