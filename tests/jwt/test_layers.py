"""The package is a one-way stack: each module imports only the modules below it.

The order is the one the package docstring lists, bottom-up. Imports are read with `ast`
from the source, those under `if TYPE_CHECKING:` included, so a cycle that only the type
checker would see fails here too.
"""

from __future__ import annotations

import ast
import re
from graphlib import CycleError, TopologicalSorter
from pathlib import Path

import pytest

import sanic_jwt_extended

PACKAGE = Path(sanic_jwt_extended.__file__).parent
NAME = sanic_jwt_extended.__name__


def documented_order() -> list[str]:
    """The modules the package docstring lists after its "bottom-up" sentence, in order."""
    doc = sanic_jwt_extended.__doc__ or ""
    listing = doc[doc.index("bottom-up") :]
    return re.findall(r"^    (\w+) ", listing, flags=re.MULTILINE)


def imported_modules(source: str) -> set[str]:
    """The package's modules that `source` imports, anywhere in it."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.update(_own(alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level == 0:
                found.add(_own(node.module or ""))
            elif node.module:  # from .x import y
                found.add(node.module.split(".")[0])
            else:  # from . import x
                found.update(alias.name for alias in node.names)
    found.discard("")
    return found


def _own(dotted: str) -> str:
    """`x` for `sanic_jwt_extended.x...`, "" for anything outside the package."""
    parts = dotted.split(".")
    return parts[1] if parts[0] == NAME and len(parts) > 1 else ""


MODULES = sorted(path.stem for path in PACKAGE.glob("*.py") if path.stem != "__init__")
GRAPH = {
    module: imported_modules((PACKAGE / f"{module}.py").read_text())
    for module in [*MODULES, "__init__"]
}


def test_the_docstring_lists_every_module_once() -> None:
    order = documented_order()
    assert sorted(order) == MODULES
    assert len(order) == len(set(order))


def test_there_is_no_import_cycle() -> None:
    try:
        TopologicalSorter(GRAPH).prepare()
    except CycleError as error:
        pytest.fail(f"import cycle: {' -> '.join(error.args[1])}")


@pytest.mark.parametrize("module", MODULES)
def test_each_module_imports_only_modules_below_it(module: str) -> None:
    order = documented_order()
    below = set(order[: order.index(module)])
    assert GRAPH[module] <= below, f"{module} imports {sorted(GRAPH[module] - below)} from above"


def test_imports_are_read_however_they_are_written() -> None:
    source = """
from typing import TYPE_CHECKING
import jwt
import sanic_jwt_extended.config
from sanic_jwt_extended.claims import flatten
from . import keys
from .exceptions import JWTDecodeError

if TYPE_CHECKING:
    from .tokens import Token

def late():
    from .state import current_state
"""
    assert imported_modules(source) == {"config", "claims", "keys", "exceptions", "tokens", "state"}
