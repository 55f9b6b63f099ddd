"""The import rules of docs/architecture.md hold for the whole tree, and each rule would catch a
breach of it (shown by adding one forbidden import at a time to a copy of the real graph)."""

import copy

import pytest

from .imports import all_breaches, build_graph, delivery_breaches, is_delivery, layer_breaches


@pytest.fixture(scope="module")
def graph():
    return build_graph()


def test_the_tree_keeps_every_import_rule(graph):
    breaches = all_breaches(graph)
    assert not breaches, "\n".join(map(str, breaches))


@pytest.mark.parametrize(
    ("importer", "imported", "rule"),
    [
        ("core.models", "shop.models", "core imports no app"),
        ("core.graphql.mutations", "farmers.permissions", "core imports no app"),
        ("payments.services", "shop.models", "imports run one way"),
        ("payments.models", "shop.orders", "imports run one way"),
        ("farmers.models", "shop.models", "imports run one way"),
        ("shop.graphql.queries", "search.services", "imports run one way"),
        ("search.services", "promotion.models", "imports run one way"),
        ("promotion.feed", "search.services", "imports run one way"),
    ],
)
def test_an_import_against_the_layers_is_caught(graph, importer, imported, rule):
    broken = copy.deepcopy(graph)
    broken.add_import(importer=importer, imported=imported)
    found = [(b.rule, b.importer, b.imported) for b in layer_breaches(broken)]
    assert (rule, importer, imported) in found


@pytest.mark.parametrize(
    ("importer", "imported", "rule"),
    [
        ("shop.checkout", "shop.graphql.types", "domain code imports no delivery code"),
        ("payments.services", "core.graphql.ids", "domain code imports no delivery code"),
        ("promotion.models", "promotion.views", "domain code imports no delivery code"),
        ("farmers.services", "farmers.accounts.forms", "domain code imports no delivery code"),
        ("shop.orders", "graphql_relay", "domain code imports no GraphQL library"),
        ("search.services", "graphene", "domain code imports no GraphQL library"),
    ],
)
def test_domain_code_importing_delivery_code_is_caught(graph, importer, imported, rule):
    broken = copy.deepcopy(graph)
    broken.add_import(importer=importer, imported=imported)
    found = [(b.rule, b.importer, b.imported) for b in delivery_breaches(broken)]
    assert (rule, importer, imported) in found


@pytest.mark.parametrize(
    ("importer", "imported"),
    [
        ("shop.graphql.types", "shop.models"),  # the API reads the domain
        ("shop.orders", "payments.services"),  # down a level
        ("promotion.clicks", "shop.selectors"),
        ("config.schema", "promotion.graphql.queries"),
        ("shop.seller.views", "shop.seller.forms"),
    ],
)
def test_allowed_imports_pass(graph, importer, imported):
    allowed = copy.deepcopy(graph)
    allowed.add_import(importer=importer, imported=imported)
    assert not [b for b in all_breaches(allowed) if (b.importer, b.imported) == (importer, imported)]


def test_delivery_modules_are_told_apart():
    assert is_delivery("shop.graphql.types") and is_delivery("farmers.ngo.views") and is_delivery("config.urls")
    assert is_delivery("promotion.content_admin") and is_delivery("core.management.commands.export_schema")
    assert not is_delivery("shop.checkout") and not is_delivery("payments.models.payment")
