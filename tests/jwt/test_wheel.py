"""The extension as its own distribution: built, installed alone, and tested there.

The sdist is built from packages/sanic-jwt-extended, a wheel from that sdist, and the
wheel installed with its extras into a new virtualenv holding nothing else of this
repository. Then the extension's own suite (this directory) runs there, from a copy
away from the repository, so that only the installed wheel can be imported. One
virtualenv serves every test of the module: it is the slow part (about a minute).
"""

from __future__ import annotations

import email.parser
import os
import re
import shutil
import subprocess
import sys
import tomllib
import zipfile
from collections.abc import Sequence
from email.message import Message
from pathlib import Path
from typing import NamedTuple

import pytest

ROOT = Path(__file__).resolve().parents[2]
DISTRIBUTION = ROOT / "packages" / "sanic-jwt-extended"
SUITE = Path(__file__).resolve().parent
# What the extension's suite needs besides the wheel and its extras, with the bounds the
# root pyproject.toml gives them.
TEST_TOOLS = {"pytest", "pytest-asyncio", "sanic-testing", "hypothesis", "openapi-spec-validator"}


class Built(NamedTuple):
    venv: Path
    python: Path
    wheel: Path
    wheel_from_repository: Path


def run(command: Sequence[str | Path], cwd: Path, timeout: float = 300) -> str:
    """Run `command`; its output, or a failure that shows it."""
    environment = {name: value for name, value in os.environ.items() if name != "PYTHONPATH"}
    result = subprocess.run(
        [str(part) for part in command],
        cwd=cwd,
        env=environment,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    output = result.stdout + result.stderr
    if result.returncode != 0:
        pytest.fail(f"{' '.join(map(str, command))} failed:\n{output[-6000:]}", pytrace=False)
    return output


def tool_requirements() -> list[str]:
    with (ROOT / "pyproject.toml").open("rb") as file:
        test_extra = tomllib.load(file)["project"]["optional-dependencies"]["test"]
    return [spec for spec in test_extra if spec.split(">")[0].split("=")[0] in TEST_TOOLS]


def only(directory: Path, pattern: str) -> Path:
    (found,) = directory.glob(pattern)
    return found


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Built:
    """sdist, then wheel from the sdist, installed with its extras in a new virtualenv."""
    work = tmp_path_factory.mktemp("wheel")
    venv = work / "venv"
    python = venv / "bin" / "python"
    run([sys.executable, "-m", "venv", venv], work)
    pip: list[str | Path] = [python, "-m", "pip", "--quiet"]
    run([*pip, "install", "hatchling"], work)
    run([python, "-m", "hatchling", "build", "-t", "sdist", "-d", work / "sdist"], DISTRIBUTION)
    sdist = only(work / "sdist", "*.tar.gz")
    run([*pip, "wheel", "--no-deps", "-w", work / "wheel", sdist], work)
    run([*pip, "wheel", "--no-deps", "-w", work / "direct", DISTRIBUTION], work)
    wheel = only(work / "wheel", "*.whl")
    run([*pip, "install", f"{wheel}[redis,crypto,openapi]", *tool_requirements()], work)
    return Built(venv, python, wheel, only(work / "direct", "*.whl"))


def metadata(wheel: Path) -> Message:
    with zipfile.ZipFile(wheel) as archive:
        (name,) = (name for name in archive.namelist() if name.endswith(".dist-info/METADATA"))
        return email.parser.Parser().parsestr(archive.read(name).decode())


def test_the_wheel_holds_the_package_its_types_marker_and_nothing_else(built: Built) -> None:
    with zipfile.ZipFile(built.wheel) as archive:
        names = archive.namelist()
    modules = {path.name for path in (ROOT / "sanic_jwt_extended").glob("*.py")}
    assert {f"sanic_jwt_extended/{module}" for module in modules} <= set(names)
    assert "sanic_jwt_extended/py.typed" in names
    tops = {name.split("/")[0] for name in names}
    assert tops == {"sanic_jwt_extended", "sanic_jwt_extended_ng-1.0.0.dist-info"}
    assert not [name for name in names if "__pycache__" in name or name.endswith(".pyc")]


def test_the_wheel_built_from_the_sdist_is_the_one_built_from_the_repository(
    built: Built,
) -> None:
    with (
        zipfile.ZipFile(built.wheel) as from_sdist,
        zipfile.ZipFile(built.wheel_from_repository) as direct,
    ):
        assert sorted(from_sdist.namelist()) == sorted(direct.namelist())
        for name in from_sdist.namelist():
            if not name.endswith("RECORD"):
                assert from_sdist.read(name) == direct.read(name), name


def test_the_metadata_is_complete(built: Built) -> None:
    meta = metadata(built.wheel)
    assert meta["Name"] == "sanic-jwt-extended-ng"
    assert meta["Version"] == "1.0.0"
    assert meta["Requires-Python"] == ">=3.11"
    assert meta["License-Expression"] == "MIT"
    assert meta["Summary"] and meta.get_payload()  # the README as the long description
    requirements = meta.get_all("Requires-Dist") or []
    plain = sorted(spec for spec in requirements if "extra ==" not in spec)
    assert [re.split(r"[<>=!~;\[ ]", spec)[0].lower() for spec in plain] == ["pyjwt", "sanic"]
    assert any(spec.startswith("sanic<27,>=25.3") for spec in plain), plain
    assert sorted(meta.get_all("Provides-Extra") or []) == ["crypto", "openapi", "redis"]
    urls = dict(url.split(", ", 1) for url in meta.get_all("Project-URL") or [])
    assert {"Homepage", "Documentation", "Source", "Issues"} <= set(urls)
    assert "Typing :: Typed" in (meta.get_all("Classifier") or [])


BLOCKED_EXTRAS = """
import sys
for name in ("redis", "cryptography", "sanic_ext"):
    sys.modules[name] = None  # as if not installed: importing it raises ImportError
from sanic import Sanic
from sanic_jwt_extended import JWT
from sanic_jwt_extended.blacklist import InMemoryBlacklist, RedisBlacklist
from sanic_jwt_extended.exceptions import ConfigurationConflictError
from sanic_jwt_extended.testing import access_token
app = Sanic("bare")
with JWT.initialize(app) as manager:
    manager.config.secret_key = "s" * 32
    manager.config.use_blacklist = True
    manager.config.blacklist_class = InMemoryBlacklist
print(JWT.create_access_token("alice").count("."), access_token("bob").count("."))
for name, algorithm, blacklist in (("a", "RS256", None), ("b", "HS256", RedisBlacklist)):
    try:
        with JWT.initialize(Sanic(name)) as manager:
            manager.config.secret_key = "s" * 32
            manager.config.algorithm = algorithm
            manager.config.use_blacklist = blacklist is not None
            manager.config.blacklist_class = blacklist
            manager.config.blacklist_init_kwargs = {"url": "redis://127.0.0.1"}
    except ConfigurationConflictError as error:
        print(error)
"""


def test_the_package_imports_and_works_without_its_extras(built: Built, tmp_path: Path) -> None:
    lines = run([built.python, "-c", BLOCKED_EXTRAS], tmp_path).splitlines()
    assert lines[0] == "2 2"
    assert (
        lines[1]
        == "RS256 needs the cryptography package: pip install 'sanic-jwt-extended-ng[crypto]'"
    )
    assert lines[2] == "RedisBlacklist needs redis-py: pip install 'sanic-jwt-extended-ng[redis]'"


def pytest_ini() -> str:
    """The repository's pytest options, but for `testpaths`, as a pytest.ini."""
    with (ROOT / "pyproject.toml").open("rb") as file:
        options = tomllib.load(file)["tool"]["pytest"]["ini_options"]
    lines = ["[pytest]"]
    for name, value in options.items():
        if name == "testpaths":
            continue
        if isinstance(value, list):
            lines.append(f"{name} =" + "".join(f"\n    {item}" for item in value))
        else:
            lines.append(f"{name} = {value}")
    return "\n".join(lines) + "\n"


def test_the_extension_suite_passes_against_the_installed_wheel(
    built: Built, tmp_path: Path
) -> None:
    tests = tmp_path / "tests"
    shutil.copytree(
        SUITE,
        tests / "jwt",
        ignore=shutil.ignore_patterns("__pycache__", Path(__file__).name),
    )
    (tests / "__init__.py").touch()
    shutil.copy(SUITE / "standalone_conftest.py", tests / "conftest.py")
    for part in ("docs", "examples"):  # the examples' and snippets' tests run them
        shutil.copytree(DISTRIBUTION / part, tmp_path / DISTRIBUTION.relative_to(ROOT) / part)
    (tmp_path / "pytest.ini").write_text(pytest_ini())
    command: list[str | Path] = [
        built.python,
        "-m",
        "pytest",
        "-p",
        "no:cacheprovider",
        "tests/jwt",
    ]
    output = run(command, tmp_path, timeout=600)
    installed = built.venv / "lib" / f"python{sys.version_info.major}.{sys.version_info.minor}"
    assert f"sanic_jwt_extended: {installed}/site-packages/sanic_jwt_extended/" in output
    summary = output.strip().splitlines()[-1]
    assert " passed" in summary and "failed" not in summary and "error" not in summary, summary
