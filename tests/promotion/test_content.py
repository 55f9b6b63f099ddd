"""Stories and photo essays through promotion.content (and who may, by promotion.permissions):
who may write about which village, what is checked, when an item may be published, and its photos
through the same pipeline as product photos (raw upload private, processed on the task after the
commit, no EXIF/GPS left)."""

import io
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation
from PIL import ExifTags, Image

from core.image_models import ImageStatus
from core.tasks import process_image as process_image_task
from farmers.permissions import Viewer
from promotion import content, permissions
from promotion.models import ContentImage, ContentItem, ContentKind, ContentStatus
from tests import factories as f
from tests.core.test_images import assert_bare_jpeg, assert_human_sentence, bilevel_png, phone_jpeg

pytestmark = pytest.mark.django_db

SIZES = ("original", "small", "medium", "large")


@pytest.fixture
def village():
    return f.village(name="石头村")


@pytest.fixture
def officer(village):
    """Staff of an NGO that covers the village."""
    user = f.user()
    f.ngo(villages=[village], staff=[user])
    return user


@pytest.fixture
def draft(officer, village):
    return content.create_content(
        officer, kind=ContentKind.STORY, title="核桃丰收", summary="今年的核桃", body="一个好年景。", village=village
    )


def files_under(root) -> list[Path]:
    root = Path(root)
    return sorted(path for path in root.rglob("*") if path.is_file()) if root.exists() else []


def codes(exc: ValidationError) -> dict[str, list[str]]:
    return {field: [error.code for error in errors] for field, errors in exc.error_dict.items()}


def upload(data: bytes, name="photo.jpg") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, "image/jpeg")


def add_and_process(actor, item, data: bytes, capture, caption="") -> ContentImage:
    """Add a photo, then run what the commit would run: the task, and the task's own clean-up."""
    with capture(execute=True):
        image = content.add_content_image(actor, item, upload(data), caption)
    image.refresh_from_db()
    return image


# --- Who may write --------------------------------------------------------------------------------


def test_who_may_publish_for_a_village(village, officer):
    other_village = f.village()
    elsewhere_officer = f.user()
    f.ngo(villages=[other_village], staff=[elsewhere_officer])
    farmer = f.farmer(village_=village)
    inactive_officer = f.user(is_active=False)
    f.ngo(villages=[village], staff=[inactive_officer])

    assert permissions.can_publish_for(officer, village)
    assert not permissions.can_publish_for(officer, other_village)
    assert permissions.can_publish_for(elsewhere_officer, other_village)
    assert not permissions.can_publish_for(elsewhere_officer, village)
    assert permissions.can_publish_for(f.staff_user(), village)
    assert permissions.can_publish_for(f.staff_user(), other_village)
    assert not permissions.can_publish_for(farmer.user, village)
    assert not permissions.can_publish_for(f.user(), village)
    assert not permissions.can_publish_for(AnonymousUser(), village)
    assert not permissions.can_publish_for(None, village)
    assert not permissions.can_publish_for(inactive_officer, village)


def test_who_sees_the_farmer_a_story_is_about(village, officer):
    verified = f.farmer(village_=village)
    pending = f.farmer(village_=village, state="pending")
    elsewhere_officer = f.user()
    f.ngo(villages=[f.village()], staff=[elsewhere_officer])
    for user in (AnonymousUser(), f.user(), elsewhere_officer, officer, f.staff_user()):
        assert permissions.farmer_shown_on_stories(Viewer.of(user), verified)
    assert permissions.farmer_shown_on_stories(Viewer.of(officer), pending)
    assert permissions.farmer_shown_on_stories(Viewer.of(f.staff_user()), pending)
    # Not even the farmer: a story shows public profiles only, and theirs is not public yet.
    for user in (AnonymousUser(), f.user(), elsewhere_officer, pending.user):
        assert not permissions.farmer_shown_on_stories(Viewer.of(user), pending)


@pytest.mark.parametrize("who", ["uncovered_officer", "farmer", "shopper", "anonymous"])
def test_only_covering_ngo_staff_and_operators_create(village, who):
    actor = {
        "uncovered_officer": lambda: f.ngo(villages=[f.village()], staff=[f.user()]).staff.get(),
        "farmer": lambda: f.farmer(village_=village).user,
        "shopper": f.user,
        "anonymous": AnonymousUser,
    }[who]()
    with pytest.raises(PermissionDenied) as caught:
        content.create_content(actor, kind="story", title="t", summary="", body="", village=village)
    assert_human_sentence(str(caught.value))
    assert ContentItem.objects.count() == 0


