"""The seller's pages (/farmer/): listing goods in one short form, "my products" with price and stock
changed in place, publishing and unpublishing; cooperative managers acting for their members.

Errors are checked by field and code in `response.context`, never by English text: the pages open in
Chinese. A refused form writes nothing: no product, variant, photo row or file.
"""

from decimal import Decimal
from html.parser import HTMLParser
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.shortcuts import resolve_url
from django.urls import reverse

from farmers.models import VerificationState
from farmers.verification import change_verification_state
from shop import catalog, selectors
from shop.models import ImageStatus, Product, ProductImage, Variant
from shop.seller.forms import ProductForm, VariantFormSet
from shop.seller.views import _apply_service_errors
from tests import factories as f
from tests.core.test_images import bilevel_png

pytestmark = pytest.mark.django_db

NEW = reverse("seller:product_new")
LIST = reverse("seller:products")


# --- Helpers ------------------------------------------------------------------------------------


@pytest.fixture
def citrus():
    fruit = f.category(name="水果")
    return f.category(name="柑橘", parent=fruit)


@pytest.fixture
def farmer():
    return f.farmer(name="龙大姐")


@pytest.fixture
def pending_farmer():
    return f.farmer(state=VerificationState.PENDING, name="新农户")


def listing(category, /, rows=None, **fields) -> dict:
    """The POST data of the listing form: one filled variant row and two blank ones by default."""
    rows = rows if rows is not None else [{"name": "5斤装", "price": "39.90", "weight": "5", "stock": "20"}]
    rows = rows + [{}] * (3 - len(rows))
    data = {
        "name": "赣南脐橙",
        "category": str(category.pk),
        "harvest_date": "2026-11-10",
        "description": "果园在山坡上，阳光充足。\n冷藏可放两周。",
        "variants-TOTAL_FORMS": str(len(rows)),
        "variants-INITIAL_FORMS": "0",
        "variants-MIN_NUM_FORMS": "1",
        "variants-MAX_NUM_FORMS": "20",
    }
    for index, row in enumerate(rows):
        for key in ("name", "price", "weight", "stock"):
            data[f"variants-{index}-{key}"] = row.get(key, "")
    data.update(fields)
    return {key: value for key, value in data.items() if value is not None}


def photo(data=None, name="orange.jpg", content_type="image/jpeg"):
    return SimpleUploadedFile(name, data if data is not None else f.image_bytes(), content_type)


def files_under(root) -> list[Path]:
    root = Path(root)
    return sorted(path for path in root.rglob("*") if path.is_file()) if root.exists() else []


def assert_nothing_written():
    assert Product.objects.count() == 0
    assert Variant.objects.count() == 0
    assert ProductImage.objects.count() == 0
    assert files_under(settings.MEDIA_ROOT) == []
    assert files_under(settings.PRIVATE_MEDIA_ROOT) == []


def codes(form, field) -> list[str]:
    return [error.code for error in form.errors.as_data().get(field, [])]


def post_listing(client, data, capture=None):
    if capture is None:
        return client.post(NEW, data)
    with capture(execute=True):
        return client.post(NEW, data)


def variant_post(variant, price, stock, page=None, weight="5") -> dict:
    data = {f"v{variant.pk}-price": price, f"v{variant.pk}-weight": weight, f"v{variant.pk}-stock": stock}
    if page:
        data[f"v{variant.pk}-page"] = str(page)
    return data


class FormAudit(HTMLParser):
    """Collects the form controls of a page and the labels that name them."""

    def __init__(self):
        super().__init__()
        self.controls, self.labels, self.file_inputs, self.fieldsets, self.legends = [], set(), [], 0, 0
        self.optgroups = 0

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "label" and attrs.get("for"):
            self.labels.add(attrs["for"])
        elif tag in ("input", "select", "textarea") and attrs.get("type") not in ("hidden", "submit"):
            if attrs.get("id") != "language":  # the header's language menu, labelled by base.html
                self.controls.append(attrs)
            if attrs.get("type") == "file":
                self.file_inputs.append(attrs)
        elif tag == "fieldset":
            self.fieldsets += 1
        elif tag == "legend":
            self.legends += 1
        elif tag == "optgroup":
            self.optgroups += 1


def audit(response) -> FormAudit:
    parser = FormAudit()
    parser.feed(response.content.decode())
    return parser


