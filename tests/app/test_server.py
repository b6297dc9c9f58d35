"""`python server.py` as a real process: serving, stopping cleanly, and create-admin."""

from __future__ import annotations

import os
import queue
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from argon2 import PasswordHasher

from app.db import open_database
from app.models import Role, User

SERVER = Path(__file__).resolve().parents[2] / "server.py"
READY = "Ready: serving on"
PASSWORD = "password1"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def database_file(tmp_path: Path) -> Path:
    return tmp_path / "data" / "stores.sqlite3"


@pytest.fixture
def env(database_file: Path) -> dict[str, str]:
    """The process environment: no APP_* of the developer's, a temp SQLite file, cheap argon2."""
    clean = {key: value for key, value in os.environ.items() if not key.startswith("APP_")}
    return clean | {
        "APP_DATABASE_URL": f"sqlite://{database_file}",
        "APP_PASSWORD_TIME_COST": "1",
        "APP_PASSWORD_MEMORY_KIB": "8",
        "APP_PASSWORD_PARALLELISM": "1",
    }


class Server:
    """A running `python server.py`, with its merged output read line by line."""

    def __init__(self, env: dict[str, str], cwd: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process = subprocess.Popen(
            [sys.executable, str(SERVER), "--port", str(self.port)],
            env=env,
            cwd=cwd,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self.lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.put(line)

    def wait_until_ready(self, timeout: float = 30) -> None:
        while True:
            line = self.lines.get(timeout=timeout)
            if READY in line:
                return

    def stop(self, signal_number: int) -> int:
        self.process.send_signal(signal_number)
        return self.process.wait(timeout=30)


@contextmanager
def running(env: dict[str, str], cwd: Path) -> Iterator[Server]:
    server = Server(env, cwd)
    try:
        server.wait_until_ready()
        yield server
    finally:
        if server.process.poll() is None:
            server.process.kill()
            server.process.wait()
        while not server.lines.empty():  # shown by pytest when the test fails
            print(server.lines.get(), end="")


def test_serves_stops_on_sigterm_and_keeps_what_was_written(
    env: dict[str, str], tmp_path: Path
) -> None:
    with running(env, tmp_path) as server, httpx.Client(base_url=server.url) as client:
        assert client.get("/health").json()["status"] == "ok"
        credentials = {"username": "alice", "password": PASSWORD}
        assert client.post("/register", json=credentials).status_code == 201
        token = client.post("/login", json=credentials).json()["access_token"]
        auth = {"Authorization": f"Bearer {token}"}
        store = client.post("/stores", json={"name": "Kept"}, headers=auth).json()
        body = {"name": "Apple", "price": 0.5, "store_id": store["id"]}
        assert client.post("/items", json=body, headers=auth).status_code == 201
        too_big = client.post("/stores", content=b"x" * 70_000, headers=auth)
        assert too_big.status_code == 413
        assert set(too_big.json()) == {"msg"}
        assert server.stop(signal.SIGTERM) == 0

    with running(env, tmp_path) as server, httpx.Client(base_url=server.url) as client:
        assert client.post("/login", json=credentials).status_code == 200
        kept = client.get(f"/stores/{store['id']}").json()
        assert kept["name"] == "Kept"
        assert [item["name"] for item in kept["items"]] == ["Apple"]
        assert server.stop(signal.SIGINT) == 0


async def test_a_request_in_flight_when_sigterm_arrives_completes(
    env: dict[str, str], tmp_path: Path, database_file: Path
) -> None:
    # Costly hashing keeps the registration in flight for about a second.
    slow = env | {"APP_PASSWORD_TIME_COST": "40", "APP_PASSWORD_MEMORY_KIB": "65536"}
    with running(slow, tmp_path) as server, httpx.Client(base_url=server.url) as client:
        answers: queue.Queue[int] = queue.Queue()
        body = {"username": "late", "password": PASSWORD}
        request = threading.Thread(
            target=lambda: answers.put(client.post("/register", json=body).status_code)
        )
        request.start()
        threading.Event().wait(0.3)
        assert server.stop(signal.SIGTERM) == 0
        request.join()
        assert answers.get_nowait() == 201
    async with open_database(f"sqlite://{database_file}"):
        assert await User.filter(username="late").exists()


def create_admin(env: dict[str, str], name: str, stdin: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(SERVER), "create-admin", name],
        input=stdin,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


async def stored_user(database_file: Path, username: str) -> User | None:
    async with open_database(f"sqlite://{database_file}"):
        return await User.get_or_none(username=username)


async def test_create_admin_reads_the_password_from_stdin(
    env: dict[str, str], database_file: Path
) -> None:
    created = create_admin(env, "root", f"{PASSWORD}\n")
    assert created.returncode == 0, created.stderr
    assert created.stdout.strip() == "Created admin 'root'."
    root = await stored_user(database_file, "root")
    assert root is not None
    assert root.role == Role.ADMIN
    assert PasswordHasher().verify(root.password_hash, PASSWORD)

    promoted = create_admin(env, "root", "another-password\n")
    assert promoted.returncode == 0, promoted.stderr
    assert promoted.stdout.strip() == "Promoted admin 'root'."
    root = await stored_user(database_file, "root")
    assert root is not None
    assert PasswordHasher().verify(root.password_hash, "another-password")


@pytest.mark.parametrize(
    ("name", "stdin", "reason"),
    [
        ("root", "short\n", "password"),
        ("no spaces", f"{PASSWORD}\n", "username"),
        ("root", "", "password"),
    ],
)
async def test_create_admin_fails_with_a_one_line_reason(
    env: dict[str, str], database_file: Path, name: str, stdin: str, reason: str
) -> None:
    result = create_admin(env, name, stdin)
    assert result.returncode != 0
    assert result.stderr.startswith("error: ")
    assert reason in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert await stored_user(database_file, name) is None


def test_production_refuses_the_sample_secret_in_one_line(
    env: dict[str, str], tmp_path: Path
) -> None:
    result = subprocess.run(
        [sys.executable, str(SERVER)],
        env=env | {"APP_ENV": "production"},
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode != 0
    assert result.stderr.strip().splitlines() == [
        "error: invalid settings: "
        "secret_key is the sample one from settings.toml; set APP_SECRET_KEY"
    ]
