"""A database that goes away: 503 on the routes that need it, the rest keep answering,
and the service recovers by itself when the database is back."""

from __future__ import annotations

import asyncio
import signal
import sqlite3
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest
from sanic import Sanic

from app.db import migrate, open_database
from tests.app.helpers import PASSWORD, Api, build_app, make_settings, promote
from tests.app.live_server import running
from tests.helpers import bearer
from tests.servers import PostgresServer

UNAVAILABLE = {"msg": "The database is unavailable."}
STORES_LOCKED = "SELECT count(*) FROM pg_locks WHERE relation = 'stores'::regclass"
END_THE_LOCKING_SESSION = (
    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query LIKE '%pg_sleep(60)%'"
    " AND pid <> pg_backend_pid()"
)
A_QUERY_WAITS_ON_A_LOCK = "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"


async def assert_unavailable(api: Api, method: str, path: str, **kwargs: Any) -> None:
    response = await api.call(method, path, **kwargs)
    assert (method, path, response.status_code) == (method, path, 503)
    assert response.json == UNAVAILABLE
    assert int(response.headers["retry-after"]) > 0


def app_on(database_url: str) -> Api:
    app: Sanic[Any, Any] = build_app(make_settings(database_url=database_url))
    return Api(app)


def test_postgres_going_away_is_503_until_it_is_back(
    own_postgres: PostgresServer, env: dict[str, str], tmp_path: Path
) -> None:
    """Against the real server, whose connection pool outlives each request."""
    credentials = {"username": "alice", "password": PASSWORD}
    with (
        running(env | {"APP_DATABASE_URL": own_postgres.url}, tmp_path) as server,
        httpx.Client(base_url=server.url) as client,
    ):
        assert client.post("/register", json=credentials).status_code == 201
        asyncio.run(promote(make_settings(database_url=own_postgres.url), "alice"))
        tokens = client.post("/login", json=credentials).json()
        auth = bearer(tokens["access_token"])
        store = client.post("/stores", json={"name": "Corner"}, headers=auth).json()["id"]
        item = {"name": "Apple", "price": 1, "store_id": store}
        item_id = client.post("/items", json=item, headers=auth).json()["id"]

        own_postgres.stop()
        refresh = {"X-Refresh-Token": f"Bearer {tokens['refresh_token']}"}
        for method, path, body, headers in [
            ("POST", "/register", {"username": "bob", "password": PASSWORD}, {}),
            ("POST", "/login", credentials, {}),
            ("POST", "/refresh", None, refresh),
            ("GET", "/stores", None, {}),
            ("POST", "/stores", {"name": "Other"}, auth),
            ("GET", f"/stores/{store}", None, {}),
            ("GET", "/items", None, auth),
            ("POST", "/items", item | {"name": "Pear"}, auth),
            ("GET", f"/items/{item_id}", None, auth),
            ("PUT", f"/items/{item_id}", {"name": "Plum", "price": 2}, auth),
            ("DELETE", f"/items/{item_id}", None, auth),
            ("DELETE", f"/stores/{store}", None, auth),
            ("GET", "/users/1", None, auth),
            ("PATCH", "/users/1", {"role": "ADMIN"}, auth),
            ("DELETE", "/users/1", None, auth),
        ]:
            response = client.request(method, path, json=body, headers=headers)
            answer = (method, path, response.status_code, response.json())
            assert answer == (method, path, 503, UNAVAILABLE)
            assert int(response.headers["retry-after"]) > 0
        health = client.get("/health")
        assert (health.status_code, health.json()["database"]) == (503, "unavailable")
        # Routes that need only the token keep answering.
        assert client.get("/me", headers=auth).status_code == 200
        # A logout writes the revocation down (so that no restart forgets it): 503 too,
        # and nothing ended, so the client logs out once the database is back.
        logout = client.post("/logout", headers=auth | refresh)
        assert (logout.status_code, logout.json()) == (503, UNAVAILABLE)
        assert client.get("/me", headers=auth).status_code == 200

        own_postgres.start()
        assert client.post("/logout", headers=auth | refresh).status_code == 200
        assert client.get("/me", headers=auth).status_code == 401
        assert client.get("/stores").status_code == 200
        assert client.post("/login", json=credentials).status_code == 200
        assert server.stop(signal.SIGTERM) == 0


