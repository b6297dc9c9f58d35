"""The deployment files, checked without Docker (nothing can build an image here): they
parse, name settings that exist and pass production's checks, run as a user that is not
root, and keep the secrets out of the repository."""

import json
import os
import re
import secrets
import shlex
import subprocess
import sys
import threading
import tomllib
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml

from app.settings import Settings
from tests.helpers import names_redis_database

PROJECT = Path(__file__).resolve().parent.parent.parent

# `${NAME:?message}`: compose refuses to start while NAME is unset.
REQUIRED_VARIABLE = re.compile(r"\$\{(?P<name>[A-Z_]+):\?[^}]*\}")

# What an operator supplies for those variables.
SUPPLIED = {"APP_SECRET_KEY": secrets.token_urlsafe(48), "POSTGRES_PASSWORD": "a1b2c3"}

Instruction = tuple[str, str]  # ("COPY", "server.py settings.toml ./")


def dockerfile_stages() -> list[list[Instruction]]:
    """The Dockerfile's instructions, continuation lines joined, one list per stage."""
    text = re.sub(r"\\\n", " ", (PROJECT / "Dockerfile").read_text())
    stages: list[list[Instruction]] = []
    for line in text.splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        keyword, _, rest = line.strip().partition(" ")
        if keyword.upper() == "FROM":
            stages.append([])
        stages[-1].append((keyword.upper(), rest.strip()))
    return stages


def arguments(stage: list[Instruction], keyword: str) -> list[str]:
    """What follows each `keyword` instruction of the stage, in order."""
    return [argument for found, argument in stage if found == keyword]


def exec_form(instruction: str) -> list[str]:
    """A CMD's JSON array, as Docker reads it (the exec form: no shell in between)."""
    command = json.loads(instruction)
    assert isinstance(command, list) and all(isinstance(word, str) for word in command)
    return command


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    loaded = yaml.safe_load((PROJECT / "compose.yaml").read_text())
    assert isinstance(loaded, dict)
    return loaded


@pytest.fixture(scope="module")
def api_environment(compose: dict[str, Any]) -> dict[str, str]:
    """The service's environment as compose hands it over, SUPPLIED filled in."""
    environment = compose["services"]["api"]["environment"]
    assert isinstance(environment, dict)
    return {
        key: REQUIRED_VARIABLE.sub(lambda found: SUPPLIED[found["name"]], value)
        for key, value in environment.items()
    }


def image_environment() -> dict[str, str]:
    """The ENV of the image's final stage (`KEY=VALUE` pairs, as a shell splits them)."""
    pairs = (shlex.split(line) for line in arguments(dockerfile_stages()[-1], "ENV"))
    return dict(pair.split("=", 1) for line in pairs for pair in line)


def test_every_app_variable_names_a_setting(compose: dict[str, Any]) -> None:
    named = {key for key in image_environment() if key.startswith("APP_")}
    for service in compose["services"].values():
        named |= {key for key in service.get("environment", {}) if key.startswith("APP_")}
    assert {"APP_ENV", "APP_SECRET_KEY", "APP_DATABASE_URL", "APP_REDIS_URL"} <= named
    unknown = {
        key for key in named if key.removeprefix("APP_").lower() not in Settings.model_fields
    }
    assert not unknown, f"not settings: {unknown}"