# --- Who may use the pages ----------------------------------------------------------------------


def seller_pages(product):
    variant = product.variants.get()
    return [
        ("get", LIST),
        ("get", NEW),
        ("post", NEW),
        ("get", reverse("seller:product_edit", args=[product.pk])),
        ("post", reverse("seller:product_edit", args=[product.pk])),
        ("post", reverse("seller:product_unpublish", args=[product.pk])),
        ("post", reverse("seller:product_publish", args=[product.pk])),
        ("post", reverse("seller:variant_update", args=[variant.pk])),
        ("get", reverse("seller:variant_update", args=[variant.pk])),
    ]


def test_anonymous_visitors_are_sent_to_log_in_on_every_page(client):
    product = f.product()
    login = resolve_url(settings.LOGIN_URL)
    for method, url in seller_pages(product):
        response = getattr(client, method)(url)
        assert response.status_code == 302, (method, url)
        assert response["Location"].startswith(f"{login}?next="), (method, url)
    product.refresh_from_db()
    assert product.is_published


def test_shoppers_are_refused_on_every_page(client):
    product = f.product()
    client.force_login(f.user())
    for method, url in seller_pages(product):
        assert getattr(client, method)(url).status_code == 403, (method, url)
    product.refresh_from_db()
    assert product.is_published


def test_a_farmer_lands_on_my_products_after_logging_in():
    assert resolve_url(settings.LOGIN_REDIRECT_URL) == LIST == "/farmer/products/"


def test_staff_may_open_the_pages(client):
    f.product(name="某人的核桃")
    client.force_login(f.staff_user())
    assert client.get(LIST).status_code == 200
    assert "某人的核桃" in client.get(LIST).content.decode()
    assert client.get(NEW).status_code == 200


def test_another_farmers_product_and_variants_are_not_found(client, farmer):
    other = f.product(name="别人的蜂蜜")
    variant = other.variants.get()
    client.force_login(farmer.user)

    assert "别人的蜂蜜" not in client.get(LIST).content.decode()
    assert client.get(reverse("seller:product_edit", args=[other.pk])).status_code == 404
    assert client.post(reverse("seller:product_edit", args=[other.pk]), {"name": "偷改"}).status_code == 404
    assert client.post(reverse("seller:product_unpublish", args=[other.pk])).status_code == 404
    assert client.post(reverse("seller:product_publish", args=[other.pk])).status_code == 404
    response = client.post(reverse("seller:variant_update", args=[variant.pk]), variant_post(variant, "1.00", "0"))
    assert response.status_code == 404

    other.refresh_from_db()
    variant.refresh_from_db()
    assert (other.name, other.is_published) == ("别人的蜂蜜", True)
    assert (variant.price, variant.stock) == (Decimal("39.90"), 10)


# --- The listing form ---------------------------------------------------------------------------


def test_listing_form_is_accessible_and_works_without_javascript(client, farmer, citrus):
    client.force_login(farmer.user)
    response = client.get(NEW)
    page = response.content.decode()
    found = audit(response)

    assert response.status_code == 200
    assert 'lang="zh-hans"' in page
    assert "<script" not in page
    assert [control.get("accept") for control in found.file_inputs] == ["image/*"]
    assert 'type="date"' in page
    assert 'enctype="multipart/form-data"' in page
    unlabelled = [control for control in found.controls if control.get("id") not in found.labels]
    assert unlabelled == []
    assert len(found.controls) == 5 + 3 * 4  # name, category, photo, harvest date, description; 3 rows
    assert found.fieldsets == found.legends == 3
    assert found.optgroups == 1
    assert f'<option value="{citrus.pk}">柑橘</option>' in page
    # A farmer sells their own goods: no seller to choose.
    assert "farmer" not in response.context["form"].fields
    # Only the first row is required.
    formset = response.context["formset"]
    assert [form.empty_permitted for form in formset.forms] == [False, True, True]


