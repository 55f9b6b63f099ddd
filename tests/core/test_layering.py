"""`core` is the shared plumbing every app builds on: it imports no app, so that any app can use it
without pulling in the others (design: "Imports run one way")."""

import ast
from pathlib import Path

from django.conf import settings

ROOT = Path(settings.BASE_DIR)


def project_apps() -> set[str]:
    """The installed apps that are packages of this repository, core excepted."""
    return {name for name in settings.INSTALLED_APPS if "." not in name and (ROOT / name).is_dir()} - {"core"}


def imported_modules(path: Path):
    tree = ast.parse(path.read_text(), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.lineno, node.module


def test_core_imports_no_app():
    apps = project_apps()
    assert {"farmers", "shop", "payments", "search", "promotion", "demo"} <= apps
    found = [
        f"{path.relative_to(ROOT)}:{line} imports {module}"
        for path in sorted((ROOT / "core").rglob("*.py"))
        if "migrations" not in path.parts
        for line, module in imported_modules(path)
        if module.split(".")[0] in apps
    ]
    assert found == []
