"""Stories and photo essays through /graphql/: writers' mutations, readers' queries.

Rules live in promotion.content (tested in test_content.py); here: IDs parsed, errors as data with
the content codes, nothing written on error, what each reader sees, and fixed query counts."""

import io
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from graphql_relay import to_global_id
from PIL import Image

from promotion.models import ContentImage, ContentItem, ContentStatus
from tests import factories as f
from tests.core.test_images import assert_bare_jpeg, phone_jpeg

pytestmark = pytest.mark.django_db

ITEM_FIELDS = """
  id kind status title slug summary body url ngoName publishedAt
  village { name }
  farmer { id name story village { name } }
  products { id name }
  images { id caption width height status small: url(size: SMALL) medium: url large: url(size: LARGE) }
"""

CREATE = f"""
mutation Create($input: ContentItemCreateInput!) {{
  contentItemCreate(input: $input) {{ contentItem {{ {ITEM_FIELDS} }} errors {{ field code message }} }}
}}
"""
UPDATE = """
mutation Update($id: ID!, $input: ContentItemUpdateInput!) {
  contentItemUpdate(id: $id, input: $input) { contentItem { title summary } errors { field code message } }
}
"""
PUBLISH = """
mutation Publish($id: ID!) {
  contentItemPublish(id: $id) { contentItem { status publishedAt } errors { field code message } }
}
"""
UNPUBLISH = """
mutation Unpublish($id: ID!) {
  contentItemUnpublish(id: $id) { contentItem { status } errors { field code message } }
}
"""
ADD_IMAGE = """
mutation Add($item: ID!, $image: Upload!, $caption: String) {
  contentImageAdd(item: $item, image: $image, caption: $caption) {
    image { id status caption url } errors { field code message }
  }
}
"""
DELETE_IMAGE = """
mutation Delete($id: ID!) { contentImageDelete(id: $id) { deletedId errors { field code message } } }
"""
BY_SLUG = f"query BySlug($slug: String!) {{ contentItem(slug: $slug) {{ {ITEM_FIELDS} }} }}"
BY_ID = "query ById($id: ID!) { contentItem(id: $id) { id title status } }"
MINE = f"""
query Mine($status: ContentStatus) {{
  myContentItems(first: 50, status: $status) {{ totalCount edges {{ node {{ {ITEM_FIELDS} }} }} }}
}}
"""


@pytest.fixture
def village():
    return f.village(name="石头村")


@pytest.fixture
def officer(village):
    user = f.user()
    f.ngo(villages=[village], staff=[user])
    return user


@pytest.fixture
def farmer(village):
    return f.farmer(village_=village, story="三代种核桃")


def gid(kind: str, obj) -> str:
    return to_global_id(kind, obj.pk)


def create(gql, village, **fields) -> dict:
    variables = {
        "input": {"kind": "STORY", "title": "核桃丰收", "body": "好年景。", "village": gid("Village", village)}
    }
    variables["input"].update(fields)
    result = gql(CREATE, variables)
    assert "errors" not in result, result
    return result["data"]["contentItemCreate"]


def data(result: dict, name: str) -> dict:
    assert "errors" not in result, result
    return result["data"][name]


def add_photo(gql, item_id: str, photo: bytes, caption="") -> dict:
    variables = {"item": item_id, "image": None, "caption": caption}
    result = gql.upload(ADD_IMAGE, variables, {"image": SimpleUploadedFile("p.jpg", photo, "image/jpeg")})
    return data(result, "contentImageAdd")


