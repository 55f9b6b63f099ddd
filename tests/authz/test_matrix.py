"""The authorization matrix: every root query and mutation of the schema × every role, each request
sent through the real GraphQL endpoint, judged by the rules in tests/authz/rules.py.

Allowed: no error, and the data asked for (a mutation: its payload, and something written).
Refused: a coded refusal (PERMISSION_DENIED, or NOT_FOUND for what the caller may not even see) or,
for a read, none of the other party's data; and not one row of any table changed."""

import hashlib
import json

import pytest
from django.db import connection, transaction
from django.test import override_settings

from config.schema import schema

from . import world as roles
from .rules import MUTATIONS, QUERIES

DENIAL_CODES = {"PERMISSION_DENIED", "NOT_FOUND"}
# Written by signing a test client in, before the request: not the request's doing.
UNWATCHED_TABLES = {"django_session"}
FAST_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # as tests/conftest.py's per test


def test_every_operation_of_the_schema_has_a_rule_and_every_rule_an_operation():
    graphql_schema = schema.graphql_schema
    for kind, declared, root in (
        ("query", QUERIES, graphql_schema.query_type),
        ("mutation", MUTATIONS, graphql_schema.mutation_type),
    ):
        operations = set(root.fields)
        undeclared, gone = sorted(operations - set(declared)), sorted(set(declared) - operations)
        assert not undeclared, f"{kind} fields with no rule in tests/authz/rules.py: {undeclared}"
        assert not gone, f"rules in tests/authz/rules.py for {kind} fields that are gone: {gone}"


def _cases():
    for kind, declared in (("query", QUERIES), ("mutation", MUTATIONS)):
        for operation, rule in sorted(declared.items()):
            for role in roles.ROLES + ((roles.OWNER,) if rule.owner else ()):
                yield pytest.param(kind, operation, role, id=f"{operation}-{role}")


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    """Built once for the module inside a transaction that is rolled back at its end; each test
    runs in a savepoint of it (pytest-django's `db`), so what an allowed request writes is undone
    before the next."""
    with django_db_blocker.unblock(), override_settings(PASSWORD_HASHERS=FAST_HASHERS):
        outer = transaction.atomic()
        outer.__enter__()
        try:
            yield roles.build()
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


def fingerprint() -> dict[str, str]:
    """Every watched table's rows, hashed: equal before and after means nothing was written.
    PostgreSQL hashes each table itself, all in one query (a round trip a table made the matrix
    several times slower); SQLite is in-process and hashes here."""
    tables = sorted(set(connection.introspection.table_names()) - UNWATCHED_TABLES)
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            digest = "md5(coalesce(string_agg(t::text, ',' ORDER BY t::text), ''))"
            parts = [f"SELECT %s, (SELECT {digest} FROM {quote(table)} t)" for table in tables]  # noqa: S608
            cursor.execute(" UNION ALL ".join(parts), tables)
            return dict(cursor.fetchall())
        prints = {}
        for table in tables:
            cursor.execute(f"SELECT * FROM {quote(table)}")  # noqa: S608 - our own table names
            rows = sorted(repr(row) for row in cursor.fetchall())
            prints[table] = hashlib.sha256("\n".join(rows).encode()).hexdigest()
        return prints


def changed(before: dict, after: dict) -> list[str]:
    return sorted(table for table in before if before[table] != after[table])


def _send(gql, rule, w):
    variables = rule.variables(w)
    if rule.files:
        return gql.upload(rule.document, variables, rule.files(w))
    return gql(rule.document, variables)


def _empty(value) -> bool:
    if value is None or value == []:
        return True
    return isinstance(value, dict) and value.get("edges") == []


def _codes(errors) -> list:
    return [(error.get("extensions") or {}).get("code", error.get("code")) for error in errors]


@pytest.mark.parametrize("kind, operation, role", list(_cases()))
def test_matrix(world, db, gql, kind, operation, role):
    rule = (QUERIES if kind == "query" else MUTATIONS)[operation]
    user = rule.owner(world) if role == roles.OWNER else world.roles[role]
    allowed = role == roles.OWNER or role in rule.allowed
    if user is not None:
        gql.login(user)

    watched = not allowed or kind == "mutation"  # an allowed read may write (a view counted): not judged
    before = fingerprint() if watched else None
    answer = _send(gql, rule, world)
    after = fingerprint() if watched else None
    text = json.dumps(answer, ensure_ascii=False)
    data_text = json.dumps(answer.get("data"), ensure_ascii=False)
    top_errors = answer.get("errors") or []
    value = (answer.get("data") or {}).get(operation)
    verdict = f"{role} on {operation}: {text[:600]}"

    if kind == "mutation":
        errors = top_errors + ((value or {}).get("errors") or [])
        if allowed:
            assert not errors, f"refused, but allowed: {verdict}"
            result = {k: v for k, v in value.items() if k != "errors"}
            # A payload of errors alone (tokensDeactivateAll) answers by its effect: `writes` below.
            assert not result or any(v is not None for v in result.values()), f"no result: {verdict}"
            if rule.writes:
                assert changed(before, after), f"allowed, yet nothing was written: {verdict}"
        else:
            assert errors and set(_codes(errors)) <= DENIAL_CODES, f"not refused with a code: {verdict}"
            assert all(v is None for k, v in (value or {}).items() if k != "errors"), f"a result: {verdict}"
            assert not changed(before, after), f"refused, yet wrote {changed(before, after)}: {verdict}"
        return

    secrets = [str(secret) for secret in rule.secrets(world)] if rule.secrets else []
    if allowed:
        assert not top_errors, f"refused, but allowed: {verdict}"
        if secrets:
            assert all(secret in data_text for secret in secrets), f"the other party's data is missing: {verdict}"
        else:
            assert value is not None and (rule.may_be_empty or not _empty(value)), f"no data: {verdict}"
    else:
        assert set(_codes(top_errors)) <= DENIAL_CODES, f"an error that is not a refusal: {verdict}"
        if secrets:
            leaked = [secret for secret in secrets if secret in data_text]
            assert not leaked, f"the other party's data reached {role}: {leaked}: {verdict}"
        else:
            assert top_errors or _empty(value), f"data for a role that may not see it: {verdict}"
        assert not changed(before, after), f"a refused read wrote {changed(before, after)}: {verdict}"