def test_verified_farmer_lists_goods_with_a_photo_and_they_are_published(
    client, farmer, citrus, django_capture_on_commit_callbacks
):
    client.force_login(farmer.user)
    rows = [
        {"name": "5斤装", "price": "39.9", "weight": "5", "stock": "20"},
        {},
        {"name": "10斤装", "price": "69", "weight": "10", "stock": "0"},
    ]
    response = post_listing(
        client, listing(citrus, rows=rows, photo=photo()), capture=django_capture_on_commit_callbacks
    )

    assert response.status_code == 302 and response["Location"] == LIST
    product = Product.objects.get()
    assert (product.name, product.category, product.farmer, product.created_by) == (
        "赣南脐橙",
        citrus,
        farmer,
        farmer.user,
    )
    assert str(product.harvest_date) == "2026-11-10"
    assert product.description == "果园在山坡上，阳光充足。\n冷藏可放两周。"
    assert [(v.name, v.price, v.weight_kg, v.stock) for v in product.variants.all()] == [
        ("5斤装", Decimal("39.90"), Decimal("2.500"), 20),
        ("10斤装", Decimal("69.00"), Decimal("5.000"), 0),
    ]
    assert product.is_published and not product.publish_when_verified
    assert product.min_price == Decimal("39.90")
    assert selectors.visible_products().filter(pk=product.pk).exists()
    image = product.images.get()
    assert image.status == ImageStatus.READY
    assert image.small and Path(image.small.path).is_file()
    assert files_under(settings.PRIVATE_MEDIA_ROOT) == []

    page = client.get(LIST)
    html = page.content.decode()
    assert image.small.url in html
    assert "¥39.90" in html and "¥69.00" in html
    assert [row["state"] for row in page.context["rows"]] == ["published"]


def test_full_width_digits_from_a_chinese_keyboard_are_read(client, farmer, citrus):
    client.force_login(farmer.user)
    response = client.post(
        NEW, listing(citrus, rows=[{"name": "一箱", "price": "３９．９", "weight": "２．５斤", "stock": "１２"}])
    )
    assert response.status_code == 302
    variant = Variant.objects.get()
    assert (variant.price, variant.weight_kg, variant.stock) == (Decimal("39.90"), Decimal("1.250"), 12)


def test_pending_farmer_prepares_a_listing_that_waits_for_verification(client, pending_farmer, citrus):
    client.force_login(pending_farmer.user)
    assert client.post(NEW, listing(citrus)).status_code == 302

    product = Product.objects.get()
    assert not product.is_published and product.publish_when_verified
    assert not selectors.visible_products().filter(pk=product.pk).exists()
    assert [row["state"] for row in client.get(LIST).context["rows"]] == ["waiting"]

    change_verification_state(pending_farmer, VerificationState.VERIFIED, by=f.staff_user())

    product.refresh_from_db()
    assert product.is_published and not product.publish_when_verified
    assert selectors.visible_products().filter(pk=product.pk).exists()
    assert [row["state"] for row in client.get(LIST).context["rows"]] == ["published"]


@pytest.mark.parametrize(
    ("changes", "part", "field", "code"),
    [
        ({"variants-0-price": "-5"}, "row0", "price", "invalid_price"),
        ({"variants-0-price": "39.999"}, "row0", "price", "invalid_price"),
        ({"variants-0-price": "0"}, "row0", "price", "invalid_price"),
        ({"variants-0-price": "很便宜"}, "row0", "price", "invalid_price"),
        ({"variants-0-price": ""}, "row0", "price", "required"),
        ({"variants-0-stock": "-1"}, "row0", "stock", "invalid_stock"),
        ({"variants-0-stock": "许多"}, "row0", "stock", "invalid"),
        ({"variants-0-name": ""}, "row0", "name", "required"),
        (
            {"variants-1-name": "10斤装", "variants-1-price": "-1", "variants-1-stock": "3"},
            "row1",
            "price",
            "invalid_price",
        ),
        ({"variants-2-price": "20"}, "row2", "name", "required"),
        ({"name": ""}, "form", "name", "required"),
        ({"name": "  "}, "form", "name", "required"),
        ({"name": "橙\x00子"}, "form", "name", "null_characters_not_allowed"),
        ({"category": ""}, "form", "category", "required"),
        ({"category": "999999"}, "form", "category", "invalid_choice"),
        ({"harvest_date": "2026-13-40"}, "form", "harvest_date", "invalid"),
    ],
)
def test_bad_input_is_shown_beside_its_field_and_nothing_is_written(client, farmer, citrus, changes, part, field, code):
    client.force_login(farmer.user)
    response = client.post(NEW, listing(citrus, photo=photo(), **changes))

    assert response.status_code == 200
    form, formset = response.context["form"], response.context["formset"]
    target = form if part == "form" else formset.forms[int(part[-1])]
    assert codes(target, field) == [code]
    others = [other for other in [form, *formset.forms] if other is not target]
    assert all(not other.errors for other in others)
    assert_nothing_written()
    # Django's own messages come in the farmer's language (Chinese on farmer pages), in our words.
    if code == "required":
        assert "请填写这一项" in response.content.decode()
        assert "字段" not in response.content.decode()
    # The error is tied to its input for screen readers.
    bound = target[field]
    assert f'aria-describedby="{bound.auto_id}' in str(bound) and f"{bound.auto_id}_error" in str(bound)
    assert f'id="{bound.auto_id}_error"' in response.content.decode()


