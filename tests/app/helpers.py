"""Helpers of the service's tests: settings, an app, a client with the usual calls."""

from __future__ import annotations

import asyncio
import io
import os
import re
import secrets
import subprocess
import sys
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Literal, TypeVar

import jwt
from sanic import Sanic
from sanic_testing.testing import TestingResponse
from tortoise.migrations.executor import MigrationExecutor, MigrationTarget

from app import create_app
from app.accounts.admin import create_admin
from app.accounts.keys import GeneratedAlgorithm, generate_key
from app.db import connect, tortoise_config
from app.db.migrator import APP_LABEL
from app.schemas import Credentials
from app.settings import Settings
from app.web.access_log import LogFormat, access_lines
from tests.helpers import bearer

JWKS_VERIFIER = Path(__file__).with_name("jwks_verifier.py")

# The error code of an RFC 6750 challenge: `Bearer error="invalid_token", ...`.
_BEARER_ERROR = re.compile(r'^Bearer error="([a-z_]+)", error_description="[^"]*"$')


def refusal(response: TestingResponse) -> tuple[int, str | None]:
    """The status of a refused request and the RFC 6750 error code its challenge names
    (None for a bare `Bearer`, or no challenge)."""
    challenge = response.headers.get("www-authenticate", "")
    match = _BEARER_ERROR.match(challenge)
    return response.status_code, match.group(1) if match else None


SECRET = "a-test-secret-of-at-least-sixty-four-bytes-for-every-hs-algorithm!!"
PASSWORD = "correct horse battery"

# Debian's chromium package, and the switches that keep it headless and off the network.
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

Result = TypeVar("Result")
AsyncFunction = Callable[..., Awaitable[Result]]


TIMESTAMPS = ("created_at", "updated_at")


def untimed(body: Any) -> Any:
    """A response body without the rows' `created_at` and `updated_at`, once each is checked
    to be an ISO 8601 time in UTC: for comparing bodies whose times a test cannot know."""
    if isinstance(body, list):
        return [untimed(value) for value in body]
    if not isinstance(body, dict):
        return body
    for name in TIMESTAMPS:
        if name in body:
            assert body[name].endswith("Z") and datetime.fromisoformat(body[name])
    return {key: untimed(value) for key, value in body.items() if key not in TIMESTAMPS}


async def migrate_to(database_url: str, migration: str, *rows_sql: str) -> None:
    """Bring a database to `migration` alone (the state an older release left it in), and
    run `rows_sql` in it: the rows that release would have written."""
    context = await connect(database_url)
    async with context:
        executor = MigrationExecutor(context.db(), tortoise_config(database_url)["apps"])
        await executor.migrate([MigrationTarget(APP_LABEL, migration)])
        for statement in rows_sql:
            await context.db().execute_script(statement)


def live_env(database_url: str) -> dict[str, str]:
    """The environment of a real server under test: no APP_* of the developer's shell, a
    test secret, `database_url`, cheap argon2."""
    clean = {key: value for key, value in os.environ.items() if not key.startswith("APP_")}
    return clean | {
        "APP_ENV": "test",
        "APP_SECRET_KEY": SECRET,
        "APP_DATABASE_URL": database_url,
        "APP_PASSWORD_TIME_COST": "1",
        "APP_PASSWORD_MEMORY_KIB": "8",
        "APP_PASSWORD_PARALLELISM": "1",
    }


def make_settings(**overrides: Any) -> Settings:
    """Test settings: cheap argon2, an in-memory blacklist, the given overrides on top.

    Everything the tests depend on is passed explicitly, so APP_* variables in the
    developer's shell cannot change the outcome.
    """
    values: dict[str, Any] = {
        "env": "test",
        "secret_key": SECRET,
        "algorithm": "HS256",
        "signing_key_file": "",
        "verify_key_files": (),
        "previous_secret_keys": (),
        "jwks_max_age_seconds": 300,
        "access_token_minutes": 15,
        "refresh_token_days": 30,
        "private_claim_prefix": "stores_api",
        "redis_url": "",
        "request_max_size": 65_536,
        "password_time_cost": 1,
        "password_memory_kib": 8,
        "password_parallelism": 1,
    }
    return Settings(**(values | overrides))


# The algorithms the key tests run with: one of each kind.
KeyAlgorithm = Literal["HS256"] | GeneratedAlgorithm


def new_key(algorithm: KeyAlgorithm, directory: Path, name: str) -> str:
    """A new key for `algorithm`: a random secret for HS256, else the path of a new PEM
    private key in `directory`, made by `keys generate`'s own function."""
    if algorithm == "HS256":
        return secrets.token_urlsafe(64)
    path = directory / f"{name}.pem"
    generate_key(algorithm, path)
    return str(path)


def key_settings(
    algorithm: KeyAlgorithm, signing: str, *verifying: str, **overrides: Any
) -> Settings:
    """Test settings whose ring signs with `signing` and also verifies with `verifying`:
    keys of `new_key` (secrets for HS256, key files otherwise)."""
    if algorithm == "HS256":
        keys: dict[str, Any] = {"secret_key": signing, "previous_secret_keys": verifying}
    else:
        keys = {"signing_key_file": signing, "verify_key_files": verifying}
    return make_settings(algorithm=algorithm, **keys, **overrides)


def kid_of(token: str) -> str:
    """The `kid` of a token's header: which key of the ring signed it."""
    kid: str = jwt.get_unverified_header(token)["kid"]
    return kid


