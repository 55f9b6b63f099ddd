"""Racing the GraphQL API from threads: each call is its own browser (a Django test client with
the user's session), so each request runs in its own thread on its own database connection, as
gunicorn's workers would."""

import json

from django.test import Client


def api_as(user):
    """A function that posts one GraphQL operation as `user` and returns the decoded answer. The
    session is made now, in the calling thread, so the racing threads only send requests."""
    browser = Client()
    browser.force_login(user)

    def call(query: str, variables: dict) -> dict:
        response = browser.post(
            "/graphql/", json.dumps({"query": query, "variables": variables}), content_type="application/json"
        )
        assert response.status_code == 200, response.content[:500]
        return response.json()

    return call


def outcome(answer: dict, mutation: str) -> str:
    """ "ok", or the one error code the mutation answered with; anything else (a top-level error such
    as "Internal error.", which a deadlock becomes) fails the test."""
    assert "errors" not in answer, answer
    errors = answer["data"][mutation]["errors"]
    if not errors:
        return "ok"
    assert len(errors) == 1, errors
    return errors[0]["code"]
