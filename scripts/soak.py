"""A bounded soak: a mixed load against the real server, `--workers 2`, PostgreSQL, Redis.

    .venv/bin/python scripts/soak.py --minutes 10 [--clients 16]
        [--postgres postgres://postgres@127.0.0.1:5432/postgres] [--redis redis://127.0.0.1:6379/13]

It creates a PostgreSQL database of its own (dropped at the end) and empties the Redis
database it is given, starts `server.py --workers 2` on them, makes an admin with
`create-admin`, and runs clients that each, in a loop, do what users do: log in (and now
and then with a wrong password, or as a throttled name), refresh, read stores and items,
create and rename items, have the admin delete one, send a bad token. It prints a
progress line every 30 s and at the end, per route, the requests, the statuses, p50 and
p99, and the resident memory of each worker at the start (after a warm-up minute, or a
tenth of the run if shorter) and at the end. It exits 1 on any 5xx, or on more than 5%
growth of a worker's memory after the warm-up.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import secrets
import statistics
import subprocess
import sys
import time
from collections import Counter, defaultdict
from contextlib import ExitStack
from pathlib import Path
from tempfile import TemporaryDirectory

import httpx
import psutil

PROJECT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT))

from bench.data import create_postgres_database, drop_postgres_database, flush_redis  # noqa: E402
from bench.processes import free_port, start, wait_until_ready  # noqa: E402

PASSWORD = "soak-password-long-enough"
ADMIN = {"username": "soak_admin", "password": PASSWORD}
# Above this growth of a worker's resident memory after the warm-up, the soak fails.
MAX_GROWTH = 0.05
PROGRESS_SECONDS = 30


class Tally:
    """Every answer, by route: its status and how long it took."""

    def __init__(self) -> None:
        self.statuses: dict[str, Counter[int]] = defaultdict(Counter)
        self.latencies: dict[str, list[float]] = defaultdict(list)

    def add(self, route: str, status: int, seconds: float) -> None:
        self.statuses[route][status] += 1
        self.latencies[route].append(seconds * 1000)

    @property
    def requests(self) -> int:
        return sum(sum(counter.values()) for counter in self.statuses.values())

    def server_errors(self) -> int:
        return sum(n for c in self.statuses.values() for status, n in c.items() if status >= 500)

    def table(self) -> str:
        rows = [
            "| route | requests | statuses | p50 ms | p99 ms |",
            "| --- | ---: | --- | ---: | ---: |",
        ]
        for route in sorted(self.statuses):
            latencies = sorted(self.latencies[route])
            p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))]
            statuses = ", ".join(f"{s}: {n}" for s, n in sorted(self.statuses[route].items()))
            rows.append(
                f"| {route} | {len(latencies):,} | {statuses} | "
                f"{statistics.median(latencies):.1f} | {p99:.1f} |"
            )
        return "\n".join(rows)


class Client:
    """One simulated user, with a name of its own, looping over what users do."""

    def __init__(self, http: httpx.AsyncClient, tally: Tally, number: int) -> None:
        self.http, self.tally = http, tally
        self.name = f"soak_user_{number}"
        self.random = random.Random(number)  # noqa: S311 - a load's mix, not a secret
        self.tokens: dict[str, str] = {}

    async def call(self, route: str, method: str, path: str, **options: object) -> httpx.Response:
        began = time.monotonic()
        response = await self.http.request(method, path, **options)  # type: ignore[arg-type]
        self.tally.add(route, response.status_code, time.monotonic() - began)
        return response

    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens['access_token']}"}

    async def log_in(self) -> None:
        response = await self.call(
            "POST /login", "POST", "/login", json={"username": self.name, "password": PASSWORD}
        )
        if response.status_code == 200:
            self.tokens = response.json()

    async def run(self, admin: dict[str, str], store_id: int, until: float) -> None:
        await self.call(
            "POST /register",
            "POST",
            "/register",
            json={"username": self.name, "password": PASSWORD},
        )
        await self.log_in()
        while time.monotonic() < until:
            await self.step(admin, store_id)

    async def step(self, admin: dict[str, str], store_id: int) -> None:
        roll = self.random.random()
        if roll < 0.35:
            await self.call("GET /me", "GET", "/me", headers=self.auth())
        elif roll < 0.50:
            await self.call("GET /stores", "GET", "/stores")
        elif roll < 0.62:
            await self.call(
                "GET /items", "GET", "/items", params={"store_id": store_id}, headers=self.auth()
            )
        elif roll < 0.72:
            name = f"{self.name} {secrets.token_hex(4)}"
            created = await self.call(
                "POST /items",
                "POST",
                "/items",
                json={"name": name, "price": 1.25, "store_id": store_id},
                headers=self.auth(),
            )
            if created.status_code == 201 and self.random.random() < 0.5:
                item = created.json()["id"]
                await self.call(
                    "PUT /items/{id}",
                    "PUT",
                    f"/items/{item}",
                    json={"name": f"{name}!", "price": 2.5},
                    headers=self.auth(),
                )
                if self.random.random() < 0.5:
                    await self.call("DELETE /items/{id}", "DELETE", f"/items/{item}", headers=admin)
        elif roll < 0.80:
            refresh = {"X-Refresh-Token": f"Bearer {self.tokens['refresh_token']}"}
            refreshed = await self.call("POST /refresh", "POST", "/refresh", headers=refresh)
            if refreshed.status_code == 200:
                self.tokens |= refreshed.json()
        elif roll < 0.86:
            await self.call(
                "GET /me (bad token)", "GET", "/me", headers={"Authorization": "Bearer not.a.jwt"}
            )
        elif roll < 0.92:
            await self.call(
                "POST /login (wrong password)",
                "POST",
                "/login",
                json={"username": "soak_throttled", "password": "wrong-password"},
            )
        else:
            await self.log_in()  # a new session, fresh tokens


def worker_rss(server_pid: int, port: int) -> list[int]:
    """Each worker's resident memory: the server's descendants listening on its port
    (not Sanic's worker manager, nor multiprocessing's helpers)."""
    return sorted(
        int(child.memory_info().rss)
        for child in psutil.Process(server_pid).children(recursive=True)
        if any(
            connection.status == psutil.CONN_LISTEN and connection.laddr.port == port
            for connection in child.net_connections(kind="tcp")
        )
    )


async def soak(
    url: str, server_pid: int, port: int, minutes: float, clients: int
) -> tuple[Tally, list[int], list[int]]:
    tally = Tally()
    limits = httpx.Limits(max_connections=clients)
    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=30) as http:
        tokens = (await http.post("/login", json=ADMIN)).json()
        admin = {"Authorization": f"Bearer {tokens['access_token']}"}
        store = await http.post("/stores", json={"name": "Soak shop"}, headers=admin)
        store_id = store.json()["id"]
        began = time.monotonic()
        until = began + minutes * 60
        warm_up = began + min(60.0, minutes * 6)
        users = [Client(http, tally, number) for number in range(clients)]
        running = asyncio.gather(*(user.run(admin, store_id, until) for user in users))
        start_rss: list[int] = []
        while not running.done():
            await asyncio.wait([running], timeout=PROGRESS_SECONDS)
            elapsed = time.monotonic() - began
            if not start_rss and time.monotonic() >= warm_up:
                start_rss = worker_rss(server_pid, port)
            print(
                f"{elapsed:5.0f} s: {tally.requests:,} requests, {tally.server_errors()} 5xx",
                flush=True,
            )
        await running
    return tally, start_rss or worker_rss(server_pid, port), worker_rss(server_pid, port)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--postgres", default="postgres://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/13")
    options = parser.parse_args()
    name = f"soak_{os.getpid()}"
    database_url = create_postgres_database(options.postgres, name)
    flush_redis(options.redis)
    with ExitStack() as stack, TemporaryDirectory(prefix="soak-") as folder:
        stack.callback(drop_postgres_database, options.postgres, name)
        stack.callback(flush_redis, options.redis)
        env = {key: value for key, value in os.environ.items() if not key.startswith("APP_")}
        env |= {
            "APP_ENV": "production",
            "APP_SECRET_KEY": secrets.token_urlsafe(64),
            "APP_DATABASE_URL": database_url,
            "APP_REDIS_URL": options.redis,
            "APP_DOCS": "false",
        }
        server_py = [sys.executable, str(PROJECT / "server.py")]
        admin = [*server_py, "create-admin", ADMIN["username"]]  # the password on stdin
        subprocess.run(admin, input=PASSWORD, text=True, env=env, check=True, cwd=PROJECT)  # noqa: S603
        port = free_port()
        server = start(
            stack,
            "soak",
            [*server_py, "--host", "127.0.0.1", "--port", str(port), "--workers", "2"],
            env=env,
            url=f"http://127.0.0.1:{port}",
            log=Path(folder) / "server.log",
        )
        wait_until_ready(server, "/health")
        tally, start_rss, end_rss = asyncio.run(
            soak(server.url, server.pid, port, options.minutes, options.clients)
        )
    print()
    print(tally.table())
    growth = [end / begin - 1 for begin, end in zip(start_rss, end_rss, strict=False)]
    print(
        "\nworker RSS (MiB), after warm-up -> end: "
        + "; ".join(
            f"{begin / 2**20:.1f} -> {end / 2**20:.1f} ({change:+.1%})"
            for begin, end, change in zip(start_rss, end_rss, growth, strict=False)
        )
    )
    failed = tally.server_errors() > 0 or any(change > MAX_GROWTH for change in growth)
    verdict = "FAILED" if failed else "passed"
    print(f"\n{tally.requests:,} requests, {tally.server_errors()} 5xx: {verdict}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
