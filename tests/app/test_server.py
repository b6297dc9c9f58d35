"""`python server.py` as a real process: starting, serving, stopping cleanly, create-admin."""

from __future__ import annotations

import importlib.metadata
import json
import signal
import socket
import stat
import subprocess
import sys
import uuid
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path

import httpx
import jwt
import pytest
from argon2 import PasswordHasher

from app.db import open_database
from app.db.models import Role, User
from app.development_secret import SECRET_FILE
from app.settings import SAMPLE_SECRET_KEY
from tests.app.live_server import (
    IN_MEMORY_BLACKLIST_WARNING,
    READY,
    SERVER,
    STARTING_WORKER,
    LiveServer,
    free_port,
    run_command,
    running,
    start_failing,
    started,
)
from tests.conftest import require_server

PASSWORD = "password1"
DEVELOPMENT_NOTE = (
    f"Development mode: signing tokens with a random key kept in {SECRET_FILE}; "
    "revocations kept in this process's memory (set redis_url to share them)"
)


@pytest.fixture
def development_env(env: dict[str, str]) -> dict[str, str]:
    """What `make run` gets from settings.toml: env "development" and the sample secret."""
    return {key: value for key, value in env.items() if key not in ("APP_ENV", "APP_SECRET_KEY")}


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


# Moments of the start-up, each reached by watching the server.
START_UP_MOMENTS: dict[str, Callable[[LiveServer], object]] = {
    # The main process's first line, printed before it binds the port.
    "before it listens": lambda server: server.wait_for_line(IN_MEMORY_BLACKLIST_WARNING),
    # A worker runs its start-up listeners (it opens the database).
    "while a worker starts": lambda server: server.wait_for_line(STARTING_WORKER),
    # The main process listens; its workers may not have started yet.
    "as soon as the port accepts": LiveServer.wait_until_accepting,
    # What a deploy tool polling readiness sees first.
    "right after the first /health 200": LiveServer.wait_for_health,
    "after Ready": LiveServer.wait_until_ready,
}


@pytest.mark.parametrize("workers", [1, 2])
@pytest.mark.parametrize("moment", START_UP_MOMENTS)
def test_a_stop_at_any_moment_of_start_up_is_clean(
    env: dict[str, str], tmp_path: Path, moment: str, workers: int
) -> None:
    with started(env, tmp_path, "--workers", str(workers)) as server:
        START_UP_MOMENTS[moment](server)
        assert server.stop(signal.SIGTERM) == 0
        assert server.leftovers() == []


@pytest.mark.parametrize(
    "moment", ["while a worker starts", "as soon as the port accepts", "after Ready"]
)
def test_ctrl_c_reaching_every_process_at_once_stops_cleanly(
    env: dict[str, str], tmp_path: Path, moment: str
) -> None:
    with started(env, tmp_path, "--workers", "2") as server:
        START_UP_MOMENTS[moment](server)
        server.send_to_every_process(signal.SIGINT)
        assert server.wait() == 0
        assert server.leftovers() == []
        assert server.count("Traceback") == 0


def test_the_main_process_never_ignores_a_stop_signal(env: dict[str, str], tmp_path: Path) -> None:
    """Setting SIGINT or SIGTERM to SIG_IGN discards one already sent but not yet taken by
    the thread waiting for it: a Ctrl-C at that moment was lost, and the server ran on."""
    with running(env, tmp_path, "--workers", "2") as server:
        assert server.ignored_signals().isdisjoint({signal.SIGINT, signal.SIGTERM})
        assert server.stop(signal.SIGINT) == 0


@pytest.mark.parametrize("workers", [1, 2])
async def test_a_request_in_flight_when_sigterm_arrives_completes(
    env: dict[str, str], tmp_path: Path, database_file: Path, workers: int
) -> None:
    body = json.dumps({"username": "late", "password": PASSWORD}).encode()
    head = (
        "POST /register HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\nExpect: 100-continue\r\n\r\n"
    )
    with (
        running(env, tmp_path, "--workers", str(workers)) as server,
        socket.create_connection(("127.0.0.1", server.port), timeout=30) as connection,
    ):
        connection.sendall(head.encode())
        # Sanic sends this as it begins to read the body: the request is in its hands.
        assert connection.recv(1024).startswith(b"HTTP/1.1 100 Continue")
        server.send(signal.SIGTERM)
        connection.sendall(body)
        response = b"".join(iter(lambda: connection.recv(65536), b""))
        assert response.startswith(b"HTTP/1.1 201 ")
        # Closed with its answer: Sanic would otherwise wait for it until its timeout.
        assert b"\r\nconnection: close\r\n" in response.lower()
        assert server.wait() == 0
        assert server.leftovers() == []
    async with open_database(f"sqlite://{database_file}"):
        assert await User.filter(username="late").exists()


