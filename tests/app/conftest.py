"""Fixtures of the service's tests: an app on a clean database, a client, and users.

Every test that takes `api` runs twice: on SQLite (a new file per test) and on PostgreSQL
(tables truncated per test; skipped locally without a server, failed under CI=true). Both
hold exactly the schema the migrations make: applied once per session, then copied (SQLite)
or kept (PostgreSQL).
"""

from __future__ import annotations

import logging
import shutil
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from playwright.sync_api import Browser, sync_playwright
from redis.asyncio import Redis
from sanic import Sanic

from app.db import migrate, open_database
from app.settings import Settings
from app.web.access_log import access_lines
from app.web.logs import log_handler
from tests.app.helpers import (
    CHROMIUM,
    CHROMIUM_ARGS,
    Api,
    LoggedIn,
    LogOutput,
    build_app,
    live_env,
    make_settings,
    new_key,
    promote,
)
from tests.helpers import missing, postgres_database_beside
from tests.servers import PostgresServer, RedisServer

TABLES = ("items", "stores", "users", "sessions", "revocations")


@pytest.fixture(autouse=True, scope="session")
def _sanic_test_mode() -> None:
    """Sanic refuses a second app of the same name outside test mode."""
    Sanic.test_mode = True


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def _postgres_schema(postgres_url: str) -> str:
    """The PostgreSQL test database, migrated once per session."""
    await migrate(postgres_url)
    return postgres_url


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def _sqlite_schema(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file migrated once per session, for each test to copy (much faster than
    migrating a file per test)."""
    path = tmp_path_factory.mktemp("schema") / "migrated.sqlite3"
    await migrate(f"sqlite://{path}")
    return path


@pytest.fixture
def sqlite_database(tmp_path: Path, _sqlite_schema: Path) -> str:
    """A new SQLite file with the schema."""
    path = tmp_path / "test.sqlite3"
    shutil.copyfile(_sqlite_schema, path)
    return f"sqlite://{path}"


@pytest.fixture
async def postgres_database(_postgres_schema: str) -> str:
    """The PostgreSQL test database, emptied."""
    async with open_database(_postgres_schema) as context:
        await context.db().execute_script(f"TRUNCATE {', '.join(TABLES)} RESTART IDENTITY CASCADE")
    return _postgres_schema


@pytest.fixture(params=["sqlite", "postgres"])
def empty_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database with nothing in it, for a test to build its own schema; on each backend
    in turn (PostgreSQL: a database of the test's own, next to the session's)."""
    if request.param == "sqlite":
        yield f"sqlite://{tmp_path}/empty.sqlite3"
        return
    with postgres_database_beside(request.getfixturevalue("postgres_url")) as url:
        yield url


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request: pytest.FixtureRequest) -> str:
    """An empty database with the schema, on each backend in turn."""
    return str(request.getfixturevalue(f"{request.param}_database"))


@pytest.fixture
def settings(database_url: str) -> Settings:
    return make_settings(database_url=database_url)


@pytest.fixture
def app(settings: Settings) -> Sanic[Any, Any]:
    return build_app(settings)


@pytest.fixture
def api(app: Sanic[Any, Any]) -> Api:
    return Api(app)


@pytest.fixture
async def shared_redis(redis_url: str) -> AsyncIterator[str]:
    """The test Redis database, emptied before and after."""
    client = Redis.from_url(redis_url)
    await client.flushdb()
    yield redis_url
    await client.flushdb()
    await client.aclose()


@pytest.fixture
def two_apps(settings: Settings, shared_redis: str) -> tuple[Api, Api]:
    """Two apps on the same database and Redis (as workers or hosts are), with settings of
    their own otherwise."""
    first = build_app(settings.model_copy(update={"redis_url": shared_redis}))
    second = build_app(
        settings.model_copy(update={"redis_url": shared_redis, "access_token_minutes": 5})
    )
    return Api(first), Api(second)


@pytest.fixture
async def user(api: Api) -> LoggedIn:
    """A logged-in USER named alice."""
    await api.register("alice")
    return await api.login("alice")


@pytest.fixture
async def admin(api: Api, settings: Settings) -> LoggedIn:
    """A logged-in ADMIN named root, made by the create-admin command's code."""
    await promote(settings, "root")
    return await api.login("root")


@pytest.fixture
def own_postgres() -> Iterator[PostgresServer]:
    """A PostgreSQL server of this test's own, which it may stop and start again."""
    server = PostgresServer()
    try:
        server.start()
        yield server
    finally:
        server.remove()


@pytest.fixture
def own_redis() -> Iterator[RedisServer]:
    """A Redis server of this test's own, with persistence, which it may kill and restart."""
    server = RedisServer()
    try:
        server.start()
        yield server
    finally:
        server.remove()


@pytest.fixture
def database_file(tmp_path: Path) -> Path:
    return tmp_path / "data" / "stores.sqlite3"


@pytest.fixture
def env(database_file: Path) -> dict[str, str]:
    """The real server's environment: no APP_* of ours, a temp SQLite file, cheap argon2."""
    return live_env(f"sqlite://{database_file}") | {
        # Short, so that a test (the curl tour) can wait it out to show a reuse caught.
        "APP_REFRESH_REUSE_GRACE_SECONDS": "1",
    }


@pytest.fixture
def es256_env(env: dict[str, str], tmp_path: Path) -> dict[str, str]:
    """The real server's environment, signing with ES256 and a key file of its own."""
    signing = new_key("ES256", tmp_path, "signing")
    return env | {"APP_ALGORITHM": "ES256", "APP_SIGNING_KEY_FILE": signing}


@pytest.fixture(params=["text", "json"])
def log_output(request: pytest.FixtureRequest) -> Iterator[LogOutput]:
    """What the service logs at INFO and above during the test, through its own handler."""
    output = LogOutput(request.param)
    handler = log_handler(request.param, output.stream)
    # The test client's own lines (httpx logs each URL it requests) are not the service's.
    handler.addFilter(lambda record: not record.name.startswith("httpx"))
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    access_lines.configure(request.param, output.stream)
    try:
        yield output
    finally:
        access_lines.configure(request.param, None)
        root.removeHandler(handler)
        root.setLevel(level)


@pytest.fixture
def chromium() -> Iterator[Browser]:
    """Debian's headless Chromium, driven by Playwright (which never fetches a browser)."""
    if not Path(CHROMIUM).exists():
        missing(f"{CHROMIUM} is not installed", "Debian's chromium package")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()
