"""The authorization rules of every root query and mutation, in one table.

Each rule names one operation of the schema, the request that exercises it against the other
party's objects (tests/authz/world.py: farmer B and cooperative D, shopper T, NGO Y's village,
sponsor T), the roles that may do it, and who the other party is (the owner, asked too as a
positive control). Every role not in `allowed` must be refused. A new operation without a rule
here, or a rule for an operation that no longer exists, fails tests/authz/test_matrix.py.

Reads are allowed or refused by what the answer shows: `secrets` are strings only an allowed
reader may get back in the data (an ID, a phone number; an error may echo the ID the caller sent);
a read without secrets is allowed when its field is not null and not empty."""

from collections.abc import Callable
from dataclasses import dataclass

from graphql_relay import to_global_id

from core.graphql import jwt_tokens
from tests.shop.buying import ADDRESS, gid

from .world import OPERATOR, ROLES, World

SIGNED_IN = frozenset(ROLES) - {"anonymous"}
EVERYONE = frozenset(ROLES)
OPERATORS = frozenset({OPERATOR})
NOBODY = frozenset()


@dataclass(frozen=True)
class Rule:
    document: str
    allowed: frozenset
    variables: Callable[[World], dict] = lambda w: {}
    owner: Callable[[World], object] | None = None  # the other party's user, who may do it too
    secrets: Callable[[World], list[str]] | None = None  # reads: what only allowed readers get back
    files: Callable[[World], dict] | None = None  # mutations with an upload: variable name -> file
    writes: bool = True  # mutations: an allowed one changes the database
    may_be_empty: bool = False  # reads without secrets: an empty list still answers


def _farmer_b(w):
    return w.farmer_b.user


def _shopper_t(w):
    return w.shopper_t


def _ngo_y(w):
    return w.ngo_y_staff


def _sponsor_t(w):
    return w.sponsor_t_staff


def _checkout(w):
    return to_global_id("Checkout", w.checkout_t.pk)


def _photo(w):
    from .world import photo

    return {"image": photo()}


PAGE = "{ edges { node { id } } }"
CAMPAIGN = "campaign { id state name } errors { field code message }"
CONTENT = "contentItem { id title status } errors { field code message }"
CHECKOUT = "checkout { id } errors { field code message }"
PRODUCT = "product { id name } errors { field code message }"

