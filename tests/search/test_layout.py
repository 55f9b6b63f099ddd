"""search/ keeps the project's layout: its domain modules never import its delivery modules."""

from tests.layout import delivery_imports, domain_modules, module_name


def test_domain_modules_import_no_delivery_module():
    assert delivery_imports("search") == {}


def test_the_checker_sees_the_domain_modules():
    names = {module_name(path) for path in domain_modules("search")}
    assert {"search.services", "search.indexing", "search.selectors", "search.backends.database"} <= names
    assert not {"search.views", "search.graphql.queries", "search.management.commands.search_rebuild"} & names
