"""Stories in the Django admin (promotion.admin): operators only, every change through promotion.content."""

import pytest
from django.urls import reverse

from promotion import content
from promotion.models import ContentImage, ContentItem, ContentStatus
from tests import factories as f

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:promotion_contentitem_changelist")
ADD = reverse("admin:promotion_contentitem_add")


@pytest.fixture
def operator(client):
    user = f.user(is_staff=True, is_superuser=True)
    client.force_login(user)
    return user


def form_data(village, **fields):
    data = {
        "kind": "story",
        "title": "  山里的蜂蜜 ",
        "summary": "",
        "body": "蜂箱在山坡上。",
        "village": village.pk,
        "images-TOTAL_FORMS": "0",
        "images-INITIAL_FORMS": "0",
        "images-MIN_NUM_FORMS": "0",
        "images-MAX_NUM_FORMS": "1000",
    }
    data.update(fields)
    return data


def test_ngo_officer_cannot_reach_the_admin(client):
    village = f.village()
    officer = f.user()
    f.ngo(villages=[village], staff=[officer])
    client.force_login(officer)
    assert client.get(CHANGELIST).status_code == 302  # to the admin's login


def test_operator_adds_a_draft_through_the_service(client, operator):
    village = f.village()
    response = client.post(ADD, form_data(village))
    assert response.status_code == 302, response.context["adminform"].form.errors
    item = ContentItem.objects.get()
    assert (item.title, item.status, item.author) == ("山里的蜂蜜", ContentStatus.DRAFT, operator)
    assert item.slug.startswith("山里的蜂蜜-")
    assert client.get(reverse("admin:promotion_contentitem_change", args=[item.pk])).status_code == 200


def test_admin_form_keeps_the_rules(client, operator):
    village = f.village()
    stranger = f.farmer()
    response = client.post(ADD, form_data(village, farmer=stranger.pk, title="a\x00b"))
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert set(errors) == {"farmer", "title"}
    assert ContentItem.objects.count() == 0


def test_publish_action_goes_through_the_service(client, operator):
    story = content.create_content(operator, kind="story", title="t", summary="", body="text", village=f.village())
    essay = content.create_content(operator, kind="photo_essay", title="e", summary="", body="", village=f.village())
    response = client.post(
        CHANGELIST, {"action": "publish_selected", "_selected_action": [story.pk, essay.pk]}, follow=True
    )
    assert response.status_code == 200
    story.refresh_from_db(), essay.refresh_from_db()
    assert story.status == ContentStatus.PUBLISHED and story.published_at is not None
    assert essay.status == ContentStatus.DRAFT  # no processed photo: refused, with a message
    shown = [str(message) for message in response.context["messages"]]
    assert any(message.startswith("e: ") for message in shown), shown

    client.post(CHANGELIST, {"action": "unpublish_selected", "_selected_action": [story.pk]})
    story.refresh_from_db()
    assert story.status == ContentStatus.DRAFT


def test_photos_are_shown_not_added(client, operator):
    item = content.create_content(operator, kind="story", title="t", summary="", body="x", village=f.village())
    ContentImage.objects.create(item=item, position=1, status="failed", error_code="INVALID_IMAGE")
    page = client.get(reverse("admin:promotion_contentitem_change", args=[item.pk])).content.decode()
    assert "INVALID_IMAGE" in page
    assert 'name="images-0-caption"' not in page  # read-only
    assert 'name="images-0-position"' in page
