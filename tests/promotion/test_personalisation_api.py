"""The switch and the "why this" line over GraphQL: `feed(personalised:)`, `FeedEdge.why`,
`FeedConnection.personalised` and `feedPersonalisationSet` for a signed-in reader."""

import pytest
from django.test import Client

from promotion import personalisation
from promotion.models import ReaderChoice
from tests import factories as f
from tests.conftest import GraphQLClient
from tests.promotion.test_personalisation import looked_at_tea, tea_shelf

pytestmark = pytest.mark.django_db

FEED = """query($personalised: Boolean) {
  feed(first: 10, personalised: $personalised) {
    personalised
    edges { promoted adLabel why node { ... on Product { name } } }
  }
}"""
SET = """mutation($personalised: Boolean!) {
  feedPersonalisationSet(personalised: $personalised) { personalised errors { field code message } }
}"""


def feed(gql, personalised=None):
    result = gql(FEED, {"personalised": personalised})
    assert "errors" not in result, result.get("errors")
    return result["data"]["feed"]


@pytest.fixture
def tea_feed(client):
    """Six teas, one promoted honey, and a reader (the `gql` fixture's client) who looked at a tea."""
    teas, _promoted = tea_shelf()
    looked_at_tea(client, teas)


def test_personal_by_default_with_a_why_on_organic_entries_only(gql, tea_feed):
    page = feed(gql)  # Chinese: the site's default

    assert page["personalised"] is True
    organic = [e for e in page["edges"] if not e["promoted"]]
    promoted = [e for e in page["edges"] if e["promoted"]]
    assert len(organic) == 6 and {e["why"] for e in organic} == {"因为您看过 茶叶"}
    assert len(promoted) == 1
    assert promoted[0]["why"] is None and promoted[0]["adLabel"] == "广告 · 山路公益基金会"


def test_personalised_false_is_the_feed_without_why(gql, tea_feed):
    page = feed(gql, personalised=False)

    assert page["personalised"] is False
    assert len(page["edges"]) == 7 and all(e["why"] is None for e in page["edges"])
    assert [e["adLabel"] for e in page["edges"] if e["promoted"]] == ["广告 · 山路公益基金会"]


def test_a_readers_choice_of_off_holds_even_when_a_client_asks_for_personal(client, gql, tea_feed):
    client.cookies[personalisation.COOKIE] = "0"

    assert feed(gql)["personalised"] is False
    page = feed(gql, personalised=True)
    assert page["personalised"] is False and all(e["why"] is None for e in page["edges"])


def test_an_account_saves_its_choice_and_every_client_follows_it(tea_feed):
    user = f.user()
    phone, app = GraphQLClient(Client()).login(user), GraphQLClient(Client()).login(user)

    result = phone(SET, {"personalised": False})["data"]["feedPersonalisationSet"]

    assert result == {"personalised": False, "errors": []}
    assert ReaderChoice.objects.get(user=user).personalised is False
    assert feed(app)["personalised"] is False

    assert app(SET, {"personalised": True})["data"]["feedPersonalisationSet"]["errors"] == []
    assert feed(phone)["personalised"] is True


def test_saving_a_choice_needs_an_account(gql):
    result = gql(SET, {"personalised": False})["data"]["feedPersonalisationSet"]

    assert result["personalised"] is None
    assert [(e["field"], e["code"]) for e in result["errors"]] == [(None, "PERMISSION_DENIED")]
    assert not ReaderChoice.objects.exists()