@pytest.mark.parametrize(
    ("data", "name", "content_type", "code"),
    [
        (b"Shopping list:\n- walnuts\n- honey\n" * 50, "photo.jpg", "image/jpeg", "invalid_image"),
        (bilevel_png(7072, 7072), "field.png", "image/png", "image_too_many_pixels"),
    ],
    ids=["text-file", "fifty-megapixels"],
)
def test_bad_photo_is_refused_and_nothing_is_written(client, farmer, citrus, data, name, content_type, code):
    client.force_login(farmer.user)
    response = client.post(NEW, listing(citrus, photo=photo(data, name, content_type)))

    assert response.status_code == 200
    form = response.context["form"]
    assert codes(form, "photo") == [code]
    assert not response.context["formset"].total_error_count()
    assert_nothing_written()


def test_typed_values_are_kept_and_the_photo_must_be_chosen_again(client, farmer, citrus):
    client.force_login(farmer.user)
    rows = [{"name": "5斤装", "price": "-1", "stock": "20"}, {"name": "10斤装", "price": "69.00", "stock": "4"}]
    response = client.post(NEW, listing(citrus, rows=rows, photo=photo()))

    assert response.status_code == 200
    page = response.content.decode()
    for typed in (
        'value="赣南脐橙"',
        f'<option value="{citrus.pk}" selected>',
        'value="2026-11-10"',
        "果园在山坡上，阳光充足。\n冷藏可放两周。</textarea>",
        'value="5斤装"',
        'value="-1"',
        'value="20"',
        'value="10斤装"',
        'value="69.00"',
        'value="4"',
    ):
        assert typed in page, typed
    form = response.context["form"]
    note = str(form.fields["photo"].help_text)
    assert note != str(ProductForm.base_fields["photo"].help_text)
    assert f'<p class="seller-help" id="id_photo_helptext">{note}</p>' in page
    assert 'aria-describedby="id_photo_helptext"' in page
    assert_nothing_written()


def test_a_photo_refused_by_the_service_undoes_the_product_and_its_variants(client, farmer, citrus, monkeypatch):
    """The form's quick check passed, the service then refused the photo: product, variants and photo
    are one transaction, so nothing stays."""
    from core import image_services
    from core.images import ImageRejected

    def refuse(data):
        raise ImageRejected("INVALID_IMAGE", "refused")

    monkeypatch.setattr(image_services, "check_upload", refuse)  # the service's check of every photo
    client.force_login(farmer.user)
    response = client.post(NEW, listing(citrus, photo=photo()))

    assert response.status_code == 200
    assert codes(response.context["form"], "photo") == ["invalid_image"]
    assert_nothing_written()


def test_service_errors_are_put_beside_the_fields_they_concern(citrus, farmer):
    form = ProductForm({"name": "x", "category": str(citrus.pk)}, user=farmer.user)
    formset = VariantFormSet(
        listing(citrus, rows=[{"name": "a", "price": "1", "weight": "1", "stock": "1"}] * 2), prefix="variants"
    )
    assert form.is_valid() and formset.is_valid()
    rows = formset.filled_forms()
    error = ValidationError(
        {
            "name": ValidationError("bad", code="invalid"),
            "image": ValidationError("bad", code="invalid_image"),
            "is_published": ValidationError("bad", code="seller_not_verified"),
            "variants.1.price": ValidationError("bad", code="invalid_price"),
            "variants.0.weight_kg": ValidationError("bad", code="invalid"),
        }
    )
    _apply_service_errors(error, form, rows)

    assert codes(form, "name") == ["invalid"]
    assert codes(form, "photo") == ["invalid_image"]
    assert codes(form, "__all__") == ["seller_not_verified"]
    assert codes(rows[1], "price") == ["invalid_price"]
    assert codes(rows[0], "weight") == ["invalid"]


