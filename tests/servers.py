"""Database servers a test starts, stops and restarts itself, never the shared ones.

A test of what happens when the database goes away needs a server it may stop: one of
its own, in a temporary folder, on a free loopback port.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from tests.app.live_server import free_port

# initdb and postgres refuse to run as root; the Debian package's own user runs them.
POSTGRES_USER = "postgres"


def _as_postgres(*command: str) -> list[str]:
    if os.geteuid() != 0:
        return list(command)
    return ["runuser", "-u", POSTGRES_USER, "--", *command]


class PostgresServer:
    """A PostgreSQL cluster in `folder`, trusting local connections, on a free port."""

    def __init__(self) -> None:
        # Not under pytest's tmp_path: its folders are private to root.
        self.folder = Path(tempfile.mkdtemp(prefix="test-postgres-"))
        self.data = self.folder / "data"
        self.port = free_port()
        self.url = f"postgres://postgres@127.0.0.1:{self.port}/postgres"
        if os.geteuid() == 0:
            shutil.chown(self.folder, POSTGRES_USER)
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8")

    def start(self) -> None:
        options = f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 -c fsync=off"
        log = str(self.folder / "log")
        self._run("pg_ctl", "-D", str(self.data), "-o", options, "-l", log, "-w", "start")

    def stop(self) -> None:
        """Stop at once, closing every connection (what a crash or a failover looks like)."""
        self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")

    def hold(self, script: str) -> subprocess.Popen[bytes]:
        """Run `script` in a psql session of its own, left running."""
        return subprocess.Popen(
            ["psql", "-X", "-q", self.url, "-c", script],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    def wait_for(self, count_query: str, timeout: float = 30.0) -> None:
        """Return once `count_query` counts at least one row (polled, never slept on)."""
        deadline = time.monotonic() + timeout
        while int(self.query(count_query) or 0) == 0:
            assert time.monotonic() < deadline, f"nothing matched {count_query!r} in time"

    def query(self, sql: str) -> str:
        """What psql prints for `sql`, unaligned, without headers."""
        answer = subprocess.run(
            ["psql", "-X", "-tA", self.url, "-c", sql], capture_output=True, text=True, check=True
        )
        return answer.stdout.strip()

    def remove(self) -> None:
        """Stop the server if it runs, and delete its files."""
        subprocess.run(
            _as_postgres("pg_ctl", "-D", str(self.data), "-m", "immediate", "stop"),
            capture_output=True,
            check=False,
        )
        shutil.rmtree(self.folder, ignore_errors=True)

    def _run(self, *command: str) -> None:
        subprocess.run(_as_postgres(*command), check=True, capture_output=True, timeout=120)


class RedisServer:
    """A Redis server in a folder of its own, on a free port, that the test may kill.

    Persistent, it keeps an append-only file written at every command (`appendfsync
    always`), so a server killed and started again has everything it acknowledged, as a
    production Redis with persistence would; else it starts again empty.
    """

    def __init__(self, *, persistent: bool = True) -> None:
        self.persistent = persistent
        self.folder = Path(tempfile.mkdtemp(prefix="test-redis-"))
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self._process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self._process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1"]
            + ["--dir", str(self.folder), "--save", ""]
            + (["--appendonly", "yes", "--appendfsync", "always"] if self.persistent else []),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 30
        while not self._answers():
            assert self._process.poll() is None, "redis-server exited at start"
            assert time.monotonic() < deadline, "redis-server did not start in time"

    def kill(self) -> None:
        """SIGKILL: what a crash looks like; connections drop, nothing is flushed."""
        assert self._process is not None
        self._process.kill()
        self._process.wait()

    def remove(self) -> None:
        if self._process is not None and self._process.poll() is None:
            self.kill()
        shutil.rmtree(self.folder, ignore_errors=True)

    def _answers(self) -> bool:
        ping = ["redis-cli", "-p", str(self.port), "ping"]
        return subprocess.run(ping, capture_output=True, text=True).stdout.strip() == "PONG"