def test_officer_creates_a_draft_for_their_ngo(officer, village):
    farmer = f.farmer(village_=village)
    walnuts = f.product(farmer)
    item = content.create_content(
        officer,
        kind=ContentKind.STORY,
        title="  核桃 丰收  ",
        summary=" 今年的核桃 ",
        body="第一行\n第二行",
        village=village,
        farmer=farmer,
        products=[walnuts, walnuts],
    )
    item.refresh_from_db()
    assert (item.title, item.summary, item.body) == ("核桃 丰收", "今年的核桃", "第一行\n第二行")
    assert item.status == ContentStatus.DRAFT and item.published_at is None
    assert item.author == officer
    assert item.ngo == officer.ngos.get()
    assert item.slug.startswith("核桃-丰收-") and len(item.slug) == len("核桃-丰收-") + 8
    assert list(item.products.all()) == [walnuts]


def test_operator_writes_about_any_village_and_slugs_are_unique(village):
    operator = f.staff_user()
    first = content.create_content(operator, kind="story", title="苹果", summary="", body="", village=village)
    second = content.create_content(operator, kind="story", title="苹果", summary="", body="", village=village)
    assert first.ngo is None  # an operator publishes in nobody's name unless told
    assert first.slug != second.slug
    assert first.slug.startswith("苹果-") and second.slug.startswith("苹果-")
    untitled = content.create_content(operator, kind="story", title="!!!", summary="", body="", village=village)
    assert untitled.slug.startswith("story-")


# --- Validation: every problem keyed by field, nothing written ------------------------------------------


def test_every_bad_field_is_reported_and_nothing_written(officer, village):
    elsewhere = f.village()
    stranger = f.farmer(village_=elsewhere)
    foreign_goods = f.product(f.farmer(village_=elsewhere))
    with translation.override("en"), pytest.raises(ValidationError) as caught:
        content.create_content(
            officer,
            kind="poem",
            title="   ",
            summary="line\none",
            body="x" * 20001,
            village=village,
            farmer=stranger,
            products=[foreign_goods],
        )
    assert codes(caught.value) == {
        "kind": ["invalid"],
        "title": ["required"],
        "summary": ["invalid"],
        "body": ["max_length"],
        "farmer": ["farmer_not_in_village"],
        "products": ["product_not_in_village"],
    }
    for errors in caught.value.error_dict.values():
        message = errors[0].message % (errors[0].params or {})
        assert message[0].isupper() and message.endswith("."), message  # a sentence, not a code
    assert foreign_goods.name not in str(caught.value)  # the goods may be someone's draft
    assert ContentItem.objects.count() == 0


def test_messages_in_the_officers_language(officer, village):
    with translation.override("zh-hans"), pytest.raises(ValidationError) as caught:
        content.create_content(officer, kind="story", title="", summary="", body="", village=village)
    [error] = caught.value.error_dict["title"]
    with translation.override("zh-hans"):
        assert error.message == translation.gettext("This field is required.") != "This field is required."


def test_control_characters_and_invisible_text_are_refused(officer, village):
    for title in ("bad\x00title", "\u200b\u200b"):
        with pytest.raises(ValidationError) as caught:
            content.create_content(officer, kind="story", title=title, summary="", body="", village=village)
        assert codes(caught.value) == {"title": ["invalid"]}
    assert ContentItem.objects.count() == 0


def test_ngo_must_cover_the_village_and_be_the_officers_own(officer, village):
    other_ngo = f.ngo(villages=[village])
    far_ngo = f.ngo(villages=[f.village()], staff=[officer])
    for ngo, code in ((far_ngo, "ngo_not_covering_village"), (other_ngo, "invalid")):
        with pytest.raises(ValidationError) as caught:
            content.create_content(officer, kind="story", title="t", summary="", body="", village=village, ngo=ngo)
        assert codes(caught.value) == {"ngo": [code]}
    assert ContentItem.objects.count() == 0
    operator_item = content.create_content(
        f.staff_user(), kind="story", title="t", summary="", body="", village=village, ngo=other_ngo
    )
    assert operator_item.ngo == other_ngo


