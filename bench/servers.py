"""The servers of a run, each started with the settings under test and ready for wrk."""

import json
import os
import secrets
import sys
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from app.accounts.keys import generate_key
from app.settings import Settings
from bench import data
from bench.processes import Pinning, Process, free_port, post_json, start, wait_until_ready
from bench.scenarios import PEERS, SHARED_DATABASES, Load, Server, database_of

# Long enough for any run: a token that expired mid-run would turn into 401s.
TOKEN_MINUTES = 24 * 60

# The lowest argon2 cost: only the login scenarios pay the real one of settings.toml.
CHEAP_PASSWORDS = {"password_time_cost": 1, "password_memory_kib": 8, "password_parallelism": 1}

# The servers whose database holds data.ITEMS items (and so do the peers that share one).
WITH_ITEMS = (Server.SQLITE, Server.QUIET, Server.POSTGRES)


@dataclass(frozen=True)
class Backing:
    """Where the servers keep their data during a run."""

    workdir: Path
    postgres_url: str | None  # a database of its own, made for the run
    redis_url: str | None  # a database number of its own, flushed


@dataclass(frozen=True)
class Target:
    """A started server, and what wrk's scripts need to load it."""

    server: Server
    url: str
    pid: int
    token: str
    tokens_file: Path | None = None
    item_ids: tuple[int, int] | None = None

    def wrk_env(self, load: Load) -> dict[str, str]:
        """The BENCH_* variables that the scripts of bench/wrk read."""
        env = {
            "BENCH_LOGIN_BODY": json.dumps({"username": data.USERNAME, "password": data.PASSWORD})
        }
        if load.token:
            env["BENCH_TOKEN"] = self.token
        if self.tokens_file is not None:
            env["BENCH_TOKENS_FILE"] = str(self.tokens_file)
        if self.item_ids is not None:
            env["BENCH_FIRST_ID"], env["BENCH_LAST_ID"] = map(str, self.item_ids)
        return env


class Launcher:
    """Starts the servers of a run, all alike but for what each one is there to measure."""

    def __init__(
        self, stack: ExitStack, backing: Backing, pinning: Pinning, *, many_tokens: int
    ) -> None:
        self._stack = stack
        self._backing = backing
        self._pinning = pinning
        self._many_tokens = many_tokens
        # One secret for all: the peers verify the tokens that our settings sign.
        self._secret = secrets.token_hex(32)
        self._es256_key = backing.workdir / "es256.pem"
        self._mint = data.TokenMint(Settings(**self._values(Server.SQLITE)))
        self._seeded: dict[Server, data.Seeded] = {}

    def start(self, server: Server) -> Target:
        if server in PEERS:
            return self._start_peer(server)
        return self._start_ours(server)

    def _values(self, server: Server) -> dict[str, Any]:
        """The settings under test: settings.toml's, but for what the run must set."""
        values: dict[str, Any] = {
            "env": "production",
            "workers": 1,
            "secret_key": self._secret,
            "access_token_minutes": TOKEN_MINUTES,
            "database_url": self._database_url(server),
            "redis_url": self._backing.redis_url if server is Server.REDIS else "",
        }
        if server is Server.ES256:
            values |= {"algorithm": "ES256", "signing_key_file": str(self._es256_key)}
        if server is Server.QUIET:
            values["access_log"] = False
        return values if server is Server.LOGIN else values | CHEAP_PASSWORDS

    def _database_url(self, server: Server) -> str:
        owner = database_of(server)
        if owner is Server.POSTGRES:
            assert self._backing.postgres_url is not None
            return self._backing.postgres_url
        return f"sqlite://{self._backing.workdir / owner.value}.sqlite3"

    def _seed(self, server: Server) -> data.Seeded:
        """The rows of the database `server` uses, seeded by whichever server starts first."""
        owner = database_of(server)
        if owner not in self._seeded:
            settings = Settings(**self._values(owner))
            self._seeded[owner] = data.seed(settings, items=owner in WITH_ITEMS)
        return self._seeded[owner]

    def _start_ours(self, server: Server) -> Target:
        if server is Server.ES256:
            generate_key("ES256", self._es256_key)
        values = self._values(server)
        seeded = self._seed(server)
        port = free_port()
        command = [
            sys.executable,
            "-m",
            "bench.service",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
        ]
        process = self._launch(server, command, port, _app_environment(values))
        wait_until_ready(process, "/health")
        login = post_json(
            f"{process.url}/login", {"username": data.USERNAME, "password": data.PASSWORD}
        )
        return Target(
            server,
            process.url,
            process.pid,
            login["access_token"],
            self._tokens_file(server, seeded),
            seeded.item_ids,
        )

    def _tokens_file(self, server: Server, seeded: data.Seeded) -> Path | None:
        """me-many's tokens, one a line, for the server it loads."""
        if server is not Server.SQLITE or not self._many_tokens:
            return None
        path = self._backing.workdir / "tokens.txt"
        path.write_text("\n".join(self._mint.access_tokens(seeded.user, self._many_tokens)))
        return path

    def _start_peer(self, server: Server) -> Target:
        port = free_port()
        env = {"BENCH_SECRET": self._secret}
        item_ids = None
        if server in SHARED_DATABASES:
            env["BENCH_DATABASE_URL"] = self._database_url(server)
            item_ids = self._seed(server).item_ids
        process = self._launch(server, [sys.executable, *_peer_command(server, port)], port, env)
        wait_until_ready(process, "/hello")
        [token] = self._mint.access_tokens(data.bench_user(), 1)
        return Target(server, process.url, process.pid, token, item_ids=item_ids)

    def _launch(
        self, server: Server, command: list[str], port: int, env: dict[str, str]
    ) -> Process:
        return start(
            self._stack,
            server.value,
            self._pinning.server_command(command),
            env=os.environ | env,
            url=f"http://127.0.0.1:{port}",
            log=self._backing.workdir / f"{server.value}.log",
        )


def _peer_command(server: Server, port: int) -> list[str]:
    """How a user of each peer's stack serves it: one worker, no access log.

    Sanic's command line with one worker runs the app as server.py runs ours: Sanic's
    worker manager in the main process, the app in one worker process.
    """
    address = ["--host", "127.0.0.1", "--port", str(port)]
    if server is Server.FASTAPI:
        command = ["-m", "uvicorn", "bench.peers.fastapi_app:app", *address]
        return [*command, "--no-access-log", "--log-level", "warning"]
    if server is Server.FLASK:
        command = ["-m", "gunicorn", "bench.peers.flask_app:app", f"--bind=127.0.0.1:{port}"]
        command += ["--workers=1", "--worker-class=gthread", "--threads=4"]
        return [*command, "--log-level=warning"]
    command = ["-m", "sanic", "bench.peers.sanic_app:app", *address]
    return [*command, "--workers=1", "--no-access-logs", "--no-motd"]


def _app_environment(values: dict[str, Any]) -> dict[str, str]:
    """The settings as the APP_<KEY> variables that the service reads."""
    return {
        f"APP_{key.upper()}": str(value).lower() if isinstance(value, bool) else str(value)
        for key, value in values.items()
    }