def test_blank_extra_rows_are_ignored_but_a_started_one_is_checked(client, farmer, citrus):
    client.force_login(farmer.user)
    assert client.post(NEW, listing(citrus)).status_code == 302
    assert Variant.objects.count() == 1


# --- Cooperative managers -----------------------------------------------------------------------


@pytest.fixture
def coop_setup():
    manager = f.user(first_name="社长")
    coop = f.cooperative(manager=manager)
    member = f.farmer(cooperative=coop, name="社员甲", with_user=False)
    outsider = f.farmer(name="外人")
    return SimpleNamespace(manager=manager, coop=coop, member=member, outsider=outsider)


def test_manager_lists_for_a_member_and_the_listing_records_who_entered_it(client, coop_setup, citrus):
    manager = coop_setup.manager
    coop = coop_setup.coop
    member = coop_setup.member
    client.force_login(manager)
    form = client.get(NEW).context["form"]
    assert form.fields["farmer"].required
    values = [value for _, group in form.fields["farmer"].choices[1:] for value, _ in group]
    assert values == [f"c{coop.pk}", f"f{member.pk}"]

    response = client.post(NEW, listing(citrus, farmer=f"f{member.pk}"))

    assert response.status_code == 302
    product = Product.objects.get()
    assert (product.farmer, product.cooperative, product.created_by) == (member, None, manager)
    assert product.is_published
    page = client.get(LIST).content.decode()
    assert "社员甲" in page and "赣南脐橙" in page


def test_manager_lists_for_the_cooperative_itself(client, coop_setup, citrus):
    manager = coop_setup.manager
    coop = coop_setup.coop
    client.force_login(manager)
    assert client.post(NEW, listing(citrus, farmer=f"c{coop.pk}")).status_code == 302
    product = Product.objects.get()
    assert (product.farmer, product.cooperative, product.village) == (None, coop, coop.village)


@pytest.mark.parametrize(("choice", "code"), [(None, "required"), ("outsider", "invalid_choice")])
def test_manager_cannot_list_without_a_farmer_or_for_a_non_member(client, coop_setup, citrus, choice, code):
    manager = coop_setup.manager
    outsider = coop_setup.outsider
    client.force_login(manager)
    value = f"f{outsider.pk}" if choice == "outsider" else None
    response = client.post(NEW, listing(citrus, farmer=value))
    assert response.status_code == 200
    assert codes(response.context["form"], "farmer") == [code]
    assert_nothing_written()


def test_manager_sees_the_products_of_members_with_who_entered_them(client, coop_setup):
    manager = coop_setup.manager
    coop = coop_setup.coop
    member = coop_setup.member
    outsider = coop_setup.outsider
    entered_by_member_staff = f.product(seller=member, name="社员的蜂蜜")
    f.product(seller=outsider, name="外人的核桃")
    own_member = f.farmer(cooperative=coop, name="社员乙")
    by_herself = f.product(seller=own_member, name="社员乙的茶叶")
    client.force_login(manager)

    response = client.get(LIST)
    page = response.content.decode()
    assert {row["product"].name for row in response.context["rows"]} == {"社员的蜂蜜", "社员乙的茶叶"}
    assert "外人的核桃" not in page
    assert "社员甲" in page and "社员乙" in page
    entered = {row["product"].pk: row["product"].created_by for row in response.context["rows"]}
    assert entered[
        entered_by_member_staff.pk
    ].is_staff  # tests.factories lists for a member without an account as staff
    assert entered_by_member_staff.created_by.get_username() not in page  # account names are never shown
    assert entered[by_herself.pk] == own_member.user
    assert own_member.user.get_username() not in page  # her account name (often a phone number) is not shown


def test_manager_changes_a_members_price(client, coop_setup):
    manager = coop_setup.manager
    member = coop_setup.member
    variant = f.product(seller=member).variants.get()
    client.force_login(manager)
    assert (
        client.post(reverse("seller:variant_update", args=[variant.pk]), variant_post(variant, "50", "5")).status_code
        == 302
    )
    variant.refresh_from_db()
    assert (variant.price, variant.stock) == (Decimal("50.00"), 5)