def test_the_deployments_settings_pass_productions_checks(
    api_environment: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Read from the environment, as in the container: the image's, then compose's."""
    for key in [key for key in os.environ if key.startswith("APP_")]:
        monkeypatch.delenv(key)
    for key, value in (image_environment() | api_environment).items():
        monkeypatch.setenv(key, value)
    settings = Settings()
    assert settings.env == "production"
    assert settings.secret_key.get_secret_value() == SUPPLIED["APP_SECRET_KEY"]
    assert settings.database_url == "postgres://stores:a1b2c3@postgres:5432/stores"
    assert settings.redis_url == api_environment["APP_REDIS_URL"]


def test_the_service_starts_once_postgres_and_redis_are_healthy(compose: dict[str, Any]) -> None:
    services = compose["services"]
    assert services["api"]["build"] == "."
    assert services["api"]["depends_on"] == {
        "postgres": {"condition": "service_healthy"},
        "redis": {"condition": "service_healthy"},
    }
    assert services["postgres"]["healthcheck"]["test"][:2] == ["CMD", "pg_isready"]
    assert services["redis"]["healthcheck"]["test"] == ["CMD", "redis-cli", "ping"]


def test_the_urls_name_the_compose_services(
    compose: dict[str, Any], api_environment: dict[str, str]
) -> None:
    database = urlsplit(api_environment["APP_DATABASE_URL"])
    postgres = compose["services"]["postgres"]["environment"]
    assert (database.scheme, database.hostname) == ("postgres", "postgres")
    assert (database.username, database.path) == (postgres["POSTGRES_USER"], "/stores")
    assert database.password == SUPPLIED["POSTGRES_PASSWORD"]
    assert postgres["POSTGRES_DB"] == "stores"
    redis_url = api_environment["APP_REDIS_URL"]
    assert urlsplit(redis_url).hostname == "redis" and "redis" in compose["services"]
    assert names_redis_database(redis_url)


def test_no_secret_is_committed(compose: dict[str, Any]) -> None:
    secret_like = {
        key: value
        for service in compose["services"].values()
        for key, value in service.get("environment", {}).items()
        if "SECRET" in key or "PASSWORD" in key
    }
    assert {"APP_SECRET_KEY", "POSTGRES_PASSWORD"} <= secret_like.keys()
    for key, value in secret_like.items():
        assert REQUIRED_VARIABLE.fullmatch(value), f"{key} must come from the environment"


def test_the_image_runs_server_py_as_a_user_that_is_not_root() -> None:
    final = dockerfile_stages()[-1]
    user = arguments(final, "USER")[-1]
    assert user not in {"root", "0"}
    assert any("useradd" in run and run.split()[-1] == user for run in arguments(final, "RUN"))
    assert exec_form(arguments(final, "CMD")[-1]) == ["python", "server.py", "--host", "0.0.0.0"]


def test_the_image_installs_the_runtime_dependencies_alone(tmp_path: Path) -> None:
    """Runs the first stage's requirements step, on this pyproject.toml."""
    first_run = shlex.split(arguments(dockerfile_stages()[0], "RUN")[0])
    assert first_run[:2] == ["python", "-c"] and first_run[3:5] == [">", "requirements.txt"]
    (tmp_path / "pyproject.toml").write_text((PROJECT / "pyproject.toml").read_text())
    listed = subprocess.run(
        [sys.executable, "-c", first_run[2]],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()
    pyproject = tomllib.loads((PROJECT / "pyproject.toml").read_text())
    assert listed == pyproject["project"]["dependencies"]
    # The extension's distribution, which they name, from its path as `make run` has it.
    install = arguments(dockerfile_stages()[0], "RUN")[0].split("&&")[-1].split()
    assert install[-3:] == ["./packages/sanic-jwt-extended", "-r", "requirements.txt"]


class _Health(BaseHTTPRequestHandler):
    """/health as the service answers it: 200, or 503 when a part is down."""

    status = 200

    def do_GET(self) -> None:
        self.send_response(self.status if self.path == "/health" else 404)
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the test reads exit statuses, not a log."""


@pytest.fixture
def health_server() -> Iterator[HTTPServer]:
    server = HTTPServer(("127.0.0.1", 0), _Health)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize(("status", "healthy"), [(200, True), (503, False)])
def test_the_health_check_asks_health_without_curl(
    health_server: HTTPServer, monkeypatch: pytest.MonkeyPatch, status: int, healthy: bool
) -> None:
    monkeypatch.setattr(_Health, "status", status)
    command = arguments(dockerfile_stages()[-1], "HEALTHCHECK")[-1].partition("CMD ")[2]
    check = exec_form(command)
    assert check[:2] == ["python", "-c"]
    port = str(health_server.server_address[1])
    ran = subprocess.run(
        [sys.executable, *check[1:]], env={"APP_PORT": port}, capture_output=True, check=False
    )
    assert (ran.returncode == 0) is healthy


def test_the_build_context_holds_only_what_the_image_copies() -> None:
    lines = (PROJECT / ".dockerignore").read_text().splitlines()
    patterns = [line.strip() for line in lines if line.strip() and not line.startswith("#")]
    assert patterns[0] == "*"  # first everything out: .env, data/, .git, .venv
    kept = {pattern.removeprefix("!").rstrip("/") for pattern in patterns if pattern[0] == "!"}
    copied = {
        source.rstrip("/")
        for stage in dockerfile_stages()
        for copy in arguments(stage, "COPY")
        if not copy.startswith("--from")
        for source in copy.split()[:-1]
    }
    assert copied == kept


def test_ci_runs_make_test() -> None:
    lines = (PROJECT / ".ci" / "run").read_text().splitlines()
    assert "make test" in [line.strip() for line in lines if not line.lstrip().startswith("#")]


def test_the_license_is_mit() -> None:
    text = (PROJECT / "LICENSE").read_text()
    assert text.startswith("MIT License\n")
    assert "Copyright (c) 2026 The stores-api authors" in text
    assert "WITHOUT WARRANTY OF ANY KIND" in text
