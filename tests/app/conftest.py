"""Fixtures of the service's tests: an app on a clean database, a client, and users.

Every test that takes `api` runs twice: on SQLite (a new file per test) and on PostgreSQL
(tables truncated per test; skipped locally without a server, failed under CI=true).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from playwright.sync_api import Browser, sync_playwright
from sanic import Sanic

from app.db import open_database
from app.settings import Settings
from tests.app.helpers import (
    CHROMIUM,
    CHROMIUM_ARGS,
    SECRET,
    Api,
    Session,
    build_app,
    make_settings,
    promote,
)
from tests.helpers import missing
from tests.servers import PostgresServer

TABLES = ("items", "stores", "users")


@pytest.fixture(autouse=True, scope="session")
def _sanic_test_mode() -> None:
    """Sanic refuses a second app of the same name outside test mode."""
    Sanic.test_mode = True


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def _postgres_schema(postgres_url: str) -> str:
    """The PostgreSQL test database with today's tables, rebuilt once per session."""
    async with open_database(postgres_url) as context:
        await context.db().execute_script(f"DROP TABLE IF EXISTS {', '.join(TABLES)} CASCADE")
    async with open_database(postgres_url):
        pass
    return postgres_url


@pytest.fixture
async def sqlite_database(tmp_path: Path) -> str:
    """A new SQLite file with the schema."""
    url = f"sqlite://{tmp_path}/test.sqlite3"
    async with open_database(url):
        pass
    return url


@pytest.fixture
async def postgres_database(_postgres_schema: str) -> str:
    """The PostgreSQL test database, emptied."""
    async with open_database(_postgres_schema) as context:
        await context.db().execute_script(f"TRUNCATE {', '.join(TABLES)} RESTART IDENTITY CASCADE")
    return _postgres_schema


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
async def user(api: Api) -> Session:
    """A logged-in USER named alice."""
    await api.register("alice")
    return await api.login("alice")


@pytest.fixture
async def admin(api: Api, settings: Settings) -> Session:
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
def database_file(tmp_path: Path) -> Path:
    return tmp_path / "data" / "stores.sqlite3"


@pytest.fixture
def env(database_file: Path) -> dict[str, str]:
    """The real server's environment: no APP_* of ours, a temp SQLite file, cheap argon2."""
    clean = {key: value for key, value in os.environ.items() if not key.startswith("APP_")}
    return clean | {
        "APP_ENV": "test",
        "APP_SECRET_KEY": SECRET,
        "APP_DATABASE_URL": f"sqlite://{database_file}",
        "APP_PASSWORD_TIME_COST": "1",
        "APP_PASSWORD_MEMORY_KIB": "8",
        "APP_PASSWORD_PARALLELISM": "1",
    }


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