# --- My products --------------------------------------------------------------------------------


def test_my_products_lists_only_my_own(client, farmer):
    mine = f.product(seller=farmer, name="我的猕猴桃")
    f.product(name="别人的猕猴桃")
    client.force_login(farmer.user)

    response = client.get(LIST)
    assert [row["product"] for row in response.context["rows"]] == [mine]
    page = response.content.decode()
    assert "别人的猕猴桃" not in page
    assert "¥39.90" in page
    assert not response.context["show_seller"]


def test_visibility_is_said_in_words(client, farmer):
    published = f.product(seller=farmer, name="上架")
    draft = f.product(seller=farmer, name="草稿", published=False)
    client.force_login(farmer.user)
    states = {row["product"].pk: row["state"] for row in client.get(LIST).context["rows"]}
    assert states == {published.pk: "published", draft.pk: "draft"}

    change_verification_state(farmer, VerificationState.SUSPENDED, by=f.staff_user(), reason="投诉")
    states = {row["product"].pk: row["state"] for row in client.get(LIST).context["rows"]}
    assert states == {published.pk: "suspended", draft.pk: "suspended"}


def test_a_photo_still_processing_shows_a_placeholder(client, farmer, django_capture_on_commit_callbacks):
    product = f.product(seller=farmer)
    with django_capture_on_commit_callbacks() as callbacks:
        catalog.add_product_image(farmer.user, product, photo())
    client.force_login(farmer.user)

    [row] = client.get(LIST).context["rows"]
    assert row["photo"] is None and row["photo_processing"]

    with django_capture_on_commit_callbacks(execute=True):
        for callback in callbacks:
            callback()
    response = client.get(LIST)
    [row] = response.context["rows"]
    assert row["photo"] is not None and not row["photo_processing"]
    assert row["photo"].small.url in response.content.decode()


def test_price_and_stock_are_changed_in_place(client, farmer):
    product = f.product(seller=farmer)
    variant = product.variants.get()
    client.force_login(farmer.user)

    response = client.post(reverse("seller:variant_update", args=[variant.pk]), variant_post(variant, "45.5", "0"))

    assert response.status_code == 302 and response["Location"] == LIST
    variant.refresh_from_db()
    product.refresh_from_db()
    assert (variant.price, variant.stock) == (Decimal("45.50"), 0)
    assert (product.min_price, product.in_stock) == (Decimal("45.50"), False)
    assert "¥45.50" in client.get(LIST).content.decode()


@pytest.mark.parametrize(
    ("price", "stock", "field", "code"),
    [
        ("-1", "3", "price", "invalid_price"),
        ("1.005", "3", "price", "invalid_price"),
        ("", "3", "price", "required"),
        ("10", "-2", "stock", "invalid_stock"),
        ("10", "很多", "stock", "invalid"),
    ],
)
def test_bad_price_or_stock_is_shown_on_its_row_and_changes_nothing(client, farmer, price, stock, field, code):
    product = f.product(seller=farmer)
    other = f.product(seller=farmer).variants.get()
    variant = product.variants.get()
    client.force_login(farmer.user)

    response = client.post(reverse("seller:variant_update", args=[variant.pk]), variant_post(variant, price, stock))

    assert response.status_code == 200
    rows = {form.variant.pk: form for row in response.context["rows"] for _, form in row["variants"]}
    assert codes(rows[variant.pk], field) == [code]
    assert not rows[other.pk].is_bound
    page = response.content.decode()
    assert f'id="id_v{variant.pk}-{field}_error"' in page
    if price:
        assert f'value="{price}"' in page  # what was typed stays in the row
    variant.refresh_from_db()
    assert (variant.price, variant.stock) == (Decimal("39.90"), 10)


@pytest.mark.parametrize("typed", ["20斤", "20 斤", "二十", "20箱", "20.5"])
def test_a_farmer_who_types_more_than_a_number_is_told_what_to_type(client, farmer, citrus, typed):
    """Stock counts boxes: "20斤" or "二十" gets "只填数字，像 20 这样", not Django's "输入整数"."""
    client.force_login(farmer.user)
    variant = f.product(seller=farmer).variants.get()

    listed = client.post(NEW, listing(citrus, rows=[{"name": "5斤装", "price": "39.90", "stock": typed}]))
    in_place = client.post(reverse("seller:variant_update", args=[variant.pk]), variant_post(variant, "39.90", typed))

    for response in (listed, in_place):
        assert response.status_code == 200
        page = response.content.decode()
        assert "只填数字，像 20 这样，不要写“斤”“箱”这些字。" in page
        assert "整数" not in page and "字段" not in page
    assert not Product.objects.filter(name="赣南脐橙").exists()


