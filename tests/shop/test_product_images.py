"""Product photos through the GraphQL API: `productImageCreate` (a multipart upload), the Celery task
that cleans the photo (eager in tests), and what shoppers then see.

A bad file gets a specific error at once and nothing is written, neither a row nor a file. A good
one is kept as a raw upload in the private folder, processed after the commit, and listed only
once processed, with no EXIF (GPS!) in any stored file; the raw upload is then deleted.

The mutation's transaction is a savepoint inside the test's transaction, so its on_commit hooks are
captured and run explicitly (`django_capture_on_commit_callbacks(execute=True)`), as a real commit
would run them.
"""

import io
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from graphql_relay import to_global_id
from PIL import ExifTags, Image

from core.tasks import process_image as process_image_task
from shop import catalog
from shop.models import ImageStatus, ProductImage
from tests import factories
from tests.core.test_images import assert_bare_jpeg, assert_human_sentence, bilevel_png, phone_jpeg

pytestmark = pytest.mark.django_db

UPLOAD = """
mutation Upload($product: ID!, $image: Upload!, $alt: String) {
  productImageCreate(product: $product, image: $image, alt: $alt) {
    image { id status alt width height url }
    errors { field code message }
  }
}
"""

PRODUCT_IMAGES = """
query Images($id: ID!) {
  product(id: $id) {
    images {
      id status alt width height
      small: url(size: SMALL)
      medium: url
      large: url(size: LARGE)
      original: url(size: ORIGINAL)
    }
  }
}
"""

NODE = "query Node($id: ID!) { node(id: $id) { id ... on ProductImage { status } } }"

SIZES = ("original", "small", "medium", "large")


@pytest.fixture
def seller():
    return factories.farmer()


@pytest.fixture
def product(seller):
    return factories.product(seller)


def files_under(root) -> list[Path]:
    root = Path(root)
    return sorted(path for path in root.rglob("*") if path.is_file()) if root.exists() else []


def assert_nothing_written():
    assert ProductImage.objects.count() == 0
    assert files_under(settings.MEDIA_ROOT) == []
    assert files_under(settings.PRIVATE_MEDIA_ROOT) == []


def upload(gql, product, data: bytes, name="photo.jpg", content_type="image/jpeg", alt="") -> dict:
    variables = {"product": to_global_id("Product", product.pk), "image": None, "alt": alt}
    result = gql.upload(UPLOAD, variables, {"image": SimpleUploadedFile(name, data, content_type)})
    assert "errors" not in result, result
    return result["data"]["productImageCreate"]


def listed_images(gql, product) -> list[dict]:
    result = gql(PRODUCT_IMAGES, {"id": to_global_id("Product", product.pk)})
    assert "errors" not in result, result
    return result["data"]["product"]["images"]


def raw_pending_upload(product, data: bytes, django_capture_on_commit_callbacks) -> ProductImage:
    """An accepted upload whose processing has not run yet; returns it with its callbacks captured."""
    with django_capture_on_commit_callbacks() as callbacks:
        image = catalog.add_product_image(product.farmer.user, product, SimpleUploadedFile("p.jpg", data))
    assert len(callbacks) == 1
    image.pending_callbacks = callbacks
    return image


def run_callbacks(callbacks, django_capture_on_commit_callbacks):
    # The task commits in its turn; its own on_commit hook (deleting the raw upload) must run too.
    with django_capture_on_commit_callbacks(execute=True):
        for callback in callbacks:
            callback()


# --- A good photo -------------------------------------------------------------------------------