def test_officer_writes_illustrates_and_publishes_a_photo_essay(
    gql, client, officer, village, farmer, django_capture_on_commit_callbacks
):
    walnuts = f.product(farmer, name="核桃")
    hidden = f.product(farmer, name="未上架", published=False)
    gql.login(officer)
    created = create(
        gql,
        village,
        kind="PHOTO_ESSAY",
        summary="村里的秋天",
        farmer=gid("Farmer", farmer),
        products=[gid("Product", walnuts), gid("Product", hidden)],
    )
    assert created["errors"] == []
    item = created["contentItem"]
    assert (item["kind"], item["status"], item["publishedAt"]) == ("PHOTO_ESSAY", "DRAFT", None)
    assert item["ngoName"] == officer.ngos.get().name
    assert item["slug"] == ContentItem.objects.get().slug
    assert item["url"] == "http://testserver" + reverse("promotion:story", kwargs={"slug": item["slug"]})
    assert item["products"] == [{"id": gid("Product", walnuts), "name": "核桃"}]  # shoppers' goods only

    refused = data(gql(PUBLISH, {"id": item["id"]}), "contentItemPublish")
    assert [(e["field"], e["code"]) for e in refused["errors"]] == [("images", "PHOTO_ESSAY_NEEDS_PHOTO")]
    assert ContentItem.objects.get().status == ContentStatus.DRAFT

    with django_capture_on_commit_callbacks(execute=True):
        added = add_photo(gql, item["id"], phone_jpeg(), caption="核桃树")
    assert added["errors"] == [] and added["image"]["status"] == "PENDING" and added["image"]["url"] is None

    published = data(gql(PUBLISH, {"id": item["id"]}), "contentItemPublish")
    assert published["errors"] == [] and published["contentItem"]["status"] == "PUBLISHED"

    client.logout()
    shown = data(gql(BY_SLUG, {"slug": item["slug"]}), "contentItem")
    assert shown["farmer"] == {
        "id": gid("Farmer", farmer),
        "name": farmer.name,
        "story": "三代种核桃",
        "village": {"name": "石头村"},
    }
    [photo] = shown["images"]
    assert (photo["status"], photo["caption"], photo["width"], photo["height"]) == ("READY", "核桃树", 48, 64)
    image = ContentImage.objects.get()
    assert photo["large"] == f"http://testserver/media/{image.large.name}"
    assert_bare_jpeg(Path(image.large.path).read_bytes())  # GPS never reaches the shopper


def test_farmer_type_of_a_story_has_no_personal_fields(gql):
    result = gql('{ __type(name: "ContentFarmer") { fields { name } } }')
    names = {field["name"] for field in result["data"]["__type"]["fields"]}
    assert names == {"id", "name", "story", "village"}


def test_unverified_farmer_is_hidden_from_shoppers(gql, village):
    pending = f.farmer(village_=village, state="pending")
    item = f.story(village_=village, farmer=pending)
    assert data(gql(BY_SLUG, {"slug": item.slug}), "contentItem")["farmer"] is None
    assert data(gql.login(f.staff_user())(BY_SLUG, {"slug": item.slug}), "contentItem")["farmer"]["name"] == (
        pending.name
    )


@pytest.mark.parametrize("who", ["anonymous", "shopper", "farmer", "uncovered_officer"])
def test_outsiders_cannot_create_and_nothing_is_written(gql, village, farmer, who):
    if who == "shopper":
        gql.login(f.user())
    elif who == "farmer":
        gql.login(farmer.user)
    elif who == "uncovered_officer":
        outsider = f.user()
        f.ngo(villages=[f.village()], staff=[outsider])
        gql.login(outsider)
    payload = create(gql, village)
    assert payload["contentItem"] is None
    assert [error["code"] for error in payload["errors"]] == ["PERMISSION_DENIED"]
    assert ContentItem.objects.count() == 0


def test_validation_errors_are_keyed_by_field_and_write_nothing(gql, officer, village):
    stranger = f.farmer()
    gql.login(officer)
    payload = create(gql, village, title=" ", farmer=gid("Farmer", stranger))
    assert sorted((e["field"], e["code"]) for e in payload["errors"]) == [
        ("farmer", "FARMER_NOT_IN_VILLAGE"),
        ("title", "REQUIRED"),
    ]
    payload = create(gql, village, products=["not-an-id"])
    assert [(e["field"], e["code"]) for e in payload["errors"]] == [("products", "INVALID")]
    assert ContentItem.objects.count() == 0


