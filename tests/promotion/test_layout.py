"""promotion/ keeps the project's layout: its domain modules never import its delivery modules."""

from tests.layout import delivery_imports, domain_modules, imports_of, module_name


def test_domain_modules_import_no_delivery_module():
    assert delivery_imports("promotion") == {}


def test_the_checker_sees_the_domain_modules_and_their_imports():
    paths = {module_name(path): path for path in domain_modules("promotion")}
    assert {"promotion.content", "promotion.permissions", "promotion.selectors", "promotion.models.content"} <= set(
        paths
    )
    assert not {"promotion.views", "promotion.admin", "promotion.graphql.content_queries"} & set(paths)
    assert {"promotion.models", "shop.selectors"} <= imports_of(paths["promotion.serving"])