QUERIES: dict[str, Rule] = {
    # --- Public catalogue, places and feed: everyone -------------------------------------------
    "categories": Rule("{ categories { id name } }", EVERYONE),
    "provinces": Rule("{ provinces { id name } }", EVERYONE),
    "villages": Rule("{ villages { id name } }", EVERYONE),
    "village": Rule("query($id: ID!) { village(id: $id) { id name } }", EVERYONE, lambda w: {"id": gid(w.village_y)}),
    "shippingMethods": Rule("{ shippingMethods { id name } }", EVERYONE),
    "products": Rule("{ products(first: 50) " + PAGE + " }", EVERYONE, secrets=lambda w: [gid(w.product_b)]),
    "search": Rule(
        "query($q: String) { search(query: $q, first: 20) { totalCount } }",
        EVERYONE,
        lambda w: {"q": w.product_b.name},
    ),
    "searchSuggest": Rule(
        "query($p: String!) { searchSuggest(prefix: $p) { text } }",
        EVERYONE,
        lambda w: {"p": w.product_b.name[:1]},
        may_be_empty=True,
    ),
    "feed": Rule("{ feed(first: 20, personalised: false) { edges { cursor } } }", EVERYONE),
    "contentItem": Rule(
        "query($id: ID) { contentItem(id: $id) { id title } }",
        OPERATORS,
        lambda w: {"id": gid(w.draft_y)},
        owner=_ngo_y,
        secrets=lambda w: [gid(w.draft_y)],
    ),
    # --- A farmer's profile is public; the phone and ID number are not -------------------------
    "farmer": Rule(
        "query($id: ID!) { farmer(id: $id) { id name phone idNumber } }",
        OPERATORS,
        lambda w: {"id": gid(w.farmer_b)},
        owner=_farmer_b,
        secrets=lambda w: [w.farmer_b.phone, w.farmer_b.id_number],
    ),
    # --- The seller's own: a draft product, parcels, earnings, payouts -------------------------
    "product": Rule(
        "query($id: ID) { product(id: $id) { id name } }",
        OPERATORS,
        lambda w: {"id": gid(w.draft_b)},
        owner=_farmer_b,
        secrets=lambda w: [gid(w.draft_b)],
    ),
    "fulfilmentsToShip": Rule(
        # Operators ship nothing of their own: the list is the seller's work queue.
        "{ fulfilmentsToShip(first: 50) " + PAGE + " }",
        NOBODY,
        owner=_farmer_b,
        secrets=lambda w: [gid(w.order_paid.fulfilments.get())],
    ),
    "myEarnings": Rule(
        "query($seller: ID) { myEarnings(sellerId: $seller) { sellerName payable payouts { id } } }",
        OPERATORS,
        lambda w: {"seller": gid(w.farmer_b)},
        owner=_farmer_b,
        secrets=lambda w: [gid(w.payout_b)],
    ),
    "payouts": Rule(
        "{ payouts(first: 50) " + PAGE + " }",
        OPERATORS,
        owner=_farmer_b,
        secrets=lambda w: [gid(w.payout_b)],
    ),
    # --- The shopper's own --------------------------------------------------------------------
    "me": Rule("{ me { email } }", SIGNED_IN),
    "checkout": Rule(
        # Reached by its ID alone only while it is a guest's; an account's is its owner's only.
        "query($id: ID!) { checkout(id: $id) { id } }",
        NOBODY,
        lambda w: {"id": _checkout(w)},
        owner=_shopper_t,
    ),
    "order": Rule(
        "query($id: ID!) { order(id: $id) { id number } }",
        OPERATORS,
        lambda w: {"id": gid(w.order_unpaid)},
        owner=_shopper_t,
        secrets=lambda w: [gid(w.order_unpaid)],
    ),
    "node": Rule(
        "query($id: ID!) { node(id: $id) { id } }",
        OPERATORS,
        lambda w: {"id": gid(w.order_unpaid)},
        owner=_shopper_t,
        secrets=lambda w: [gid(w.order_unpaid)],
    ),
    # --- NGOs: their villages' figures and stories ---------------------------------------------
    "villageImpact": Rule(
        'query($v: ID!) { villageImpact(villageId: $v, period: "2026") { period } }',
        OPERATORS,
        lambda w: {"v": gid(w.village_y)},
        owner=_ngo_y,
    ),
    "impactReport": Rule(
        'query($v: ID) { impactReport(scope: {kind: VILLAGE, id: $v}, period: "2026") { period } }',
        OPERATORS,
        lambda w: {"v": gid(w.village_y)},
        owner=_ngo_y,
    ),
    "myContentItems": Rule(
        "{ myContentItems(first: 50) " + PAGE + " }",
        OPERATORS,
        owner=_ngo_y,
        secrets=lambda w: [gid(w.draft_y)],
    ),
    # --- Sponsors: their campaigns --------------------------------------------------------------
    "sponsors": Rule("{ sponsors { id name } }", OPERATORS, owner=_sponsor_t, secrets=lambda w: [gid(w.sponsor_t)]),
    "campaigns": Rule(
        "{ campaigns(first: 50) " + PAGE + " }",
        OPERATORS,
        owner=_sponsor_t,
        secrets=lambda w: [gid(w.campaign_active_t)],
    ),
    "campaign": Rule(
        "query($id: ID!) { campaign(id: $id) { id name } }",
        OPERATORS,
        lambda w: {"id": gid(w.campaign_active_t)},
        owner=_sponsor_t,
        secrets=lambda w: [gid(w.campaign_active_t)],
    ),
}

