"""The import rules of docs/architecture.md hold for the whole tree, and each rule would catch a
breach of it (shown by adding one forbidden import at a time to a copy of the real graph)."""

import copy

import pytest

from .imports import PACKAGES, all_breaches, build_graph, delivery_breaches, is_delivery, layer_breaches


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
        ("payments.shopper_payments", "shop.models", "imports run one way"),
        ("payments.models", "shop.orders", "imports run one way"),
        ("farmers.models", "shop.models", "imports run one way"),
        ("shop.graphql.queries", "search.product_search", "imports run one way"),
        ("search.product_search", "promotion.models", "imports run one way"),
        ("promotion.feed", "search.product_search", "imports run one way"),
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
        ("payments.shopper_payments", "core.graphql.ids", "domain code imports no delivery code"),
        ("promotion.models", "promotion.views", "domain code imports no delivery code"),
        ("farmers.verification", "farmers.accounts.forms", "domain code imports no delivery code"),
        ("shop.orders", "graphql_relay", "domain code imports no GraphQL library"),
        ("search.product_search", "graphene", "domain code imports no GraphQL library"),
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
        ("shop.orders", "payments.shopper_payments"),  # down a level
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


def test_domain_modules_are_named_for_their_topic(graph):
    """docs/architecture.md: one module per topic; a module called `services` says nothing."""
    generic = sorted(m for m in graph.modules if m.split(".")[-1] == "services" and m.split(".")[0] in PACKAGES)
    assert not generic
