"""GraphiQL works with no way out of this machine: every file it needs comes from our own server.

Many networks in China cannot reach the CDNs that GraphiQL pages usually load from; with them the
page stays blank. Here every request to a host other than the live server's is refused, and the
test checks that none is even attempted, that nothing is logged as an error, and that a person can
type a query, run it and read the answer, signed in (so the request must carry the CSRF token).
"""

from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.test import Client

from tests import factories as f

pytestmark = pytest.mark.django_db(transaction=True)

LOCAL_HOSTS = {"127.0.0.1", "localhost"}
QUERY = "{ me { email } products(first: 1) { totalCount } }"


def test_graphiql_runs_a_query_with_the_network_cut_off(live_server, browser, output_dir):
    f.product(name="十八洞猕猴桃")
    f.product(name="赣南脐橙")
    client = Client()
    client.force_login(f.user(username="api-explorer", email="explorer@example.com"))

    context = browser.new_context(viewport={"width": 1280, "height": 800})
    context.set_default_timeout(15_000)
    session = client.cookies[settings.SESSION_COOKIE_NAME].value
    context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": session, "url": live_server.url}])
    elsewhere, problems = [], []

    def cut_off(route):
        if urlsplit(route.request.url).hostname in LOCAL_HOSTS:
            route.continue_()
        else:
            route.abort("internetdisconnected")

    def watch(request):
        url = urlsplit(request.url)
        if url.scheme not in ("data", "blob") and url.hostname not in LOCAL_HOSTS:
            elsewhere.append(request.url)

    context.route("**/*", cut_off)
    context.on("request", watch)
    try:
        page = context.new_page()
        page.on("websocket", watch)  # a WebSocket has a url too
        page.on("console", lambda message: message.type == "error" and problems.append(message.text))
        page.on("pageerror", lambda error: problems.append(str(error)))
        page.on("requestfailed", lambda request: problems.append(f"{request.url}: {request.failure}"))

        page.goto(live_server.url + "/graphql/")  # returns once the page's scripts and styles are in
        assert elsewhere == [], f"the page asks other hosts for: {elsewhere}"
        editor = page.locator(".graphiql-query-editor .CodeMirror")
        editor.wait_for()
        run = page.locator("button.graphiql-execute-button")
        assert run.is_visible()
        loaded = page.evaluate(
            "['React', 'ReactDOM', 'GraphiQL', 'graphqlWs', 'GraphiQLPluginExplorer'].filter(name => !window[name])"
        )
        assert loaded == [], f"not loaded: {loaded}"

        editor.click()
        page.keyboard.press("Control+A")
        page.keyboard.insert_text(QUERY)  # typed keys would meet GraphiQL's closing brackets
        run.click()
        response = page.locator(".graphiql-response .CodeMirror")
        response.get_by_text('"totalCount": 2').wait_for()
        # Signed in, so the POST passed the CSRF check with the token graphiql.js sends.
        assert '"email": "explorer@example.com"' in response.inner_text()
        page.screenshot(path=output_dir / "graphiql.png")
        assert '"errors"' not in response.inner_text()
    finally:
        context.close()

    assert elsewhere == [], f"the page asked other hosts for: {elsewhere}"
    assert problems == [], f"errors in the page: {problems}"