def test_farmer_uploads_gps_tagged_photo_and_shoppers_see_it_clean(
    gql, client, seller, product, django_capture_on_commit_callbacks
):
    photo = phone_jpeg(size=(64, 48), orientation=6)
    assert Image.open(io.BytesIO(photo)).getexif().get_ifd(ExifTags.IFD.GPSInfo), "the test photo has GPS"

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        payload = upload(gql.login(seller.user), product, photo, alt="  新摘的核桃  ")
        assert payload["errors"] == []
        assert payload["image"]["status"] == "PENDING"
        assert payload["image"]["url"] is None
        assert payload["image"]["alt"] == "新摘的核桃"
        # Until the task runs, the photo is only a raw upload in the private folder, never served...
        raw_files = files_under(settings.PRIVATE_MEDIA_ROOT)
        assert len(raw_files) == 1
        assert raw_files[0].read_bytes() == photo
        assert files_under(settings.MEDIA_ROOT) == []
        # ...and not listed.
        client.logout()
        assert listed_images(gql, product) == []
    assert len(callbacks) >= 1  # the enqueue, then the task's own clean-up

    image = ProductImage.objects.get()
    assert image.status == ImageStatus.READY
    assert (image.error_code, image.raw_upload.name) == ("", "")
    assert (image.width, image.height) == (48, 64)  # EXIF orientation applied

    images = listed_images(gql, product)  # as an anonymous shopper
    assert len(images) == 1
    listed = images[0]
    assert listed["id"] == payload["image"]["id"] == to_global_id("ProductImage", image.pk)
    assert (listed["status"], listed["width"], listed["height"], listed["alt"]) == ("READY", 48, 64, "新摘的核桃")
    for size in SIZES:
        field = getattr(image, size)
        assert listed[size] == f"http://testserver{settings.MEDIA_URL}{field.name}"
        assert field.name.startswith(f"products/{product.pk}/") and field.name.endswith(".jpg")

    # The stored files: exactly the four renditions, each a bare JPEG; the raw upload is gone.
    stored = {size: Path(settings.MEDIA_ROOT) / getattr(image, size).name for size in SIZES}
    assert files_under(settings.MEDIA_ROOT) == sorted(stored.values())
    longest = {"original": 64, **settings.IMAGE_THUMBNAIL_SIZES}
    for size, path in stored.items():
        img = assert_bare_jpeg(path.read_bytes())
        assert img.size == (48, 64) and max(img.size) <= longest[size]
    assert files_under(settings.PRIVATE_MEDIA_ROOT) == []


def test_large_photo_gets_smaller_thumbnails(gql, seller, product, django_capture_on_commit_callbacks):
    photo = io.BytesIO()
    Image.linear_gradient("L").resize((1600, 1200)).convert("RGB").save(photo, "JPEG", exif=Image.Exif())
    with django_capture_on_commit_callbacks(execute=True):
        assert upload(gql.login(seller.user), product, photo.getvalue())["errors"] == []

    image = ProductImage.objects.get()
    assert image.status == ImageStatus.READY
    sizes = {size: Image.open(getattr(image, size).path).size for size in SIZES}
    assert sizes == {"original": (1600, 1200), "small": (160, 120), "medium": (480, 360), "large": (1024, 768)}


def test_photos_are_numbered_in_upload_order(gql, seller, product, django_capture_on_commit_callbacks):
    gql.login(seller.user)
    with django_capture_on_commit_callbacks(execute=True):
        for alt in ("first", "second"):
            assert upload(gql, product, phone_jpeg(orientation=1), alt=alt)["errors"] == []
    assert [image["alt"] for image in listed_images(gql, product)] == ["first", "second"]


# --- Bad files: a clear error, nothing written ------------------------------------------------------


def test_text_file_renamed_jpg_is_rejected_and_nothing_written(gql, seller, product):
    payload = upload(gql.login(seller.user), product, b"Shopping list:\n- walnuts\n- honey\n" * 50, "photo.jpg")

    assert payload["image"] is None
    [error] = payload["errors"]
    assert (error["field"], error["code"]) == ("image", "INVALID_IMAGE")
    assert_human_sentence(error["message"])
    assert_nothing_written()


def test_fifty_megapixel_png_is_rejected_and_nothing_written(gql, seller, product):
    payload = upload(gql.login(seller.user), product, bilevel_png(7072, 7072), "field.png", "image/png")

    assert payload["image"] is None
    [error] = payload["errors"]
    assert (error["field"], error["code"]) == ("image", "IMAGE_TOO_MANY_PIXELS")
    assert_human_sentence(error["message"])
    assert "40" in error["message"]
    assert_nothing_written()


def test_file_over_ten_megabytes_is_rejected_and_nothing_written(gql, seller, product):
    photo = phone_jpeg(orientation=1)
    heavy = photo + b"\x00" * (settings.IMAGE_MAX_BYTES + 1 - len(photo))
    payload = upload(gql.login(seller.user), product, heavy)

    assert payload["image"] is None
    [error] = payload["errors"]
    assert (error["field"], error["code"]) == ("image", "IMAGE_TOO_LARGE")
    assert_human_sentence(error["message"])
    assert_nothing_written()


def test_another_farmer_cannot_add_photos(gql, product):
    stranger = factories.farmer()
    payload = upload(gql.login(stranger.user), product, phone_jpeg())

    assert payload["image"] is None
    assert [error["code"] for error in payload["errors"]] == ["PERMISSION_DENIED"]
    assert_human_sentence(payload["errors"][0]["message"])
    assert_nothing_written()