def test_update_unpublish_and_who_sees_drafts(gql, client, officer, village):
    gql.login(officer)
    item_id = create(gql, village)["contentItem"]["id"]
    updated = data(gql(UPDATE, {"id": item_id, "input": {"summary": "新的摘要"}}), "contentItemUpdate")
    assert updated == {"contentItem": {"title": "核桃丰收", "summary": "新的摘要"}, "errors": []}

    client.logout()
    hidden = gql(BY_ID, {"id": item_id})
    assert hidden["data"]["contentItem"] is None
    assert hidden["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    # An outsider cannot even find a draft to change it.
    gql.login(f.user())
    refused = data(gql(UPDATE, {"id": item_id, "input": {"title": "x"}}), "contentItemUpdate")
    assert [e["code"] for e in refused["errors"]] == ["PERMISSION_DENIED"]
    outsider = f.user()
    f.ngo(villages=[f.village()], staff=[outsider])
    refused = data(gql.login(outsider)(UPDATE, {"id": item_id, "input": {"title": "x"}}), "contentItemUpdate")
    assert [(e["field"], e["code"]) for e in refused["errors"]] == [("id", "NOT_FOUND")]
    assert ContentItem.objects.get().title == "核桃丰收"

    gql.login(officer)
    assert data(gql(PUBLISH, {"id": item_id}), "contentItemPublish")["errors"] == []
    # Published: a covered officer may see it but an uncovered one may not unpublish it.
    refused = data(gql.login(outsider)(UNPUBLISH, {"id": item_id}), "contentItemUnpublish")
    assert [e["code"] for e in refused["errors"]] == ["PERMISSION_DENIED"]
    assert data(gql.login(officer)(UNPUBLISH, {"id": item_id}), "contentItemUnpublish") == {
        "contentItem": {"status": "DRAFT"},
        "errors": [],
    }


def test_bad_photo_is_refused_with_its_code(gql, officer, village):
    gql.login(officer)
    item_id = create(gql, village)["contentItem"]["id"]
    payload = add_photo(gql, item_id, b"not a picture at all" * 20)
    assert payload["image"] is None
    assert [(e["field"], e["code"]) for e in payload["errors"]] == [("image", "INVALID_IMAGE")]
    assert ContentImage.objects.count() == 0


def test_delete_photo(gql, officer, village, django_capture_on_commit_callbacks):
    gql.login(officer)
    item_id = create(gql, village)["contentItem"]["id"]
    with django_capture_on_commit_callbacks(execute=True):
        image_id = add_photo(gql, item_id, phone_jpeg())["image"]["id"]
    refused = data(gql.login(f.user())(DELETE_IMAGE, {"id": image_id}), "contentImageDelete")
    assert [(e["field"], e["code"]) for e in refused["errors"]] == [(None, "PERMISSION_DENIED")]
    outsider = f.user()
    f.ngo(villages=[f.village()], staff=[outsider])
    refused = data(gql.login(outsider)(DELETE_IMAGE, {"id": image_id}), "contentImageDelete")
    assert [(e["field"], e["code"]) for e in refused["errors"]] == [("id", "NOT_FOUND")]
    assert ContentImage.objects.count() == 1
    gql.login(officer)
    with django_capture_on_commit_callbacks(execute=True):
        deleted = data(gql(DELETE_IMAGE, {"id": image_id}), "contentImageDelete")
    assert deleted == {"deletedId": image_id, "errors": []}
    assert ContentImage.objects.count() == 0


def test_the_last_photo_of_a_published_essay_is_refused_on_the_id_argument(
    gql, officer, village, django_capture_on_commit_callbacks
):
    """The service names the photo `image`; the mutation's argument for it is `id`."""
    gql.login(officer)
    item_id = create(gql, village, kind="PHOTO_ESSAY")["contentItem"]["id"]
    with django_capture_on_commit_callbacks(execute=True):
        image_id = add_photo(gql, item_id, phone_jpeg())["image"]["id"]
    assert data(gql(PUBLISH, {"id": item_id}), "contentItemPublish")["errors"] == []
    refused = data(gql(DELETE_IMAGE, {"id": image_id}), "contentImageDelete")
    assert [(e["field"], e["code"]) for e in refused["errors"]] == [("id", "PHOTO_ESSAY_NEEDS_PHOTO")]
    assert refused["deletedId"] is None
    assert ContentImage.objects.count() == 1


def photo_of(item, position):
    """A processed photo, stored directly: the pipeline is tested above; here only the listing."""
    out = io.BytesIO()
    Image.new("RGB", (8, 6)).save(out, "JPEG")
    image = ContentImage(item=item, position=position, status="ready", width=8, height=6)
    for size in ("original", "small", "medium", "large"):
        getattr(image, size).save(f"{size}.jpg", io.BytesIO(out.getvalue()), save=False)
    image.save()


def test_my_content_items_lists_the_officers_villages_in_fixed_queries(gql, officer, village, farmer):
    def add_items(count):
        for _ in range(count):
            item = f.story(village_=village, published=False, farmer=farmer, body="x")
            item.products.set([f.product(farmer)])
            photo_of(item, 1)

    f.story(published=False)  # another village's draft
    gql.login(officer)

    add_items(2)
    with CaptureQueriesContext(connection) as few:
        listed = data(gql(MINE), "myContentItems")
    assert listed["totalCount"] == 2
    add_items(4)
    with CaptureQueriesContext(connection) as many:
        listed = data(gql(MINE, {"status": "DRAFT"}), "myContentItems")
    assert listed["totalCount"] == 6
    assert all(len(edge["node"]["images"]) == 1 and len(edge["node"]["products"]) == 1 for edge in listed["edges"])
    assert len(many.captured_queries) == len(few.captured_queries)

    assert data(gql(MINE, {"status": "PUBLISHED"}), "myContentItems")["totalCount"] == 0
    gql.client.logout()
    assert data(gql(MINE), "myContentItems")["totalCount"] == 0