def test_too_many_products(officer, village):
    farmer = f.farmer(village_=village)
    goods = [f.product(farmer) for _ in range(content.MAX_PRODUCTS_PER_ITEM + 1)]
    with pytest.raises(ValidationError) as caught:
        content.create_content(officer, kind="story", title="t", summary="", body="", village=village, products=goods)
    assert codes(caught.value) == {"products": ["too_many_products"]}
    assert ContentItem.objects.count() == 0


# --- Updating -------------------------------------------------------------------------------------------


def test_update_changes_only_given_fields_and_keeps_the_slug(officer, village, draft):
    farmer = f.farmer(village_=village)
    item = content.update_content(officer, draft, title="新标题", farmer=farmer)
    item.refresh_from_db()
    assert (item.title, item.summary, item.farmer) == ("新标题", "今年的核桃", farmer)
    assert item.slug == draft.slug


def test_failed_update_writes_nothing(officer, village, draft):
    before = ContentItem.objects.values().get(pk=draft.pk)
    goods = f.product(f.farmer(village_=village))
    with pytest.raises(ValidationError) as caught:
        content.update_content(officer, draft, title="改了", products=[goods], farmer=f.farmer())
    assert codes(caught.value) == {"farmer": ["farmer_not_in_village"]}
    assert ContentItem.objects.values().get(pk=draft.pk) == before
    assert list(draft.products.all()) == []


def test_colleague_of_another_covering_ngo_may_edit_but_uncovered_officer_not(village, draft):
    colleague = f.user()
    f.ngo(villages=[village], staff=[colleague])
    assert content.update_content(colleague, draft, summary="补充").summary == "补充"
    assert draft.ngo != colleague.ngos.get()  # the NGO it was published for stays

    outsider = f.user()
    f.ngo(villages=[f.village()], staff=[outsider])
    with pytest.raises(PermissionDenied):
        content.update_content(outsider, draft, summary="hijack")
    assert ContentItem.objects.get(pk=draft.pk).summary == "补充"


def test_moving_to_a_village_the_officer_does_not_cover_is_refused(officer, draft):
    with pytest.raises(PermissionDenied):
        content.update_content(officer, draft, village=f.village())
    assert ContentItem.objects.get(pk=draft.pk).village == draft.village


# --- Publishing -----------------------------------------------------------------------------------------


def test_publish_sets_published_at_once(officer, draft):
    published = content.publish_content(officer, draft)
    assert published.status == ContentStatus.PUBLISHED and published.published_at is not None
    first_time = published.published_at

    assert content.publish_content(officer, draft).published_at == first_time  # again: no change
    assert content.unpublish_content(officer, draft).status == ContentStatus.DRAFT
    again = content.publish_content(officer, draft)
    again.refresh_from_db()
    assert (again.status, again.published_at) == (ContentStatus.PUBLISHED, first_time)


def test_a_story_needs_text_to_be_published(officer, village):
    empty = content.create_content(officer, kind="story", title="t", summary="", body="", village=village)
    with pytest.raises(ValidationError) as caught:
        content.publish_content(officer, empty)
    assert codes(caught.value) == {"body": ["required"]}
    assert ContentItem.objects.get(pk=empty.pk).status == ContentStatus.DRAFT


def test_a_photo_essay_needs_a_processed_photo(officer, village, django_capture_on_commit_callbacks):
    essay = content.create_content(officer, kind="photo_essay", title="t", summary="", body="", village=village)
    with pytest.raises(ValidationError) as caught:
        content.publish_content(officer, essay)
    assert codes(caught.value) == {"images": ["photo_essay_needs_photo"]}

    # A photo still being processed does not count.
    with django_capture_on_commit_callbacks(execute=False):
        pending = content.add_content_image(officer, essay, upload(phone_jpeg()))
    assert pending.status == ImageStatus.PENDING
    with pytest.raises(ValidationError):
        content.publish_content(officer, essay)
    assert ContentItem.objects.get(pk=essay.pk).status == ContentStatus.DRAFT

    add_and_process(officer, essay, phone_jpeg(), django_capture_on_commit_callbacks)
    assert content.publish_content(officer, essay).status == ContentStatus.PUBLISHED