@pytest.mark.parametrize("typed", ["39.9元/斤", "三十九", "39,90"])
def test_a_farmer_who_types_more_than_a_price_is_told_what_to_type(client, farmer, citrus, typed):
    client.force_login(farmer.user)
    response = client.post(NEW, listing(citrus, rows=[{"name": "5斤装", "price": typed, "stock": "20"}]))
    assert response.status_code == 200
    assert "价格只填数字，像 39.90 这样。" in response.content.decode()


def test_unpublish_then_publish(client, farmer):
    product = f.product(seller=farmer)
    client.force_login(farmer.user)

    response = client.post(reverse("seller:product_unpublish", args=[product.pk]))
    assert response.status_code == 302
    product.refresh_from_db()
    assert not product.is_published
    assert not selectors.visible_products().filter(pk=product.pk).exists()
    assert "product_publish" not in str(response)  # sanity: a redirect, not a page

    response = client.post(reverse("seller:product_publish", args=[product.pk]))
    assert response.status_code == 302
    product.refresh_from_db()
    assert product.is_published
    assert selectors.visible_products().filter(pk=product.pk).exists()
    assert len(list(client.get(LIST).context["messages"])) == 2


def test_pending_farmer_publishing_waits_and_unpublishing_withdraws(client, pending_farmer):
    product = f.product(seller=pending_farmer, published=False)
    client.force_login(pending_farmer.user)

    client.post(reverse("seller:product_publish", args=[product.pk]))
    product.refresh_from_db()
    assert (product.is_published, product.publish_when_verified) == (False, True)

    client.post(reverse("seller:product_unpublish", args=[product.pk]))
    product.refresh_from_db()
    assert (product.is_published, product.publish_when_verified) == (False, False)
    change_verification_state(pending_farmer, VerificationState.VERIFIED, by=f.staff_user())
    product.refresh_from_db()
    assert not product.is_published


def test_publish_and_unpublish_only_by_post(client, farmer):
    product = f.product(seller=farmer)
    client.force_login(farmer.user)
    assert client.get(reverse("seller:product_unpublish", args=[product.pk])).status_code == 405
    product.refresh_from_db()
    assert product.is_published


# --- Editing a product --------------------------------------------------------------------------


def test_edit_a_product(client, farmer, citrus, django_capture_on_commit_callbacks):
    product = f.product(seller=farmer, name="旧名字")
    client.force_login(farmer.user)
    form = client.get(reverse("seller:product_edit", args=[product.pk])).context["form"]
    assert form["name"].value() == "旧名字"

    data = {
        "name": "新名字",
        "category": str(citrus.pk),
        "harvest_date": "2026-10-01",
        "description": "甜",
        "photo": photo(),
    }
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("seller:product_edit", args=[product.pk]), data)

    assert response.status_code == 302
    product.refresh_from_db()
    assert (product.name, product.category, str(product.harvest_date), product.description) == (
        "新名字",
        citrus,
        "2026-10-01",
        "甜",
    )
    assert product.images.get().status == ImageStatus.READY


def test_edit_with_bad_input_changes_nothing(client, farmer, citrus):
    product = f.product(seller=farmer, name="旧名字")
    client.force_login(farmer.user)
    data = {"name": "", "category": str(citrus.pk), "photo": photo(b"not a picture", "x.jpg")}
    response = client.post(reverse("seller:product_edit", args=[product.pk]), data)

    assert response.status_code == 200
    form = response.context["form"]
    assert codes(form, "name") == ["required"] and codes(form, "photo") == ["invalid_image"]
    product.refresh_from_db()
    assert product.name == "旧名字" and product.images.count() == 0


