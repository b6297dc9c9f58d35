"""Faults injected into real servers the tests start themselves: Redis killed under load,
PostgreSQL stopped during a burst of writes, SIGTERM during a burst of writes.

Each fault is injected at a point the test chooses (after so many answers), never after a
sleep; what is checked is what clients were told against what is stored afterwards.
"""

from __future__ import annotations

import asyncio
import signal
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import httpx

from tests.app.helpers import PASSWORD
from tests.app.live_server import GRACEFUL_SHUTDOWN_SECONDS, LiveServer, running
from tests.helpers import bearer
from tests.servers import PostgresServer, RedisServer

ALICE = {"username": "alice", "password": PASSWORD}
# Answers that mean "not now": the server is fine, what it needs is down.
UNAVAILABLE = 503


async def burst(
    url: str,
    requests: Sequence[tuple[str, str, Any, dict[str, str]]],
    *,
    fault_after: int,
    fault: Callable[[], None],
) -> list[int | None]:
    """Send `requests` over 20 connections; once `fault_after` have been answered, run
    `fault` (in a thread, so the loop goes on). Each one's status, None for no answer
    (a connection closed by a stopping server)."""
    answered = 0
    injected = threading.Event()
    limits = httpx.Limits(max_connections=20)
    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=60) as client:

        async def send(method: str, path: str, body: Any, headers: dict[str, str]) -> int | None:
            nonlocal answered
            try:
                response = await client.request(method, path, json=body, headers=headers)
            except httpx.TransportError:
                return None
            finally:
                answered += 1
                if answered == fault_after and not injected.is_set():
                    injected.set()
                    await asyncio.to_thread(fault)
            return response.status_code

        return await asyncio.gather(*(send(*request) for request in requests))


def log_in(client: httpx.Client) -> dict[str, str]:
    tokens: dict[str, str] = client.post("/login", json=ALICE).json()
    return tokens


def stored_store_names(client: httpx.Client, headers: dict[str, str]) -> dict[str, int]:
    """Every store, by name: its id."""
    names: dict[str, int] = {}
    offset = 0
    while True:
        page = client.get("/stores", params={"limit": 100, "offset": offset}).json()
        names |= {store["name"]: store["id"] for store in page["stores"]}
        offset += 100
        if offset >= page["total"]:
            return names


def test_redis_killed_under_load_is_503_never_a_pass_and_recovers_with_what_it_held(
    own_redis: RedisServer, env: dict[str, str], tmp_path: Path
) -> None:
    with (
        running(env | {"APP_REDIS_URL": own_redis.url}, tmp_path) as server,
        httpx.Client(base_url=server.url) as client,
    ):
        assert client.post("/register", json=ALICE).status_code == 201
        kept, revoked = log_in(client), log_in(client)
        logout = client.post("/logout", headers=bearer(revoked["access_token"]))
        assert logout.status_code == 200
        reads = [
            ("GET", "/me", None, bearer(tokens["access_token"]))
            for _ in range(100)
            for tokens in (kept, revoked)
        ]
        statuses = asyncio.run(burst(server.url, reads, fault_after=40, fault=own_redis.kill))
        kept_statuses, revoked_statuses = statuses[0::2], statuses[1::2]
        assert set(kept_statuses) <= {200, UNAVAILABLE}
        assert set(revoked_statuses) <= {401, UNAVAILABLE}  # never let through
        assert UNAVAILABLE in kept_statuses[-10:]  # the later ones met the dead Redis
        down = client.get("/me", headers=bearer(kept["access_token"]))
        assert (down.status_code, "blacklist" in down.json()["msg"].lower()) == (503, True)
        assert client.get("/me", headers=bearer(revoked["access_token"])).status_code == 503

        own_redis.start()  # the same files: it comes back with what it had acknowledged
        assert client.get("/me", headers=bearer(kept["access_token"])).status_code == 200
        assert client.get("/me", headers=bearer(revoked["access_token"])).status_code == 401
        assert server.stop(signal.SIGTERM) == 0


