"""Fixtures of the service's tests: an app on a clean database, a client, and users.

Every test that takes `api` runs twice: on SQLite (a new file per test) and on PostgreSQL
(tables truncated per test; skipped locally without a server, failed under CI=true).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from sanic import Sanic
from sanic_testing.testing import TestingResponse

from app import create_app
from app.admin import create_admin
from app.db import open_database
from app.schemas import Credentials
from app.settings import Settings

SECRET = "a-test-secret-of-at-least-sixty-four-bytes-for-every-hs-algorithm!!"
PASSWORD = "correct horse battery"
TABLES = ("items", "stores", "users")


def make_settings(**overrides: Any) -> Settings:
    """Test settings: cheap argon2, an in-memory blacklist, the given overrides on top.

    Everything the tests depend on is passed explicitly, so APP_* variables in the
    developer's shell cannot change the outcome.
    """
    values: dict[str, Any] = {
        "env": "test",
        "secret_key": SECRET,
        "algorithm": "HS256",
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


def build_app(settings: Settings) -> Sanic[Any, Any]:
    """`create_app`, started cheaply by the test client.

    sanic-testing starts the app anew for every request, and Sanic's start-up rewrites
    its own code for speed ("touch-up"): a win for a server, 50 ms lost per test request.
    (The in-memory blacklist's warning is filtered in pyproject.toml.)
    """
    app = create_app(settings)
    app.config.TOUCHUP = False
    return app


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


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@dataclass
class Session:
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

    async def login(self, username: str, password: str = PASSWORD) -> Session:
        response = await self.call(
            "POST", "/login", json={"username": username, "password": password}
        )
        assert response.status_code == 200, response.text
        body = response.json
        return Session(body["access_token"], body["refresh_token"])

    async def refreshed(self, session: Session) -> str:
        response = await self.call(
            "POST", "/refresh", headers={"X-Refresh-Token": f"Bearer {session.refresh}"}
        )
        assert response.status_code == 200, response.text
        return str(response.json["access_token"])

    async def create_store(self, session: Session, name: str = "Corner shop") -> int:
        response = await self.call("POST", "/stores", json={"name": name}, headers=session.headers)
        assert response.status_code == 201, response.text
        return int(response.json["id"])

    async def create_item(
        self, session: Session, store_id: int, name: str = "Apple", price: float = 1.5
    ) -> int:
        body = {"name": name, "price": price, "store_id": store_id}
        response = await self.call("POST", "/items", json=body, headers=session.headers)
        assert response.status_code == 201, response.text
        return int(response.json["id"])


@pytest.fixture
def api(app: Sanic[Any, Any]) -> Api:
    return Api(app)


@pytest.fixture
async def user(api: Api) -> Session:
    """A logged-in USER named alice."""
    await api.register("alice")
    return await api.login("alice")


async def promote(settings: Settings, username: str) -> None:
    """Make an admin the only way there is: the create-admin command's function."""
    await create_admin(settings, Credentials(username=username, password=PASSWORD))


@pytest.fixture
async def admin(api: Api, settings: Settings) -> Session:
    """A logged-in ADMIN named root, made by the create-admin command's code."""
    await promote(settings, "root")
    return await api.login("root")