async def test_postgres_refusing_connections_is_503_until_it_accepts_them(
    own_postgres: PostgresServer,
) -> None:
    """A database that exists but takes no new connection (`ALLOW_CONNECTIONS false`, as
    during maintenance): what the pool's next connection meets once its own are gone."""
    own_postgres.query("CREATE DATABASE stores")
    url = f"{own_postgres.url.rsplit('/', 1)[0]}/stores"
    await migrate(url)
    api = app_on(url)
    assert (await api.call("GET", "/stores")).status_code == 200
    own_postgres.query("ALTER DATABASE stores ALLOW_CONNECTIONS false")
    own_postgres.query(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = 'stores'"
    )
    await assert_unavailable(api, "GET", "/stores")
    await assert_unavailable(
        api, "POST", "/register", json={"username": "bob", "password": PASSWORD}
    )
    own_postgres.query("ALTER DATABASE stores ALLOW_CONNECTIONS true")
    assert (await api.call("GET", "/stores")).status_code == 200


@pytest.fixture
async def sqlite_file(tmp_path: Path) -> Path:
    path = tmp_path / "stores.sqlite3"
    async with open_database(f"sqlite://{path}"):
        pass
    return path


async def test_sqlite_locked_past_the_busy_timeout_is_503_for_writes(sqlite_file: Path) -> None:
    api = app_on(f"sqlite://{sqlite_file}?busy_timeout=50")
    await api.register("alice")
    session = await api.login("alice")
    holder = sqlite3.connect(sqlite_file, isolation_level=None)
    try:
        holder.execute("BEGIN EXCLUSIVE")
        await assert_unavailable(
            api, "POST", "/stores", json={"name": "Corner"}, headers=session.headers
        )
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    created = await api.call("POST", "/stores", json={"name": "Corner"}, headers=session.headers)
    assert created.status_code == 201


async def test_a_full_sqlite_disk_is_503_and_keeps_what_was_stored(sqlite_file: Path) -> None:
    # SQLite reports a full disk and a database at its page limit alike (SQLITE_FULL).
    with sqlite3.connect(sqlite_file) as probe:
        (pages,) = probe.execute("PRAGMA page_count").fetchone()
    api = app_on(f"sqlite://{sqlite_file}?max_page_count={pages + 1}")
    statuses = []
    for number in range(200):  # each page holds a dozen users: the limit comes soon
        response = await api.call(
            "POST",
            "/register",
            json={"username": f"user{number:03}" + "x" * 50, "password": PASSWORD},
        )
        statuses.append(response.status_code)
        if response.status_code != 201:
            break
    assert statuses[0] == 201
    assert statuses[-1] == 503
    assert response.json == UNAVAILABLE
    await api.login("user000" + "x" * 50)  # what was stored before is still there


async def test_an_unreadable_sqlite_file_is_503_until_it_is_readable(sqlite_file: Path) -> None:
    api = app_on(f"sqlite://{sqlite_file}")
    assert (await api.call("GET", "/stores")).status_code == 200
    database = await asyncio.to_thread(sqlite_file.read_bytes)
    await asyncio.to_thread(sqlite_file.write_bytes, b"this is not a database" * 100)
    await assert_unavailable(api, "GET", "/stores")
    await assert_unavailable(api, "GET", "/stores")  # the failed connection wedges nothing
    await asyncio.to_thread(sqlite_file.write_bytes, database)
    assert (await api.call("GET", "/stores")).status_code == 200


def test_a_request_waiting_past_the_pool_timeout_is_503(
    own_postgres: PostgresServer, env: dict[str, str], tmp_path: Path
) -> None:
    """One pooled connection, held by a query stuck on a lock: the next request gives up."""
    url = f"{own_postgres.url}?maxsize=1&acquire_timeout=0.5"
    credentials = {"username": "alice", "password": PASSWORD}
    with (
        running(env | {"APP_DATABASE_URL": url}, tmp_path) as server,
        httpx.Client(base_url=server.url, timeout=30) as client,
        ThreadPoolExecutor(1) as background,
    ):
        assert client.post("/register", json=credentials).status_code == 201
        locker = own_postgres.hold("BEGIN; LOCK TABLE stores; SELECT pg_sleep(60);")
        try:
            own_postgres.wait_for(
                "SELECT count(*) FROM pg_locks WHERE relation = 'stores'::regclass"
            )
            stuck = background.submit(client.get, "/stores")
            own_postgres.wait_for(
                "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
            )
            waiting = httpx.post(f"{server.url}/login", json=credentials, timeout=30)
            assert (waiting.status_code, waiting.json()) == (503, UNAVAILABLE)
        finally:
            own_postgres.query(END_THE_LOCKING_SESSION)  # its lock goes with it
            locker.wait()
        assert stuck.result().status_code == 200
        assert client.post("/login", json=credentials).status_code == 200
        assert server.stop(signal.SIGTERM) == 0