def test_an_oversized_request_head_is_431(env: dict[str, str], tmp_path: Path) -> None:
    with running(env, tmp_path) as server, httpx.Client(base_url=server.url) as client:
        response = client.get("/health", headers={"X-Padding": "x" * 9_000})
        assert response.status_code == 431
        assert set(response.json()) == {"msg"}
        assert client.get("/health").status_code == 200
        assert server.stop(signal.SIGTERM) == 0


def test_a_development_start_says_what_it_does_in_one_line_and_where_to_go(
    development_env: dict[str, str], tmp_path: Path
) -> None:
    """The random key and the in-memory blacklist are what development means: one line
    of information, not warnings; the Ready line names the API's URL and its docs'."""
    with running(development_env, tmp_path, "--workers", "2") as server:
        assert server.stop(signal.SIGTERM) == 0
    assert server.count(DEVELOPMENT_NOTE) == 1
    assert server.count("WARNING") == server.count(IN_MEMORY_BLACKLIST_WARNING) == 0
    [ready] = [line for line in server.output if READY in line]
    assert ready.rstrip().endswith(
        f"{READY} {server.url} with 2 worker(s); API docs at {server.url}/docs"
    )


@pytest.mark.parametrize("app_env", ["development", "test"])
def test_the_sample_secret_is_replaced_by_a_random_one_kept_for_the_next_start(
    development_env: dict[str, str], tmp_path: Path, app_env: str
) -> None:
    """Anyone can sign with the public sample: only production refuses it, and every
    other env signs with a key of its own instead."""
    development_env = development_env | {"APP_ENV": app_env}
    credentials = {"username": "alice", "password": PASSWORD}
    with running(development_env, tmp_path) as server, httpx.Client(base_url=server.url) as client:
        assert client.post("/register", json=credentials).status_code == 201
        token = client.post("/login", json=credentials).json()["access_token"]
        assert server.stop(signal.SIGTERM) == 0
    secret_file = tmp_path / SECRET_FILE
    assert stat.S_IMODE(secret_file.stat().st_mode) == 0o600
    secret = secret_file.read_text().strip()
    assert len(secret) >= 64
    with pytest.raises(jwt.InvalidSignatureError):
        jwt.decode(token, SAMPLE_SECRET_KEY, algorithms=["HS256"])
    jwt.decode(token, secret, algorithms=["HS256"])

    with running(development_env, tmp_path) as server, httpx.Client(base_url=server.url) as client:
        me = client.get("/me", headers={"Authorization": f"Bearer {token}"})
        assert me.status_code == 200
        assert server.stop(signal.SIGTERM) == 0
    assert secret_file.read_text().strip() == secret


def test_a_development_secret_too_short_to_sign_ends_the_start_in_one_line(
    development_env: dict[str, str], tmp_path: Path
) -> None:
    (tmp_path / SECRET_FILE).parent.mkdir()
    (tmp_path / SECRET_FILE).write_text("short\n")
    result = start_failing(development_env, tmp_path)
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        f"error: development secret: {SECRET_FILE} holds too short a key for HS256; delete it"
    ]


def a_port_in_use(tmp_path: Path, holding: ExitStack) -> dict[str, str]:
    listener = holding.enter_context(socket.create_server(("127.0.0.1", 0)))
    return {"APP_PORT": str(listener.getsockname()[1])}


def a_sqlite_file_that_is_not_a_database(tmp_path: Path, holding: ExitStack) -> dict[str, str]:
    (tmp_path / "notes.txt").write_text("not a database, " * 100)
    return {"APP_DATABASE_URL": f"sqlite://{tmp_path}/notes.txt"}


def a_postgres_role_that_does_not_exist(tmp_path: Path, holding: ExitStack) -> dict[str, str]:
    server = require_server("APP_TEST_DATABASE_URL").rsplit("@", 1)[1]
    return {"APP_DATABASE_URL": f"postgres://no_role_{uuid.uuid4().hex[:8]}@{server}"}


def variables(**values: str) -> Callable[[Path, ExitStack], dict[str, str]]:
    return lambda tmp_path, holding: values


# Pool parameters are checked when read: no server is asked.
POSTGRES = "postgres://postgres@127.0.0.1:1/stores"


