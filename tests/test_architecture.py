"""The import rule of docs/architecture.md, checked on the source: web -> query -> domain, never back."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "sptweb"
DOMAIN = ("scan", "edits", "metrics", "logs", "media")
# Top-level modules allowed to import Flask: the app factory and the request guard.
FLASK_AT_THE_TOP = ("sptweb", "sptweb.security")


def modules() -> dict[str, Path]:
    """Dotted module name -> file, for every module of the package."""
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found[name] = path
    return found


def imports(name: str, path: Path) -> set[str]:
    """Absolute names of every module this one imports (relative imports resolved)."""
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = package.split(".")
            if node.level:
                base = base[: len(base) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            names.add(target)
            names.update(f"{target}.{alias.name}" for alias in node.names)
    return names


ALL = modules()
IMPORTS = {name: imports(name, path) for name, path in ALL.items()}


def layer(name: str) -> str | None:
    parts = name.split(".")
    return parts[1] if len(parts) > 1 and parts[1] in (*DOMAIN, "query", "web") else None


def internal(targets: set[str]) -> set[str]:
    """The imported names that are modules of this package."""
    return {target for target in targets if target in ALL}


@pytest.mark.parametrize("name", sorted(n for n in ALL if layer(n) in DOMAIN))
def test_domain_packages_never_import_query_or_web(name):
    upward = {target for target in internal(IMPORTS[name]) if layer(target) in ("query", "web")}
    assert not upward, f"{name} imports {upward}"


@pytest.mark.parametrize("name", sorted(n for n in ALL if layer(n) == "query"))
def test_query_never_imports_web_or_touches_files(name):
    source = ALL[name].read_text()
    assert not {target for target in internal(IMPORTS[name]) if layer(target) == "web"}
    assert "open(" not in source and "import os" not in source, f"{name} must stay pure"


@pytest.mark.parametrize("name", sorted(n for n in ALL if layer(n) != "web" and n not in FLASK_AT_THE_TOP))
def test_only_web_imports_flask(name):
    frameworks = {target for target in IMPORTS[name] if target.split(".")[0] in ("flask", "werkzeug")}
    assert not frameworks, f"{name} imports {frameworks}"


def test_no_blueprint_imports_another():
    blueprints = {name for name, path in ALL.items() if "Blueprint(" in path.read_text()}

    def blueprint_of(name: str) -> str | None:
        """The blueprint module a module belongs to (an api/ module belongs to the api package's)."""
        while name:
            if name in blueprints:
                return name
            name = name.rpartition(".")[0]
        return None

    for name in ALL:
        own = blueprint_of(name)
        if own is None:  # the web package itself registers them all
            continue
        for target in internal(IMPORTS[name]):
            other = blueprint_of(target)
            assert other is None or other == own, f"{name} imports the {other} blueprint"


def test_the_top_level_stays_small():
    top = sorted(path.name for path in PACKAGE.glob("*.py"))
    assert len(top) <= 8, top


def test_views_reach_the_scanner_through_the_app():
    web = [name for name in ALL if layer(name) == "web"]
    assert not [name for name in web if "sptweb.scan.scanner" in IMPORTS[name]]


def test_architecture_doc_names_every_module():
    """docs/architecture.md has a row per folder; each names every module in it."""
    doc = (PACKAGE.parent / "docs" / "architecture.md").read_text()
    rows = {line.split("|")[1].strip(): line for line in doc.splitlines() if line.startswith("| `")}
    for path in PACKAGE.rglob("*.py"):
        relative = path.relative_to(PACKAGE)
        folder = f"`{relative.parts[0]}/`" if len(relative.parts) > 1 else "`sptweb/` (top)"
        if path.name == "__init__.py" and len(relative.parts) > 1:
            continue  # a package's __init__ only gathers its exports
        assert f"`{path.name}`" in rows.get(folder, ""), f"docs/architecture.md does not name {relative}"