def test_a_redis_that_restarts_empty_is_filled_again_from_the_journal_at_once(
    env: dict[str, str], tmp_path: Path
) -> None:
    """A Redis that persists nothing forgets every revocation when it restarts; the server
    notices (the mark its fill left is gone) and fills it again before letting a token in."""
    redis = RedisServer(persistent=False)
    try:
        redis.start()
        with (
            running(env | {"APP_REDIS_URL": redis.url}, tmp_path) as server,
            httpx.Client(base_url=server.url) as client,
        ):
            assert client.post("/register", json=ALICE).status_code == 201
            kept, revoked = log_in(client), log_in(client)
            logout = client.post("/logout", headers=bearer(revoked["access_token"]))
            assert logout.status_code == 200
            redis.kill()
            redis.start()  # empty
            assert client.get("/me", headers=bearer(revoked["access_token"])).status_code == 401
            assert client.get("/me", headers=bearer(kept["access_token"])).status_code == 200
            assert server.stop(signal.SIGTERM) == 0
        assert server.count("lost its revocations: filling it again") >= 1
    finally:
        redis.remove()


def test_postgres_stopped_during_writes_keeps_every_acknowledged_one(
    own_postgres: PostgresServer, env: dict[str, str], tmp_path: Path
) -> None:
    with (
        running(env | {"APP_DATABASE_URL": own_postgres.url}, tmp_path) as server,
        httpx.Client(base_url=server.url) as client,
    ):
        assert client.post("/register", json=ALICE).status_code == 201
        headers = bearer(log_in(client)["access_token"])
        names = [f"Store {number:03}" for number in range(150)]
        writes = [("POST", "/stores", {"name": name}, headers) for name in names]
        statuses = asyncio.run(burst(server.url, writes, fault_after=50, fault=own_postgres.stop))
        assert set(statuses) <= {201, UNAVAILABLE}
        assert statuses.count(201) >= 50
        assert UNAVAILABLE in statuses
        assert client.get("/stores").status_code == UNAVAILABLE

        own_postgres.start()
        stored = stored_store_names(client, headers)
        acknowledged = {name for name, status in zip(names, statuses, strict=True) if status == 201}
        assert acknowledged <= set(stored)
        assert set(stored) <= set(names)  # nothing but what was sent, each whole
        assert server.stop(signal.SIGTERM) == 0


def test_sigterm_during_writes_on_two_workers_keeps_every_acknowledged_one(
    own_redis: RedisServer, env: dict[str, str], tmp_path: Path
) -> None:
    two_workers = env | {"APP_REDIS_URL": own_redis.url}
    names = [f"Store {number:03}" for number in range(500)]
    server: LiveServer
    with running(two_workers, tmp_path, "--workers", "2") as server:
        with httpx.Client(base_url=server.url) as client:
            assert client.post("/register", json=ALICE).status_code == 201
            headers = bearer(log_in(client)["access_token"])
        writes = [("POST", "/stores", {"name": name}, headers) for name in names]
        statuses = asyncio.run(
            burst(
                server.url,
                writes,
                fault_after=100,
                fault=lambda: server.send(signal.SIGTERM),
            )
        )
        assert server.wait() == 0  # within the graceful-shutdown timeout
        assert server.leftovers() == []
    assert set(statuses) <= {201, UNAVAILABLE, None}
    acknowledged = {name for name, status in zip(names, statuses, strict=True) if status == 201}
    assert len(acknowledged) >= 100

    with running(two_workers, tmp_path) as server, httpx.Client(base_url=server.url) as client:
        stored = stored_store_names(client, {})
        assert acknowledged <= set(stored)
        assert server.stop(signal.SIGTERM) == 0
    assert GRACEFUL_SHUTDOWN_SECONDS <= 15