def test_my_products_runs_a_fixed_number_of_queries_whatever_its_length(client, farmer):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(farmer.user)

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(LIST).status_code == 200
        return len(queries)

    f.product(seller=farmer, harvest_date="2026-09-30")
    one = count()
    for _ in range(5):
        f.product(
            seller=farmer,
            variants=[
                {"name": "一箱", "price": "9.90", "stock": 1, "weight_kg": "1"},
                {"name": "两箱", "price": "19", "stock": 2, "weight_kg": "2"},
            ],
        )
    assert count() == one
    assert '<time datetime="2026-09-30">2026-09-30</time>' in client.get(LIST).content.decode()


def test_in_place_form_shows_the_current_price_and_stock(client):
    farmer = f.farmer()
    product = f.product(seller=farmer)
    variant = product.variants.get()
    client.force_login(farmer.user)
    page = client.get(reverse("seller:products")).content.decode()
    assert f'name="v{variant.pk}-price" value="39.90"' in page
    assert f'name="v{variant.pk}-stock" value="10"' in page


def test_entered_by_never_shows_an_account_name(client):
    """A manager who signed up as a farmer has their phone number as user name: show their name."""
    manager_farmer = f.farmer(name="王社长", phone="13911112222")
    manager_farmer.user.username = "13911112222"
    manager_farmer.user.save()
    coop = f.cooperative(manager=manager_farmer.user)
    member = f.farmer(cooperative=coop)
    client.force_login(manager_farmer.user)
    response = client.post(
        reverse("seller:product_new"),
        {
            "farmer": f"f{member.pk}",
            "name": "腊肉",
            "category": f.category(parent=f.category()).pk,
            "variants-TOTAL_FORMS": "3",
            "variants-INITIAL_FORMS": "0",
            "variants-MIN_NUM_FORMS": "1",
            "variants-MAX_NUM_FORMS": "20",
            "variants-0-name": "1斤",
            "variants-0-price": "30",
            "variants-0-weight": "1",
            "variants-0-stock": "5",
        },
    )
    assert response.status_code == 302, response.context and response.context["form"].errors
    client.force_login(member.user)
    page = client.get(reverse("seller:products")).content.decode()
    assert "王社长" in page and "13911112222" not in page


def test_price_too_large_to_quantize_is_a_form_error(client):
    farmer = f.farmer()
    variant = f.product(seller=farmer).variants.get()
    client.force_login(farmer.user)
    response = client.post(
        reverse("seller:variant_update", args=[variant.pk]),
        {f"v{variant.pk}-price": "1e26", f"v{variant.pk}-weight": "5", f"v{variant.pk}-stock": "3"},
    )
    assert response.status_code in (200, 400)
    variant.refresh_from_db()
    assert variant.price == Decimal("39.90")


def test_a_suspended_farmer_is_told_why(client):
    farmer = f.farmer()
    f.product(seller=farmer)
    change_verification_state(farmer, VerificationState.SUSPENDED, by=f.staff_user(), reason="发货与描述不符")
    client.force_login(farmer.user)
    page = client.get(reverse("seller:products")).content.decode()
    assert 'role="alert"' in page and "发货与描述不符" in page


def test_a_bad_page_value_does_not_cost_the_farmer_their_change(client):
    farmer = f.farmer()
    variant = f.product(seller=farmer).variants.get()
    client.force_login(farmer.user)
    response = client.post(
        reverse("seller:variant_update", args=[variant.pk]),
        {
            f"v{variant.pk}-price": "45.00",
            f"v{variant.pk}-weight": "5",
            f"v{variant.pk}-stock": "3",
            f"v{variant.pk}-page": "abc",
        },
    )
    assert response.status_code == 302
    variant.refresh_from_db()
    assert (variant.price, variant.stock) == (Decimal("45.00"), 3)


def test_cooperative_manager_cannot_act_for_another_cooperatives_member(client):
    manager = f.user()
    f.cooperative(manager=manager)
    other_member = f.farmer(cooperative=f.cooperative())
    product = f.product(seller=other_member)
    client.force_login(manager)
    assert product.name not in client.get(reverse("seller:products")).content.decode()
    assert client.post(reverse("seller:product_unpublish", args=[product.pk])).status_code == 404
    variant = product.variants.get()
    assert (
        client.post(
            reverse("seller:variant_update", args=[variant.pk]),
            {f"v{variant.pk}-price": "1.00", f"v{variant.pk}-weight": "5", f"v{variant.pk}-stock": "0"},
        ).status_code
        == 404
    )
    product.refresh_from_db()
    assert product.is_published is True
