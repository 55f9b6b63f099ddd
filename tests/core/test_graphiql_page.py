"""The GraphiQL page loads nothing from other hosts: its scripts and styles are our static files.

The files in static/vendor/graphiql/ are those graphene-django's page would load from its CDN, byte
for byte: each one's SHA-256 is the subresource-integrity hash graphene-django declares for it. An
upgrade of graphene-django that wants other files fails here until they are fetched again
(scripts/vendor_graphiql.sh). The browser test is tests/e2e/test_graphiql.py.
"""

import base64
import hashlib
from html.parser import HTMLParser

import pytest
from django.conf import settings
from django.contrib.staticfiles import finders
from graphene_django.views import GraphQLView as GrapheneView

pytestmark = pytest.mark.django_db

# Our file: the attribute of graphene-django's view holding the hash of the file its CDN page loads.
VENDORED = {
    "vendor/graphiql/react.production.min.js": "react_sri",
    "vendor/graphiql/react-dom.production.min.js": "react_dom_sri",
    "vendor/graphiql/graphiql.min.js": "graphiql_sri",
    "vendor/graphiql/graphiql.min.css": "graphiql_css_sri",
    "vendor/graphiql/graphql-ws.min.js": "subscriptions_transport_ws_sri",
    "vendor/graphiql/graphiql-plugin-explorer.umd.js": "graphiql_plugin_explorer_sri",
    "vendor/graphiql/graphiql-plugin-explorer.css": "graphiql_plugin_explorer_css_sri",
}


class Assets(HTMLParser):
    """Every URL the page makes the browser fetch: sources and linked files."""

    def __init__(self):
        super().__init__()
        self.urls = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if "src" in attrs:
            self.urls.append(attrs["src"])
        if tag == "link":
            self.urls.append(attrs["href"])


def graphiql_page(client):
    response = client.get("/graphql/", HTTP_ACCEPT="text/html")
    assert response.status_code == 200
    return response.content.decode()


def assets(html):
    parser = Assets()
    parser.feed(html)
    return parser.urls


def test_graphiql_page_loads_only_our_static_files(client):
    html = graphiql_page(client)
    urls = assets(html)
    assert {url.removeprefix(settings.STATIC_URL) for url in urls} == {*VENDORED, "graphene_django/graphiql.js"}
    assert "://" not in html, "no address of another host in the page"
    for url in urls:
        assert finders.find(url.removeprefix(settings.STATIC_URL)), url
        response = client.get(url)
        assert response.status_code == 200, url  # served by WhiteNoise, as on the live site


def test_graphiql_page_keeps_the_csrf_token_and_graphene_settings(client):
    html = graphiql_page(client)
    assert 'name="csrfmiddlewaretoken"' in html
    assert client.cookies["csrftoken"].value, "the page sets the cookie graphiql.js sends back"
    assert "graphiqlHeaderEditorEnabled: true" in html
    assert "graphiqlShouldPersistHeaders: false" in html
    assert "subscriptionPath" not in html, "no SUBSCRIPTION_PATH is set"


def test_vendored_files_are_the_ones_graphene_django_pins():
    for path, attribute in VENDORED.items():
        found = finders.find(path)
        assert found, f"{path} is missing: run sh scripts/vendor_graphiql.sh"
        with open(found, "rb") as file:
            digest = "sha256-" + base64.b64encode(hashlib.sha256(file.read()).digest()).decode()
        assert digest == getattr(GrapheneView, attribute), (
            f"{path} is not the file graphene-django's page loads: update scripts/vendor_graphiql.sh"
            " to the versions in graphene_django/views.py and run it"
        )