def test_published_item_stays_publishable(officer, draft):
    content.publish_content(officer, draft)
    for change in ({"body": ""}, {"kind": "photo_essay"}):
        with pytest.raises(ValidationError):
            content.update_content(officer, draft, **change)
    draft.refresh_from_db()
    assert (draft.kind, draft.body) == ("story", "一个好年景。")


def test_only_managers_publish(village, draft):
    for actor in (f.farmer(village_=village).user, f.user(), AnonymousUser()):
        with pytest.raises(PermissionDenied):
            content.publish_content(actor, draft)
    assert ContentItem.objects.get(pk=draft.pk).status == ContentStatus.DRAFT
    assert content.publish_content(f.staff_user(), draft).status == ContentStatus.PUBLISHED
    with pytest.raises(PermissionDenied):
        content.unpublish_content(f.user(), draft)
    assert ContentItem.objects.get(pk=draft.pk).status == ContentStatus.PUBLISHED


def test_visibility_of_drafts(officer, village, draft):
    published = f.story(village_=village)
    elsewhere_draft = f.story(published=False)
    visible = set(permissions.content_visible_to(officer))
    assert {draft, published} <= visible and elsewhere_draft not in visible
    assert set(permissions.content_visible_to(AnonymousUser())) >= {published}
    assert draft not in set(permissions.content_visible_to(AnonymousUser()))
    assert draft not in set(permissions.content_visible_to(f.user()))
    assert set(permissions.content_visible_to(f.staff_user())) >= {draft, published, elsewhere_draft}
    assert set(permissions.content_managed_by(officer)) == {draft, published}


# --- Photos -------------------------------------------------------------------------------------------


def test_gps_tagged_story_photo_comes_out_clean(officer, draft, django_capture_on_commit_callbacks):
    photo = phone_jpeg(size=(64, 48), orientation=6)
    assert Image.open(io.BytesIO(photo)).getexif().get_ifd(ExifTags.IFD.GPSInfo), "the test photo has GPS"

    with django_capture_on_commit_callbacks() as callbacks:
        image = content.add_content_image(officer, draft, upload(photo), caption="  村口的核桃树 ")
    # Before the commit: only the raw upload, private, byte for byte; nothing public, nothing listed.
    assert image.status == ImageStatus.PENDING and image.url("small") is None
    assert [path.read_bytes() for path in files_under(settings.PRIVATE_MEDIA_ROOT)] == [photo]
    assert files_under(settings.MEDIA_ROOT) == []
    assert len(callbacks) == 1

    with django_capture_on_commit_callbacks(execute=True):
        callbacks[0]()
    image.refresh_from_db()
    assert (image.status, image.caption, image.width, image.height) == (ImageStatus.READY, "村口的核桃树", 48, 64)
    assert image.raw_upload.name == ""
    assert files_under(settings.PRIVATE_MEDIA_ROOT) == []  # the raw upload with its GPS is gone
    stored = [Path(settings.MEDIA_ROOT) / getattr(image, size).name for size in SIZES]
    assert files_under(settings.MEDIA_ROOT) == sorted(stored)
    for path in stored:
        assert path.relative_to(settings.MEDIA_ROOT).parts[:2] == ("stories", str(draft.pk))
        assert assert_bare_jpeg(path.read_bytes()).size == (48, 64)
    assert image.url("large") == f"{settings.MEDIA_URL}{image.large.name}"


def test_one_task_processes_story_and_product_photos(officer, draft, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        image = content.add_content_image(officer, draft, upload(phone_jpeg()))
    assert len(callbacks) == 1
    assert process_image_task.delay("promotion.contentimage", image.pk).get() == ImageStatus.READY
    before = {size: getattr(ContentImage.objects.get(pk=image.pk), size).name for size in SIZES}
    # Retried, or the enqueued message after all: it finds the photo done and changes nothing.
    with django_capture_on_commit_callbacks(execute=True) as again:
        callbacks[0]()
    assert {size: getattr(ContentImage.objects.get(pk=image.pk), size).name for size in SIZES} == before
    assert again == []  # the task found nothing to do: no clean-up of a raw upload
    with pytest.raises(ValueError):
        process_image_task.delay("promotion.contentitem", draft.pk).get()


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b"Shopping list: walnuts, honey\n" * 40, "invalid_image"),
        (bilevel_png(7072, 7072), "image_too_many_pixels"),
    ],
)
def test_bad_photo_is_refused_at_once_and_nothing_written(officer, draft, data, code):
    with pytest.raises(ValidationError) as caught:
        content.add_content_image(officer, draft, upload(data))
    assert codes(caught.value) == {"image": [code]}
    assert ContentImage.objects.count() == 0
    assert files_under(settings.PRIVATE_MEDIA_ROOT) == [] and files_under(settings.MEDIA_ROOT) == []


