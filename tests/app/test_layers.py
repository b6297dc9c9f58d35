"""The service is a one-way stack of layers: each imports only the layers below it.

A layer is a package or a root module of app/; the order is the one app/__init__.py's
docstring lists, bottom-up. Imports are read with `ast` from every file of a layer, those
under `if TYPE_CHECKING:` included, so a cycle that only the type checker would see fails
here too (as tests/jwt/test_layers.py does for the extension's modules). Below the web
layer nothing speaks HTTP: the domain's errors get their statuses from app/web/errors.py's
table alone.
"""

from __future__ import annotations

import ast
import re
from graphlib import CycleError, TopologicalSorter
from pathlib import Path

import pytest

import app
from app.exceptions import DomainError
from app.web.errors import ERRORS

PACKAGE = Path(app.__file__).parent
NAME = app.__name__
ROOT = "__init__"  # app/__init__.py: `from app import create_app` imports it


def documented_order() -> list[str]:
    """The layers app/__init__.py's docstring lists after its "bottom-up" sentence."""
    doc = app.__doc__ or ""
    listing = doc[doc.index("bottom-up") :]
    return re.findall(r"^    (\w+) ", listing, flags=re.MULTILINE)


LAYERS = sorted(
    path.stem if path.is_file() else path.name
    for path in PACKAGE.iterdir()
    if (path.suffix == ".py" and path.stem != ROOT) or (path / "__init__.py").is_file()
)


def files_of(layer: str) -> list[Path]:
    module = PACKAGE / f"{layer}.py"
    return [module] if module.is_file() else sorted((PACKAGE / layer).rglob("*.py"))


def module_name(path: Path) -> str:
    """`app.db.models.user` for app/db/models/user.py; a package is its __init__'s name."""
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == ROOT else parts)


def imported_modules(source: str, module: str, is_package: bool = False) -> set[str]:
    """Every module `source` (the text of `module`) imports, as absolute dotted names."""
    package = module if is_package else module.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                base = f"{anchor}.{base}" if base else anchor
            # x.y: module y of package x, or a name of module x (whose layer is x's).
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return found


def layer_of(dotted: str) -> str | None:
    """The layer a module of the service is in (`db` for `app.db.models`); None outside."""
    parts = dotted.split(".")
    if parts[0] != NAME:
        return None
    if len(parts) == 1:
        return ROOT
    return parts[1] if parts[1] in LAYERS else ROOT  # a name re-exported by app/__init__


def imports_of(path: Path) -> set[str]:
    return imported_modules(path.read_text(), module_name(path), is_package=path.stem == ROOT)


def layer_imports(files: list[Path]) -> set[str]:
    """The layers that `files` import."""
    return {
        layer
        for path in files
        for dotted in imports_of(path)
        if (layer := layer_of(dotted)) is not None
    }


def third_parties(files: list[Path]) -> set[str]:
    """The top-level packages outside the service that `files` import."""
    return {
        dotted.split(".")[0]
        for path in files
        for dotted in imports_of(path)
        if layer_of(dotted) is None
    }


GRAPH = {layer: layer_imports(files_of(layer)) - {layer} for layer in LAYERS}
GRAPH[ROOT] = layer_imports([PACKAGE / "__init__.py"])


def test_the_docstring_lists_every_layer_once() -> None:
    order = documented_order()
    assert sorted(order) == LAYERS
    assert len(order) == len(set(order))


def test_there_is_no_import_cycle() -> None:
    try:
        TopologicalSorter(GRAPH).prepare()
    except CycleError as error:
        pytest.fail(f"import cycle: {' -> '.join(error.args[1])}")


@pytest.mark.parametrize("layer", LAYERS)
def test_each_layer_imports_only_layers_below_it(layer: str) -> None:
    order = documented_order()
    below = set(order[: order.index(layer)])
    assert GRAPH[layer] <= below, f"{layer} imports {sorted(GRAPH[layer] - below)} from above"


@pytest.mark.parametrize("layer", ["exceptions", "accounts"])
def test_the_domain_knows_nothing_of_sanic(layer: str) -> None:
    """Only the extension stands between the accounts and the web framework."""
    assert "sanic" not in third_parties(files_of(layer))


def test_only_the_error_table_speaks_of_sanics_errors() -> None:
    """Statuses come from app/web/errors.py alone: no other module raises Sanic's errors."""
    importers = sorted(
        module_name(path)
        for path in PACKAGE.rglob("*.py")
        if any(dotted.startswith("sanic.exceptions") for dotted in imports_of(path))
    )
    assert importers == ["app.web.errors"]


def test_the_error_table_answers_every_domain_error() -> None:
    answered = {row.exception for row in ERRORS}
    assert set(DomainError.__subclasses__()) <= answered


def test_imports_are_read_however_they_are_written() -> None:
    source = """
from typing import TYPE_CHECKING
import app.settings
from app.db.models import Role
from app import accounts, create_app
from . import tokens
from ..web import guards

if TYPE_CHECKING:
    from app.schemas import Credentials

def late():
    from app.factory import create_app
"""
    imported = imported_modules(source, "app.accounts.flows")
    layers = {layer for dotted in imported if (layer := layer_of(dotted)) is not None}
    assert layers == {"settings", "db", "accounts", "web", "schemas", "factory", ROOT}
    assert {"app.accounts.tokens", "app.web.guards", "typing.TYPE_CHECKING"} <= imported