def test_anonymous_cannot_add_photos(gql, product):
    payload = upload(gql, product, phone_jpeg())

    assert payload["image"] is None
    assert [error["code"] for error in payload["errors"]] == ["PERMISSION_DENIED"]
    assert_nothing_written()


# --- Processing that fails --------------------------------------------------------------------------


def assert_failed_and_hidden(gql, client, image: ProductImage, code: str):
    image.refresh_from_db()
    assert image.status == ImageStatus.FAILED
    assert image.error_code == code
    assert image.url("small") is None
    assert not image.original and not image.small and not image.medium and not image.large
    assert image.raw_upload.name == ""
    assert files_under(settings.MEDIA_ROOT) == []
    assert files_under(settings.PRIVATE_MEDIA_ROOT) == []
    client.logout()
    assert listed_images(gql, image.product) == []
    result = gql(NODE, {"id": to_global_id("ProductImage", image.pk)})
    assert result["data"]["node"] is None


def test_truncated_jpeg_passes_the_quick_check_then_fails_in_the_task(
    gql, client, seller, product, django_capture_on_commit_callbacks
):
    noise = io.BytesIO()
    Image.effect_noise((300, 200), 80).convert("RGB").save(noise, "JPEG")
    truncated = noise.getvalue()[: len(noise.getvalue()) // 2]

    with django_capture_on_commit_callbacks(execute=True):
        payload = upload(gql.login(seller.user), product, truncated)
    assert payload["errors"] == []

    image = ProductImage.objects.get()
    assert_failed_and_hidden(gql, client, image, "INVALID_IMAGE")
    assert_human_sentence(image.error_message)


def test_raw_upload_replaced_by_garbage_before_processing_fails(
    gql, client, product, django_capture_on_commit_callbacks
):
    image = raw_pending_upload(product, phone_jpeg(), django_capture_on_commit_callbacks)
    Path(image.raw_upload.path).write_bytes(b"\x00garbage\xff" * 100)

    run_callbacks(image.pending_callbacks, django_capture_on_commit_callbacks)

    assert_failed_and_hidden(gql, client, image, "INVALID_IMAGE")


def test_raw_upload_gone_before_processing_fails(gql, client, product, django_capture_on_commit_callbacks):
    image = raw_pending_upload(product, phone_jpeg(), django_capture_on_commit_callbacks)
    Path(image.raw_upload.path).unlink()

    run_callbacks(image.pending_callbacks, django_capture_on_commit_callbacks)

    assert_failed_and_hidden(gql, client, image, "UPLOAD_MISSING")


# --- Idempotence ------------------------------------------------------------------------------------


def snapshot(image: ProductImage) -> dict:
    image.refresh_from_db()
    row = {field.attname: getattr(image, field.attname) for field in ProductImage._meta.concrete_fields}
    row = {name: str(value) if hasattr(value, "name") else value for name, value in row.items()}
    files = {
        str(path): path.read_bytes()
        for root in (settings.MEDIA_ROOT, settings.PRIVATE_MEDIA_ROOT)
        for path in files_under(root)
    }
    return {"row": row, "files": files}


def test_processing_twice_changes_nothing(product, django_capture_on_commit_callbacks):
    image = raw_pending_upload(product, phone_jpeg(), django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        first = catalog.process_image(image.pk)
    assert first.status == ImageStatus.READY
    before = snapshot(image)
    assert len(before["files"]) == 4

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        again = catalog.process_image(image.pk)
        assert process_image_task.delay("shop.productimage", image.pk).get() == ImageStatus.READY  # a retried task
    assert callbacks == []
    assert again.pk == image.pk and again.status == ImageStatus.READY
    assert snapshot(image) == before


def test_processing_a_failed_photo_again_changes_nothing(product, django_capture_on_commit_callbacks):
    image = raw_pending_upload(product, phone_jpeg(), django_capture_on_commit_callbacks)
    Path(image.raw_upload.path).write_bytes(b"not a picture")
    run_callbacks(image.pending_callbacks, django_capture_on_commit_callbacks)
    before = snapshot(image)
    assert before["row"]["status"] == ImageStatus.FAILED

    with django_capture_on_commit_callbacks(execute=True):
        assert catalog.process_image(image.pk).status == ImageStatus.FAILED
    assert snapshot(image) == before


def test_processing_a_deleted_photo_does_nothing(product, django_capture_on_commit_callbacks):
    image = raw_pending_upload(product, phone_jpeg(), django_capture_on_commit_callbacks)
    ProductImage.objects.filter(pk=image.pk).delete()
    assert catalog.process_image(image.pk) is None
    assert process_image_task.delay("shop.productimage", image.pk).get() is None
