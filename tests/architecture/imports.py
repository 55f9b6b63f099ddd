"""The import rules of docs/architecture.md, checked over the project's import graph (grimp, the
graph library behind import-linter). Each rule is a function from a graph to the imports that
break it, so a test can also add a forbidden import to the graph and see the rule catch it."""

from dataclasses import dataclass

import grimp

# Lowest first. A package may import those below it, never those above; the packages of one
# level (a set) are independent of each other. `impact` joins when it exists.
LAYERS: list[set[str]] = [
    {"core"},
    {"farmers"},
    {"payments"},
    {"shop"},
    {"search", "promotion"},
    {"impact"},
    {"demo"},
    {"config"},
]
PACKAGES = sorted(set().union(*LAYERS))

# Modules that deliver to people and programs: the API, pages, the admin, commands. Domain
# modules (models, services, selectors, tasks, signals) never import these, nor a GraphQL library.
DELIVERY_PARTS = {
    "graphql",
    "views",
    "forms",
    "urls",
    "admin",
    "templatetags",
    "context_processors",
    "middleware",
    "management",
    "accounts",  # farmers' sign-up and log-in pages
    "ngo",  # NGO officers' pages
    "seller",  # farmers' own pages
    "sponsor",  # sponsors' pages (promotion.sponsor)
}
DELIVERY_SUFFIXES = ("_admin", "_forms", "_views")
GRAPHQL_LIBRARIES = {"graphene", "graphene_django", "graphene_file_upload", "graphql", "graphql_relay"}


@dataclass(frozen=True)
class Breach:
    rule: str
    importer: str
    imported: str

    def __str__(self):
        return f"{self.rule}: {self.importer} imports {self.imported}"


def build_graph() -> grimp.ImportGraph:
    present = [package for package in PACKAGES if _importable(package)]
    return grimp.build_graph(*present, include_external_packages=True, cache_dir=None)


def _importable(package: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(package) is not None


def package_of(module: str) -> str:
    return module.split(".")[0]


def is_project_module(module: str) -> bool:
    return package_of(module) in PACKAGES and ".migrations" not in module


def is_delivery(module: str) -> bool:
    if package_of(module) == "config":
        return True
    parts = module.split(".")[1:]
    return any(part in DELIVERY_PARTS or part.endswith(DELIVERY_SUFFIXES) for part in parts)


def level_of(package: str) -> int:
    return next(index for index, level in enumerate(LAYERS) if package in level)


def _direct_imports(graph: grimp.ImportGraph):
    for importer in sorted(graph.modules):
        if not is_project_module(importer):
            continue
        for imported in sorted(graph.find_modules_directly_imported_by(importer)):
            yield importer, imported


def layer_breaches(graph: grimp.ImportGraph) -> list[Breach]:
    """Imports that go up a level, or sideways between independent packages of one level."""
    breaches = []
    for importer, imported in _direct_imports(graph):
        source, target = package_of(importer), package_of(imported)
        if source == target or target not in PACKAGES or not is_project_module(imported):
            continue
        if level_of(target) >= level_of(source):
            rule = "core imports no app" if source == "core" else "imports run one way"
            breaches.append(Breach(rule, importer, imported))
    return breaches


def delivery_breaches(graph: grimp.ImportGraph) -> list[Breach]:
    """Domain modules that import the API, pages, admin or a GraphQL library."""
    breaches = []
    for importer, imported in _direct_imports(graph):
        if is_delivery(importer):
            continue
        if is_project_module(imported) and is_delivery(imported):
            breaches.append(Breach("domain code imports no delivery code", importer, imported))
        elif package_of(imported) in GRAPHQL_LIBRARIES:
            breaches.append(Breach("domain code imports no GraphQL library", importer, imported))
    return breaches


def all_breaches(graph: grimp.ImportGraph) -> list[Breach]:
    return layer_breaches(graph) + delivery_breaches(graph)