def test_photo_that_fails_in_the_task_is_never_listed(officer, draft, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        image = content.add_content_image(officer, draft, upload(phone_jpeg()))
    Path(image.raw_upload.path).write_bytes(b"\x00garbage" * 100)
    with django_capture_on_commit_callbacks(execute=True):
        callbacks[0]()
    image.refresh_from_db()
    assert (image.status, image.error_code) == (ImageStatus.FAILED, "INVALID_IMAGE")
    assert files_under(settings.PRIVATE_MEDIA_ROOT) == [] and files_under(settings.MEDIA_ROOT) == []
    assert image.url("small") is None


def test_photo_limit_and_caption_and_permission(officer, draft, django_capture_on_commit_callbacks, monkeypatch):
    monkeypatch.setattr(content, "MAX_IMAGES_PER_ITEM", 2)
    for _ in range(2):
        add_and_process(officer, draft, phone_jpeg(), django_capture_on_commit_callbacks)
    with pytest.raises(ValidationError) as caught:
        content.add_content_image(officer, draft, upload(phone_jpeg()))
    assert codes(caught.value) == {"image": ["too_many_images"]}
    ContentImage.objects.filter(pk=ContentImage.objects.first().pk).update(status=ImageStatus.FAILED)
    with pytest.raises(ValidationError) as caught:
        content.add_content_image(officer, draft, upload(phone_jpeg()), caption="x" * 301)
    assert codes(caught.value) == {"caption": ["max_length"]}
    with pytest.raises(PermissionDenied):
        content.add_content_image(f.user(), draft, upload(phone_jpeg()))
    assert ContentImage.objects.count() == 2
    assert len(files_under(settings.PRIVATE_MEDIA_ROOT)) == 0
    third = add_and_process(
        officer, draft, phone_jpeg(), django_capture_on_commit_callbacks
    )  # a failed one frees a place
    assert third.position == 3


def test_delete_photo_removes_its_files(officer, draft, django_capture_on_commit_callbacks):
    image = add_and_process(officer, draft, phone_jpeg(), django_capture_on_commit_callbacks)
    assert len(files_under(settings.MEDIA_ROOT)) == 4
    with pytest.raises(PermissionDenied):
        content.delete_content_image(f.user(), image)
    assert len(files_under(settings.MEDIA_ROOT)) == 4
    with django_capture_on_commit_callbacks(execute=True):
        content.delete_content_image(officer, image)
    assert ContentImage.objects.count() == 0
    assert files_under(settings.MEDIA_ROOT) == []


def test_last_photo_of_a_published_essay_stays(officer, village, django_capture_on_commit_callbacks):
    essay = content.create_content(officer, kind="photo_essay", title="t", summary="", body="", village=village)
    first = add_and_process(officer, essay, phone_jpeg(), django_capture_on_commit_callbacks)
    second = add_and_process(officer, essay, phone_jpeg(), django_capture_on_commit_callbacks)
    content.publish_content(officer, essay)
    with django_capture_on_commit_callbacks(execute=True):
        content.delete_content_image(officer, first)
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(ValidationError) as caught:
        content.delete_content_image(officer, second)
    assert codes(caught.value) == {"image": ["photo_essay_needs_photo"]}
    assert list(essay.images.all()) == [second]
    assert len(files_under(settings.MEDIA_ROOT)) == 4
    content.unpublish_content(officer, essay)
    with django_capture_on_commit_callbacks(execute=True):
        content.delete_content_image(officer, second)
    assert files_under(settings.MEDIA_ROOT) == []