# Everyone may sign up, sign in and start a checkout; the rest acts on the other party's objects.
MUTATIONS: dict[str, Rule] = {
    # --- Accounts --------------------------------------------------------------------------------
    "accountRegister": Rule(
        'mutation { accountRegister(input: {email: "new-shopper@example.com", password: "山货-long-pass-9"}) '
        "{ email errors { field code message } } }",
        EVERYONE,
    ),
    "tokenCreate": Rule(
        # Signing in is the credentials' business, not the caller's: a token, no row written.
        'mutation($name: String!) { tokenCreate(email: $name, password: "pw-123456") '
        "{ token errors { field code message } } }",
        EVERYONE,
        lambda w: {"name": w.shopper_t.username},
        writes=False,
    ),
    "tokenRefresh": Rule(
        # A refresh token is the credential: whoever holds T's gets T's access token; no row written.
        "mutation($t: String!) { tokenRefresh(refreshToken: $t) { token errors { field code message } } }",
        EVERYONE,
        lambda w: {"t": jwt_tokens.create(w.shopper_t, jwt_tokens.REFRESH, "http://testserver/graphql/")},
        writes=False,
    ),
    "tokenVerify": Rule(
        "mutation($t: String!) { tokenVerify(token: $t) { isValid errors { field code message } } }",
        EVERYONE,
        lambda w: {"t": jwt_tokens.create(w.shopper_t, jwt_tokens.ACCESS, "http://testserver/graphql/")},
        writes=False,
    ),
    # Ends the caller's own tokens (a new key on their own row): any account, nobody else's.
    "tokensDeactivateAll": Rule("mutation { tokensDeactivateAll { errors { field code message } } }", SIGNED_IN),
    "feedPersonalisationSet": Rule(
        "mutation { feedPersonalisationSet(personalised: false) { personalised errors { field code message } } }",
        SIGNED_IN,
    ),
    # --- Checkout: a new one for anyone, shopper T's own only for T ----------------------------
    "checkoutCreate": Rule(
        'mutation($v: ID!) { checkoutCreate(input: {email: "guest@example.com", '
        "lines: [{variantId: $v, quantity: 1}]}) { " + CHECKOUT + " } }",
        EVERYONE,
        lambda w: {"v": gid(w.variant_b)},
    ),
    "checkoutEmailUpdate": Rule(
        'mutation($id: ID!) { checkoutEmailUpdate(id: $id, email: "other@example.com") { ' + CHECKOUT + " } }",
        NOBODY,
        lambda w: {"id": _checkout(w)},
        owner=_shopper_t,
    ),
    "checkoutLinesAdd": Rule(
        "mutation($id: ID!, $v: ID!) { checkoutLinesAdd(id: $id, lines: [{variantId: $v, quantity: 2}]) "
        "{ " + CHECKOUT + " } }",
        NOBODY,
        lambda w: {"id": _checkout(w), "v": gid(w.variant_b)},
        owner=_shopper_t,
    ),
    "checkoutLinesUpdate": Rule(
        "mutation($id: ID!, $l: ID!) { checkoutLinesUpdate(id: $id, lines: [{lineId: $l, quantity: 3}]) "
        "{ " + CHECKOUT + " } }",
        NOBODY,
        lambda w: {"id": _checkout(w), "l": gid(w.checkout_line_t)},
        owner=_shopper_t,
    ),
    "checkoutLinesDelete": Rule(
        "mutation($id: ID!, $l: ID!) { checkoutLinesDelete(id: $id, linesIds: [$l]) { " + CHECKOUT + " } }",
        NOBODY,
        lambda w: {"id": _checkout(w), "l": gid(w.checkout_line_t)},
        owner=_shopper_t,
    ),
    "checkoutShippingAddressUpdate": Rule(
        "mutation($id: ID!, $a: AddressInput!) { checkoutShippingAddressUpdate(id: $id, shippingAddress: $a) "
        "{ " + CHECKOUT + " } }",
        NOBODY,
        lambda w: {"id": _checkout(w), "a": {**ADDRESS, "recipient": "韩梅梅"}},
        owner=_shopper_t,
    ),
    "checkoutDeliveryMethodUpdate": Rule(
        "mutation($id: ID!, $m: ID!) { checkoutDeliveryMethodUpdate(id: $id, deliveryMethodId: $m) "
        "{ " + CHECKOUT + " } }",
        NOBODY,
        lambda w: {"id": _checkout(w), "m": gid(w.shipping)},
        owner=_shopper_t,
    ),
    "checkoutParcelDeliveryMethodsUpdate": Rule(
        "mutation($id: ID!, $s: ID!, $m: ID!) { checkoutParcelDeliveryMethodsUpdate(id: $id, "
        "parcels: [{sellerId: $s, deliveryMethodId: $m}]) { " + CHECKOUT + " } }",
        NOBODY,
        lambda w: {"id": _checkout(w), "s": gid(w.farmer_b), "m": gid(w.shipping)},
        owner=_shopper_t,
    ),
    "checkoutComplete": Rule(
        "mutation($id: ID!) { checkoutComplete(id: $id, paymentMethod: OFFLINE) "
        "{ order { id } errors { field code message } } }",
        NOBODY,
        lambda w: {"id": _checkout(w)},
        owner=_shopper_t,
    ),
    # --- Goods: farmer B's (a member of cooperative D) -----------------------------------------
    "productCreate": Rule(
        'mutation($c: ID!, $farmer: ID!) { productCreate(input: {name: "新山货", category: $c, farmer: $farmer, '
        'variants: [{name: "1斤", price: "9.90", stock: 5, weightKg: "0.5"}]}) { ' + PRODUCT + " } }",
        OPERATORS,
        lambda w: {"c": gid(w.category), "farmer": gid(w.farmer_b)},
        owner=_farmer_b,
    ),
    "productUpdate": Rule(
        'mutation($id: ID!) { productUpdate(id: $id, input: {name: "改了名"}) { ' + PRODUCT + " } }",
        OPERATORS,
        lambda w: {"id": gid(w.product_b)},
        owner=_farmer_b,
    ),
    "productDelete": Rule(
        "mutation($id: ID!) { productDelete(id: $id) { deletedId errors { field code message } } }",
        OPERATORS,
        lambda w: {"id": gid(w.draft_b)},
        owner=_farmer_b,
    ),
    "productVariantCreate": Rule(
        'mutation($p: ID!) { productVariantCreate(product: $p, input: {name: "10斤装", price: "69.00", '
        'stock: 3, weightKg: "5"}) { variant { id } errors { field code message } } }',
        OPERATORS,
        lambda w: {"p": gid(w.product_b)},
        owner=_farmer_b,
    ),
    "productVariantUpdate": Rule(
        'mutation($id: ID!) { productVariantUpdate(id: $id, input: {price: "1.00"}) '
        "{ variant { id price } errors { field code message } } }",
        OPERATORS,
        lambda w: {"id": gid(w.variant_b)},
        owner=_farmer_b,
    ),
    "productImageCreate": Rule(
        "mutation($p: ID!, $image: Upload!) { productImageCreate(product: $p, image: $image) "
        "{ image { id } errors { field code message } } }",
        OPERATORS,
        lambda w: {"p": gid(w.product_b), "image": None},
        owner=_farmer_b,
        files=_photo,
    ),
    # --- Orders: parcels are the seller's to ship, money is the operators' ----------------------
    "fulfilmentShip": Rule(
        'mutation($id: ID!) { fulfilmentShip(id: $id, input: {carrier: "顺丰", trackingNumber: "SF9"}) '
        "{ fulfilment { id status } errors { field code message } } }",
        OPERATORS,
        lambda w: {"id": gid(w.order_paid.fulfilments.get())},
        owner=_farmer_b,
    ),
    "fulfilmentDeliver": Rule(
        "mutation($id: ID!) { fulfilmentDeliver(id: $id) { fulfilment { id status } errors { field code message } } }",
        OPERATORS,
        lambda w: {"id": gid(w.order_shipped.fulfilments.get())},
        owner=_farmer_b,
    ),
    "orderCancel": Rule(
        "mutation($id: ID!) { orderCancel(id: $id) { order { id status } errors { field code message } } }",
        OPERATORS,
        lambda w: {"id": gid(w.order_unpaid)},
        owner=_shopper_t,
    ),
    "orderPaymentConfirm": Rule(
        'mutation($id: ID!) { orderPaymentConfirm(id: $id, reference: "R1") '
        "{ order { id status } errors { field code message } } }",
        OPERATORS,
        lambda w: {"id": gid(w.order_unpaid)},
    ),
    "orderRefund": Rule(
        'mutation($id: ID!) { orderRefund(id: $id, reason: "坏了") { refund { id } errors { field code message } } }',
        OPERATORS,
        lambda w: {"id": gid(w.order_paid)},
    ),
    # --- Stories: NGO Y's, about the village it covers -----------------------------------------
    "contentItemCreate": Rule(
        'mutation($v: ID!) { contentItemCreate(input: {kind: STORY, title: "新故事", village: $v}) '
        "{ " + CONTENT + " } }",
        OPERATORS,
        lambda w: {"v": gid(w.village_y)},
        owner=_ngo_y,
    ),
    "contentItemUpdate": Rule(
        'mutation($id: ID!) { contentItemUpdate(id: $id, input: {title: "改过的故事"}) { ' + CONTENT + " } }",
        OPERATORS,
        lambda w: {"id": gid(w.draft_y)},
        owner=_ngo_y,
    ),
    "contentItemPublish": Rule(
        "mutation($id: ID!) { contentItemPublish(id: $id) { " + CONTENT + " } }",
        OPERATORS,
        lambda w: {"id": gid(w.draft_y)},
        owner=_ngo_y,
    ),
    "contentItemUnpublish": Rule(
        "mutation($id: ID!) { contentItemUnpublish(id: $id) { " + CONTENT + " } }",
        OPERATORS,
        lambda w: {"id": gid(w.published_y)},
        owner=_ngo_y,
    ),
    "contentImageAdd": Rule(
        "mutation($item: ID!, $image: Upload!) { contentImageAdd(item: $item, image: $image) "
        "{ image { id } errors { field code message } } }",
        OPERATORS,
        lambda w: {"item": gid(w.draft_y), "image": None},
        owner=_ngo_y,
        files=_photo,
    ),
    "contentImageDelete": Rule(
        "mutation($id: ID!) { contentImageDelete(id: $id) { deletedId errors { field code message } } }",
        OPERATORS,
        lambda w: {"id": gid(w.image_y)},
        owner=_ngo_y,
    ),
    # --- Sponsors and campaigns: sponsor T's ---------------------------------------------------
    "sponsorCreate": Rule(
        'mutation { sponsorCreate(input: {name: "新赞助方"}) { sponsor { id } errors { field code message } } }',
        OPERATORS,
    ),
    "campaignCreate": Rule(
        'mutation($s: ID!, $p: ID!) { campaignCreate(input: {sponsor: $s, name: "秋收", bid: "1.00", '
        'dailyCap: "10.00", totalCap: "100.00", startsAt: "2026-01-01T00:00:00+08:00", products: [$p]}) '
        "{ " + CAMPAIGN + " } }",
        OPERATORS,
        lambda w: {"s": gid(w.sponsor_t), "p": gid(w.product_b)},
        owner=_sponsor_t,
    ),
    "campaignUpdate": Rule(
        'mutation($id: ID!) { campaignUpdate(id: $id, input: {bid: "2.00"}) { ' + CAMPAIGN + " } }",
        OPERATORS,
        lambda w: {"id": gid(w.campaign_active_t)},
        owner=_sponsor_t,
    ),
    "campaignActivate": Rule(
        "mutation($id: ID!) { campaignActivate(id: $id) { " + CAMPAIGN + " } }",
        OPERATORS,
        lambda w: {"id": gid(w.campaign_draft_t)},
        owner=_sponsor_t,
    ),
    "campaignPause": Rule(
        "mutation($id: ID!) { campaignPause(id: $id) { " + CAMPAIGN + " } }",
        OPERATORS,
        lambda w: {"id": gid(w.campaign_active_t)},
        owner=_sponsor_t,
    ),
    "campaignEnd": Rule(
        "mutation($id: ID!) { campaignEnd(id: $id) { " + CAMPAIGN + " } }",
        OPERATORS,
        lambda w: {"id": gid(w.campaign_active_t)},
        owner=_sponsor_t,
    ),
}
