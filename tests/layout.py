"""What an app's modules import, read from their source: domain modules (models, topics,
permissions, selectors, tasks, signals, receivers, backends) never import delivery modules (the
GraphQL layer, views, forms, urls, admin) or GraphQL libraries, so they never build global IDs."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PROJECT_APPS = ("core", "farmers", "shop", "payments", "search", "promotion", "impact", "config")
DELIVERY_MODULES = ("graphql", "views", "forms", "urls", "admin")
GRAPHQL_LIBRARIES = ("graphene", "graphene_django", "graphene_file_upload", "graphql", "graphql_relay")


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def is_delivery(module: str) -> bool:
    """`app.graphql…`, `app.views`, `app.forms`, `app.urls`, `app.admin` (also inside a sub-package
    such as `farmers.ngo.views`), and management commands (an operator's interface, like the admin)."""
    parts = module.split(".")
    if parts[0] not in PROJECT_APPS:
        return False
    return any(part in DELIVERY_MODULES or part == "management" for part in parts[1:])


def imports_of(path: Path) -> set[str]:
    """Every module the file imports, anywhere in it (lazy imports in functions too), absolute."""
    tree = ast.parse(path.read_text(), filename=str(path))
    package = module_name(path).split(".")
    if path.name != "__init__.py":
        package = package[:-1]
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = package[: len(package) - node.level + 1] if node.level else []
            module = ".".join([*base, *([node.module] if node.module else [])])
            found.add(module)
            found.update(f"{module}.{alias.name}" for alias in node.names)
    return found


def domain_modules(app: str) -> list[Path]:
    paths = sorted((ROOT / app).rglob("*.py"))
    return [path for path in paths if "migrations" not in path.parts and not is_delivery(module_name(path))]


def delivery_imports(app: str) -> dict[str, list[str]]:
    """Domain module → the delivery modules or GraphQL libraries it imports (none, as it should)."""
    wrong = {}
    for path in domain_modules(app):
        bad = sorted(name for name in imports_of(path) if is_delivery(name) or name.split(".")[0] in GRAPHQL_LIBRARIES)
        if bad:
            wrong[module_name(path)] = bad
    return wrong
