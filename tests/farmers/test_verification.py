"""Verification decisions: allowed moves, reasons, the record of who/when/why, and who may decide."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from farmers.models import FarmerStateChange, VerificationState
from farmers.verification import change_verification_state
from tests import factories as f

pytestmark = pytest.mark.django_db
S = VerificationState


def test_verify_records_who_when_and_why():
    farmer = f.farmer(state=S.PENDING)
    officer = f.user()
    f.ngo(villages=[farmer.village], staff=[officer])

    change_verification_state(farmer, S.VERIFIED, by=officer, reason="见过本人和身份证")

    farmer.refresh_from_db()
    assert farmer.verification_state == S.VERIFIED
    assert farmer.state_changed_by == officer and farmer.state_changed_at is not None
    change = FarmerStateChange.objects.get(farmer=farmer)
    assert (change.from_state, change.to_state, change.changed_by, change.reason) == (
        S.PENDING,
        S.VERIFIED,
        officer,
        "见过本人和身份证",
    )


@pytest.mark.parametrize(
    ("start", "target"),
    [(S.PENDING, S.SUSPENDED), (S.VERIFIED, S.PENDING), (S.SUSPENDED, S.REJECTED), (S.VERIFIED, S.VERIFIED)],
)
def test_impossible_moves_are_refused(start, target):
    farmer = f.farmer(state=start)
    with pytest.raises(ValidationError) as error:
        change_verification_state(farmer, target, by=f.staff_user(), reason="x")
    assert error.value.error_dict["verification_state"][0].code == "invalid_transition"
    farmer.refresh_from_db()
    assert farmer.verification_state == start and not farmer.state_changes.exists()


@pytest.mark.parametrize(("start", "target"), [(S.PENDING, S.REJECTED), (S.VERIFIED, S.SUSPENDED)])
def test_rejecting_or_suspending_needs_a_reason(start, target):
    farmer = f.farmer(state=start)
    with pytest.raises(ValidationError) as error:
        change_verification_state(farmer, target, by=f.staff_user(), reason="  ")
    assert "reason" in error.value.error_dict
    farmer.refresh_from_db()
    assert farmer.verification_state == start


def test_ngo_acts_only_on_villages_it_covers():
    farmer = f.farmer(state=S.PENDING)
    other_officer = f.user()
    f.ngo(villages=[f.village()], staff=[other_officer])
    for outsider in (other_officer, f.user(), f.farmer().user):
        with pytest.raises(PermissionDenied):
            change_verification_state(farmer, S.VERIFIED, by=outsider)
    farmer.refresh_from_db()
    assert farmer.verification_state == S.PENDING


def test_suspension_hides_the_farmers_products_at_once():
    from shop.selectors import visible_products

    farmer = f.farmer()
    product = f.product(seller=farmer)
    assert product in visible_products()
    change_verification_state(farmer, S.SUSPENDED, by=f.staff_user(), reason="投诉核实")
    assert product not in visible_products()
    change_verification_state(farmer, S.VERIFIED, by=f.staff_user(), reason="整改完成")
    assert product in visible_products()
    assert farmer.state_changes.count() == 2


def test_listing_finished_while_pending_is_published_by_verification():
    from shop import catalog
    from shop.models import Product

    farmer = f.farmer(state=S.PENDING)
    waiting = f.product(seller=farmer, published=False)
    catalog.update_product(farmer.user, waiting, publish_when_verified=True)
    draft = f.product(seller=farmer, published=False)
    waiting.refresh_from_db()
    assert (waiting.is_published, waiting.publish_when_verified) == (False, True)

    catalog.update_product(farmer.user, waiting, name="改了名字")  # editing keeps it waiting
    assert Product.objects.get(pk=waiting.pk).publish_when_verified is True

    change_verification_state(farmer, S.VERIFIED, by=f.staff_user())
    waiting.refresh_from_db()
    draft.refresh_from_db()
    assert (waiting.is_published, waiting.publish_when_verified) == (True, False)
    assert draft.is_published is False


def test_unpublishing_withdraws_a_waiting_listing():
    from shop import catalog

    farmer = f.farmer(state=S.PENDING)
    product = f.product(seller=farmer, published=False)
    catalog.update_product(farmer.user, product, publish_when_verified=True)
    catalog.update_product(farmer.user, product, is_published=False)
    change_verification_state(farmer, S.VERIFIED, by=f.staff_user())
    product.refresh_from_db()
    assert product.is_published is False


def test_verified_farmer_publishing_through_the_form_path_goes_live_at_once():
    from shop import catalog

    farmer = f.farmer()
    product = f.product(seller=farmer, published=False)
    catalog.update_product(farmer.user, product, publish_when_verified=True)
    product.refresh_from_db()
    assert (product.is_published, product.publish_when_verified) == (True, False)


def test_nobody_verifies_themselves():
    """An NGO officer who is also a farmer of a covered village cannot decide on their own record."""
    farmer = f.farmer(state=S.PENDING)
    f.ngo(villages=[farmer.village], staff=[farmer.user])
    with pytest.raises(PermissionDenied):
        change_verification_state(farmer, S.VERIFIED, by=farmer.user)
    farmer.refresh_from_db()
    assert farmer.verification_state == S.PENDING and not farmer.state_changes.exists()


def test_verifying_a_cooperative_publishes_its_waiting_listings():
    from farmers.verification import change_cooperative_state
    from shop import catalog
    from shop.selectors import visible_products

    manager = f.user()
    coop = f.cooperative(state=S.PENDING, manager=manager)
    product = f.product(seller=coop, published=False)
    catalog.update_product(manager, product, publish_when_verified=True)
    assert product not in visible_products()

    with pytest.raises(PermissionDenied):
        change_cooperative_state(coop, S.VERIFIED, by=manager)
    with pytest.raises(ValidationError):
        change_cooperative_state(coop, S.REJECTED, by=f.staff_user(), reason=" ")
    change_cooperative_state(coop, S.VERIFIED, by=f.staff_user())
    assert product in visible_products()