class JwksVerifier:
    """tests/app/jwks_verifier.py as a process of its own (PyJWT's `PyJWKClient`, pointed
    at `jwks_url`), asked about one token at a time for as long as it lives."""

    def __init__(self, jwks_url: str) -> None:
        self.process = subprocess.Popen(
            [sys.executable, str(JWKS_VERIFIER), jwks_url],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )

    def verify(self, token: str) -> str:
        """Its answer: `valid SUB KID` or `invalid ERROR`."""
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.write(f"{token}\n")
        self.process.stdin.flush()
        return self.process.stdout.readline().strip()

    def __enter__(self) -> JwksVerifier:
        return self

    def __exit__(self, *exc_info: object) -> None:
        assert self.process.stdin is not None
        self.process.stdin.close()  # its end of input: it exits
        self.process.wait(timeout=10)


def build_app(settings: Settings) -> Sanic[Any, Any]:
    """`create_app`, started cheaply by the test client.

    sanic-testing starts the app anew for every request, and Sanic's start-up rewrites
    its own code for speed ("touch-up"): a win for a server, 50 ms lost per test request.
    (The in-memory blacklist's warning is filtered in pyproject.toml.)
    """
    app = create_app(settings=settings)
    app.config.TOUCHUP = False
    return app


@dataclass
class LoggedIn:
    """What a login returned."""

    access: str
    refresh: str

    @property
    def headers(self) -> dict[str, str]:
        return bearer(self.access)


@dataclass
class Api:
    """The app's test client, with the few calls most tests need spelled out."""

    app: Sanic[Any, Any]

    async def call(self, method: str, path: str, **kwargs: Any) -> TestingResponse:
        _, response = await self.app.asgi_client.request(method, path, **kwargs)
        assert isinstance(response, TestingResponse)
        return response

    async def register(self, username: str, password: str = PASSWORD) -> int:
        response = await self.call(
            "POST", "/register", json={"username": username, "password": password}
        )
        assert response.status_code == 201, response.text
        return int(response.json["id"])

    async def login(self, username: str, password: str = PASSWORD) -> LoggedIn:
        response = await self.call(
            "POST", "/login", json={"username": username, "password": password}
        )
        assert response.status_code == 200, response.text
        body = response.json
        return LoggedIn(body["access_token"], body["refresh_token"])

    async def refreshed(self, logged_in: LoggedIn) -> str:
        response = await self.refresh(logged_in.refresh)
        assert response.status_code == 200, response.text
        return str(response.json["access_token"])

    async def refresh(self, refresh_token: str) -> TestingResponse:
        """POST /refresh with `refresh_token`, whatever it answers."""
        return await self.call(
            "POST", "/refresh", headers={"X-Refresh-Token": f"Bearer {refresh_token}"}
        )

    async def create_store(self, logged_in: LoggedIn, name: str = "Corner shop") -> int:
        response = await self.call(
            "POST", "/stores", json={"name": name}, headers=logged_in.headers
        )
        assert response.status_code == 201, response.text
        return int(response.json["id"])

    async def create_item(
        self, logged_in: LoggedIn, store_id: int, name: str = "Apple", price: float = 1.5
    ) -> int:
        body = {"name": name, "price": price, "store_id": store_id}
        response = await self.call("POST", "/items", json=body, headers=logged_in.headers)
        assert response.status_code == 201, response.text
        return int(response.json["id"])


async def promote(settings: Settings, username: str) -> None:
    """Make an admin the only way there is: the create-admin command's function."""
    await create_admin(settings, Credentials(username=username, password=PASSWORD))


@dataclass
class Pause:
    """Holds the first call of an async function at a chosen point until released.

    Races are tested deterministically with it: the test waits until the paused call has
    `reached` the point, does what must happen in that window, then `release()`s it.
    What happens in the window is called directly, inside `api.app.ctx.orm`: the test
    client restarts the app for each request, so a second request while one is paused
    would open a database connection that nothing closes (and the run would not exit).
    """

    reached: asyncio.Event = field(default_factory=asyncio.Event)
    _released: asyncio.Event = field(default_factory=asyncio.Event)

    def before(
        self, function: Callable[..., Awaitable[Result]]
    ) -> Callable[..., Awaitable[Result]]:
        """`function`, whose first call waits before it runs."""

        async def paused(*args: Any, **kwargs: Any) -> Result:
            await self._hold()
            return await function(*args, **kwargs)

        return paused

    def after(self, function: AsyncFunction[Result]) -> AsyncFunction[Result]:
        """`function`, whose first call waits once it has run, before returning."""

        async def paused(*args: Any, **kwargs: Any) -> Result:
            result = await function(*args, **kwargs)
            await self._hold()
            return result

        return paused

    def release(self) -> None:
        self._released.set()

    async def _hold(self) -> None:
        if self.reached.is_set():  # only the first call pauses
            return
        self.reached.set()
        await self._released.wait()


@dataclass
class LogOutput:
    """What the service's log handler wrote, in one of its formats, during a test."""

    log_format: LogFormat
    stream: io.StringIO = field(default_factory=io.StringIO)

    def text(self) -> str:
        access_lines.flush()  # with the access lines still in their buffer
        return self.stream.getvalue()

    def lines(self) -> list[str]:
        return self.text().splitlines()

    def clear(self) -> None:
        """Forget what was written so far (say, by the fixtures' requests)."""
        access_lines.flush()
        self.stream.seek(0)
        self.stream.truncate()

    def access_lines(self) -> list[str]:
        """The access log's lines, one per request."""
        marker = '"logger": "app.access"' if self.log_format == "json" else " app.access: "
        return [line for line in self.lines() if marker in line]
