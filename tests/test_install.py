"""The lean run path: `make run` installs the runtime dependencies alone, and the code it
runs imports nothing else; the test and bench tools come with `make test` and `make bench`.
"""

import ast
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from importlib.metadata import PackageNotFoundError, packages_distributions, requires
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

PROJECT = Path(__file__).resolve().parent.parent

# What `make run` runs: the service, the extension, and the entry point.
RUNTIME_CODE = ("app", "sanic_jwt_extended", "server.py")

RUNTIME_PIP = (
    "-m pip install --quiet --disable-pip-version-check -e packages/sanic-jwt-extended -e ."
)


@pytest.fixture
def venv(tmp_path: Path) -> Path:
    """A virtualenv whose python only writes down how it was called, one line a call."""
    python = tmp_path / "bin" / "python"
    python.parent.mkdir()
    python.write_text('#!/bin/sh\necho "$*" >> "$(dirname "$0")/../calls"\n')
    python.chmod(0o755)
    return tmp_path


def make(venv: Path, *targets: str) -> subprocess.CompletedProcess[str]:
    command = ["make", "--no-print-directory", "-C", str(PROJECT), f"VENV={venv}", *targets]
    return subprocess.run(command, capture_output=True, text=True, check=False)


def calls(venv: Path) -> list[str]:
    """The python calls made since the last look, forgotten once read."""
    log = venv / "calls"
    made = log.read_text().splitlines() if log.exists() else []
    log.unlink(missing_ok=True)
    return made


def test_make_run_installs_the_runtime_alone_and_says_what_it_installs(venv: Path) -> None:
    done = make(venv, "run")
    assert done.returncode == 0, done.stderr
    assert "Installing the service's runtime dependencies" in done.stdout
    assert calls(venv) == [RUNTIME_PIP, "server.py"]
    assert make(venv, "run").returncode == 0
    assert calls(venv) == ["server.py"]
    # `make test` afterwards installs its extras: its stamp is not made.
    assert make(venv, "--question", str(venv / ".installed-test")).returncode == 1


def test_after_make_tests_install_make_run_and_make_bench_install_nothing(venv: Path) -> None:
    done = make(venv, str(venv / ".installed-test"))
    assert done.returncode == 0, done.stderr
    assert calls(venv) == [f"{RUNTIME_PIP}[test,docs-browser,bench]"]
    stamps = (str(venv / ".installed-run"), str(venv / ".installed-bench"))
    assert make(venv, "--question", *stamps).returncode == 0


def test_make_bench_installs_the_bench_extra(venv: Path) -> None:
    assert make(venv, str(venv / ".installed-bench")).returncode == 0
    assert calls(venv) == [f"{RUNTIME_PIP}[bench]"]
    assert make(venv, "--question", str(venv / ".installed-run")).returncode == 0


def test_the_browser_is_an_extra_of_its_own() -> None:
    extras = tomllib.loads((PROJECT / "pyproject.toml").read_text())["project"][
        "optional-dependencies"
    ]
    named = {name: {Requirement(line).name for line in lines} for name, lines in extras.items()}
    assert named["docs-browser"] == {"playwright"}
    assert "playwright" not in named["test"] | named["bench"]


def runtime_distributions() -> set[str]:
    """The distributions `pip install .` brings: pyproject's dependencies and theirs, with
    the extras each asks for (tortoise-orm[asyncpg]), as installed here."""
    pyproject = tomllib.loads((PROJECT / "pyproject.toml").read_text())
    pending = [Requirement(line) for line in pyproject["project"]["dependencies"]]
    seen: set[tuple[str, str]] = set()  # (distribution, extra), "" for none
    while pending:
        requirement = pending.pop()
        name = canonicalize_name(requirement.name)
        extras = {extra for extra in ["", *requirement.extras] if (name, extra) not in seen}
        if not extras:
            continue
        seen |= {(name, extra) for extra in extras}
        try:
            lines = requires(name) or []
        except PackageNotFoundError:
            continue  # a dependency for another platform or Python
        for needed in map(Requirement, lines):
            marker = needed.marker
            if marker is None or any(marker.evaluate({"extra": extra}) for extra in extras):
                pending.append(needed)
    return {name for name, _ in seen}


def imported_modules() -> Iterator[tuple[Path, str]]:
    """Each absolute import of the runtime code: its file and top-level module."""
    for entry in RUNTIME_CODE:
        path = PROJECT / entry
        for source in [path] if path.is_file() else sorted(path.rglob("*.py")):
            for node in ast.walk(ast.parse(source.read_text(), str(source))):
                if isinstance(node, ast.Import):
                    yield from ((source, alias.name.split(".")[0]) for alias in node.names)
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    yield source, node.module.split(".")[0]


def test_the_runtime_code_imports_only_what_the_runtime_install_brings() -> None:
    runtime = runtime_distributions()
    owners = packages_distributions()
    strays = {
        f"{source.relative_to(PROJECT)}: {module}"
        for source, module in imported_modules()
        if module not in sys.stdlib_module_names
        and not (PROJECT / module).is_dir()
        and not {canonicalize_name(owner) for owner in owners.get(module, [])} & runtime
    }
    assert not strays, f"imports of packages that `make run` does not install: {strays}"