@pytest.mark.parametrize(
    ("bad_input", "reason"),
    [
        (a_port_in_use, "cannot listen on 127.0.0.1:"),
        (variables(APP_DATABASE_URL="mysql://user@127.0.0.1/stores"), "'mysql' is not supported"),
        (variables(APP_PASSWORD_MEMORY_KIB="8", APP_PASSWORD_PARALLELISM="4"), "at least 32"),
        (variables(APP_SECRET_KEY=""), "secret_key: empty"),
        (variables(APP_REFRESH_TOKEN_DAYS="1000000000"), "refresh_token_days"),
        (variables(APP_REDIS_URL="not-a-url"), "redis_url"),
        (variables(APP_HOST="999.1.1.1"), "cannot listen on 999.1.1.1:"),
        (a_sqlite_file_that_is_not_a_database, "database: file is not a database"),
        (a_postgres_role_that_does_not_exist, "role"),
        (variables(APP_DATABASE_URL=f"{POSTGRES}?acquire_timeout=abc"), "acquire_timeout"),
        (variables(APP_DATABASE_URL=f"{POSTGRES}?acquire_timeout=nan"), "finite number"),
        (variables(APP_DATABASE_URL=f"{POSTGRES}?maxsize=0"), "maxsize"),
        (variables(APP_DATABASE_URL=f"{POSTGRES}?minsize=3&maxsize=2"), "above maxsize"),
    ],
)
def test_a_start_up_failure_is_one_error_line_never_a_traceback(
    env: dict[str, str],
    tmp_path: Path,
    bad_input: Callable[[Path, ExitStack], dict[str, str]],
    reason: str,
) -> None:
    with ExitStack() as holding:
        result = start_failing(env | bad_input(tmp_path, holding), tmp_path)
    assert result.returncode != 0
    output = result.stdout + result.stderr
    assert "Traceback" not in output
    [error] = [line for line in output.splitlines() if line.startswith("error:")]
    assert reason in error


def test_a_near_miss_of_a_setting_name_is_warned_about_others_are_left_alone(
    env: dict[str, str], tmp_path: Path
) -> None:
    env = env | {"APP_DATABSE_URL": "sqlite://x.sqlite3", "APP_PLATFORM_REGION": "eu"}
    result = run_command(env, tmp_path, "keys", "list")
    assert result.returncode == 0
    assert result.stderr.splitlines() == [
        "warning: APP_DATABSE_URL is not a setting, and is ignored: did you mean APP_DATABASE_URL?"
    ]


@pytest.mark.parametrize(
    ("command", "says"),
    [
        ((), "With no COMMAND, serve the API"),
        (("migrate",), "Apply the migrations the database lacks"),
        (("create-admin",), "Create user NAME as an admin"),
        (("keys",), "The keys of the ring"),
        (("keys", "list"), "Print one line per key of the ring"),
    ],
)
def test_help_says_what_each_command_does_and_where_settings_come_from(
    env: dict[str, str], tmp_path: Path, command: tuple[str, ...], says: str
) -> None:
    result = run_command(env, tmp_path, *command, "--help")
    assert result.returncode == 0
    text = " ".join(result.stdout.split())
    assert says in text
    assert "settings.toml" in text
    assert "APP_<KEY>" in text


def test_version_is_the_packages(env: dict[str, str], tmp_path: Path) -> None:
    result = run_command(env, tmp_path, "--version")
    assert result.returncode == 0
    assert result.stdout == f"stores-api {importlib.metadata.version('stores-api')}\n"


def postgres_on_a_closed_port(tmp_path: Path) -> str:
    return f"postgres://postgres@127.0.0.1:{free_port()}/none"


def sqlite_in_a_directory_that_cannot_be_created(tmp_path: Path) -> str:
    (tmp_path / "a-file").write_text("")
    return f"sqlite://{tmp_path}/a-file/stores.sqlite3"


def sqlite_file_that_cannot_be_opened(tmp_path: Path) -> str:
    (tmp_path / "a-directory.sqlite3").mkdir()
    return f"sqlite://{tmp_path}/a-directory.sqlite3"


def test_sanics_own_command_line_serves_the_app_from_its_factory(
    env: dict[str, str], tmp_path: Path
) -> None:
    sanic = (sys.executable, "-m", "sanic", "app:create_app", "--factory", "--host", "127.0.0.1")
    with started(env, tmp_path, program=sanic) as server:
        server.wait_for_health()
        # Its worker brought the new database's schema up before serving, as server.py does.
        assert httpx.get(f"{server.url}/stores").json()["total"] == 0
    # Not stopped by a signal here: Sanic's own process may still be waiting for its
    # worker's start-up acknowledgement, and then cannot stop (server.py's docstring of
    # _stop_once_everyone_serves); `started` ends the whole session.


@pytest.mark.parametrize(
    "unreachable",
    [
        postgres_on_a_closed_port,
        sqlite_in_a_directory_that_cannot_be_created,
        sqlite_file_that_cannot_be_opened,
    ],
)
def test_a_database_that_cannot_be_reached_ends_the_start_in_one_line(
    env: dict[str, str], tmp_path: Path, unreachable: Callable[[Path], str]
) -> None:
    result = start_failing(env | {"APP_DATABASE_URL": unreachable(tmp_path)}, tmp_path)
    assert result.returncode == 1
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: database: ")


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
    development_env: dict[str, str], tmp_path: Path
) -> None:
    result = start_failing(development_env | {"APP_ENV": "production"}, tmp_path)
    assert result.returncode != 0
    assert result.stderr.strip().splitlines() == [
        "error: invalid settings: "
        "secret_key is the sample one from settings.toml; set APP_SECRET_KEY"
    ]
