"""Every `python` code block of the distribution's docs runs, the porting guides' included.

Blocks fenced as `python` are ours: each runs in a fresh namespace, top-level `await`
allowed, and asserts what it shows. Blocks fenced as `py` (a peer's code, a shell
session) are for reading only.
"""

from __future__ import annotations

import ast
import inspect
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

DOCS = Path(__file__).resolve().parents[2] / "packages" / "sanic-jwt-extended" / "docs"
BLOCK = re.compile(r"^```python\n(.*?)^```$", re.DOTALL | re.MULTILINE)
PORTING_GUIDES = ("porting-from-flask-jwt-extended.md", "porting-from-sanic-jwt.md")


def snippets() -> list[Any]:
    return list(_snippets())


def _snippets() -> Iterator[Any]:
    for path in sorted(DOCS.glob("*.md")):
        text = path.read_text()
        for match in BLOCK.finditer(text):
            line = text.count("\n", 0, match.start()) + 2  # the block's first line of code
            yield pytest.param(path, line, match.group(1), id=f"{path.stem}:{line}")


@pytest.mark.parametrize(("path", "line", "code"), snippets())
async def test_the_snippet_runs(path: Path, line: int, code: str) -> None:
    source = "\n" * (line - 1) + code  # tracebacks point at the line in the document
    compiled = compile(source, str(path), "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)
    namespace: dict[str, Any] = {"__name__": f"{path.stem}_{line}".replace("-", "_")}
    result = eval(compiled, namespace)
    if inspect.iscoroutine(result):
        await result


@pytest.mark.parametrize("name", PORTING_GUIDES)
def test_each_porting_guide_runs_snippets(name: str) -> None:
    assert len(BLOCK.findall((DOCS / name).read_text())) >= 4
