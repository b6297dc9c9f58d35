"""Revocations outlive the server: each kind, revoked, then the real server restarted.

Production mode, one worker, no Redis (which production allows): the blacklist lives in
the server's memory, and the journal in the database refills it when the server starts.
Without it, a demoted admin's token opened the admin routes again after a restart.
"""

from __future__ import annotations

import signal
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from tests.app.live_server import POLL_SECONDS, run_command, running

PASSWORD = "password1"
ROOT_PASSWORD = "root-password"
REVOKED = {"msg": "Token has been revoked."}


@pytest.fixture
def production_env(env: dict[str, str]) -> dict[str, str]:
    return env | {"APP_ENV": "production"}


@contextmanager
def serving(env: dict[str, str], cwd: Path) -> Iterator[httpx.Client]:
    """A running server and a client of it; stopped cleanly at the end."""
    with running(env, cwd) as server, httpx.Client(base_url=server.url) as client:
        yield client
        assert server.stop(signal.SIGTERM) == 0


def create_admin(env: dict[str, str], cwd: Path, name: str, password: str) -> None:
    result = run_command(env, cwd, "create-admin", name, stdin=f"{password}\n")
    assert result.returncode == 0, result.stderr


def log_in(client: httpx.Client, name: str, password: str = PASSWORD) -> dict[str, str]:
    response = client.post("/login", json={"username": name, "password": password})
    assert response.status_code == 200, response.text
    tokens: dict[str, str] = response.json()
    return tokens


def bearer(tokens: dict[str, str]) -> dict[str, str]:
    return {"Authorization": f"Bearer {tokens['access_token']}"}


def refresh_header(tokens: dict[str, str]) -> dict[str, str]:
    return {"X-Refresh-Token": f"Bearer {tokens['refresh_token']}"}


def register(client: httpx.Client, name: str) -> int:
    response = client.post("/register", json={"username": name, "password": PASSWORD})
    assert response.status_code == 201, response.text
    user_id: int = response.json()["id"]
    return user_id


def test_a_demoted_admin_stays_demoted_after_a_restart(
    production_env: dict[str, str], tmp_path: Path
) -> None:
    create_admin(production_env, tmp_path, "root", ROOT_PASSWORD)
    with serving(production_env, tmp_path) as client:
        alice = register(client, "alice")
        root = log_in(client, "root", ROOT_PASSWORD)
        promoted = client.patch(f"/users/{alice}", json={"role": "ADMIN"}, headers=bearer(root))
        assert promoted.status_code == 200
        admin_alice = log_in(client, "alice")
        assert client.get(f"/users/{alice}", headers=bearer(admin_alice)).status_code == 200
        demoted = client.patch(f"/users/{alice}", json={"role": "USER"}, headers=bearer(root))
        assert demoted.status_code == 200

    with serving(production_env, tmp_path) as client:
        response = client.get(f"/users/{alice}", headers=bearer(admin_alice))
        assert (response.status_code, response.json()) == (401, REVOKED)
        # Nor can she promote herself back with it.
        again = client.patch(f"/users/{alice}", json={"role": "ADMIN"}, headers=bearer(admin_alice))
        assert again.status_code == 401
        refreshed = client.post("/refresh", headers=refresh_header(admin_alice))
        assert refreshed.status_code == 401


def test_a_logout_stays_a_logout_after_a_restart(
    production_env: dict[str, str], tmp_path: Path
) -> None:
    with serving(production_env, tmp_path) as client:
        register(client, "alice")
        tokens = log_in(client, "alice")
        headers = bearer(tokens) | refresh_header(tokens)
        assert client.post("/logout", headers=headers).status_code == 200

    with serving(production_env, tmp_path) as client:
        assert client.get("/me", headers=bearer(tokens)).status_code == 401
        refreshed = client.post("/refresh", headers=refresh_header(tokens))
        assert (refreshed.status_code, refreshed.json()) == (401, REVOKED)


def test_a_deleted_users_tokens_stay_refused_after_a_restart(
    production_env: dict[str, str], tmp_path: Path
) -> None:
    create_admin(production_env, tmp_path, "root", ROOT_PASSWORD)
    with serving(production_env, tmp_path) as client:
        alice = register(client, "alice")
        tokens = log_in(client, "alice")
        root = log_in(client, "root", ROOT_PASSWORD)
        assert client.delete(f"/users/{alice}", headers=bearer(root)).status_code == 200

    with serving(production_env, tmp_path) as client:
        assert client.get("/me", headers=bearer(tokens)).status_code == 401
        assert client.post("/refresh", headers=refresh_header(tokens)).status_code == 401


def test_a_password_set_by_create_admin_ends_earlier_tokens_across_a_restart(
    production_env: dict[str, str], tmp_path: Path
) -> None:
    with serving(production_env, tmp_path) as client:
        register(client, "alice")
        tokens = log_in(client, "alice")
    create_admin(production_env, tmp_path, "alice", "a-new-password")  # server stopped

    with serving(production_env, tmp_path) as client:
        assert client.get("/me", headers=bearer(tokens)).status_code == 401
        assert client.post("/refresh", headers=refresh_header(tokens)).status_code == 401
        assert log_in(client, "alice", "a-new-password")


def test_create_admin_reaches_a_running_server_through_the_journal(
    production_env: dict[str, str], tmp_path: Path
) -> None:
    """The running server's blacklist is in its memory; it reads what the command wrote
    in the journal every second (observed by asking, never by sleeping a set time)."""
    with serving(production_env, tmp_path) as client:
        register(client, "alice")
        tokens = log_in(client, "alice")
        create_admin(production_env, tmp_path, "alice", "a-new-password")
        deadline = time.monotonic() + 10
        while client.get("/me", headers=bearer(tokens)).status_code == 200:
            assert time.monotonic() < deadline, "the server never read the journal"
            time.sleep(POLL_SECONDS)
        assert client.get("/me", headers=bearer(tokens)).json() == REVOKED
