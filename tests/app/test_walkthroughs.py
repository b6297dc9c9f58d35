"""The README's walkthroughs, run for real: the curl tour and the async client.

Both run against the real server (`python server.py`), as a user would run them. The
client's refresh on an expired token is proven twice: against a fake server, for what it
does with each refusal, and against the real one with a token that has expired, for the
message the real server sends.
"""

from __future__ import annotations

import asyncio
import re
import shutil
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import httpx
import pytest

from examples.async_client import EXPIRED, ClientError, Session, expect, sign_up
from sanic_jwt_extended import JWT
from sanic_jwt_extended.tokens import Token
from tests.app.helpers import build_app, make_settings
from tests.app.live_server import free_port, running

PROJECT = Path(__file__).resolve().parents[2]
TOUR = PROJECT / "scripts" / "tour.sh"
CLIENT = PROJECT / "examples" / "async_client.py"
RUN_SECONDS = 60

# One line per step; these are the steps that tell the story.
TOUR_LINES = (
    r"POST /register alice-\w+: 201 \(id: \d+\)",
    r"server\.py create-admin root-\w+: Promoted admin 'root-\w+'\.",
    r"POST /items Tea, in store \d+: 201 \(id: \d+\)",
    r"DELETE /items/\d+ as alice-\w+, a USER: 403 \(msg: Admin privilege required\.\)",
    r"DELETE /items/\d+ as root-\w+, an ADMIN: 200 \(msg: Item deleted\.\)",
    r"GET /me as (alice-\w+): 200 "
    r'\(private_claims: \{"uid":\d+,"username":"\1","is_admin":false\}\)',
    r"POST /refresh with alice-\w+'s refresh token: 200",
    r"POST /items with the refreshed access token, which is not fresh: 401 "
    r"\(msg: Fresh token required\.\)",
    # Newest first: the other device's (asking), then the first login's.
    r"GET /me/sessions as alice-\w+: 200 "
    r'\(sessions: \[\{"id":[^]]*"current":true\},\{"id":[^]]*"current":false\}\]\)',
    r"POST /refresh with the spent refresh token, after the grace period: 401 "
    r"\(msg: Refresh token reuse detected: the session has ended\.\)",
    r"GET /me with that session's newest access token: 401 \(msg: Token has been revoked\.\)",
    r"GET /me from the other device: its session goes on: 200 \(role: USER\)",
    r"POST /logout from the other device: 200 \(msg: Logged out\.\)",
    r"GET /me with the logged-out access token: 401 \(msg: Token has been revoked\.\)",
    r"POST /refresh with the logged-out session's refresh token: 401 "
    r"\(msg: Token has been revoked\.\)",
    r"POST /login root-\w+, as an OAuth2 password grant \(a form\): 200 \(token_type: Bearer\)",
    r"PATCH /items/\d+, its price alone: 200 \(price: 2\.5\)",
    r"GET /users as alice-\w+, a USER: 403 \(msg: Admin privilege required\.\)",
    r"GET /users\?search=alice-\w+ as root-\w+, an ADMIN: 200 \(total: 1\)",
    r"PUT /me/password with a wrong current password: 403 "
    r"\(msg: The current password is wrong\.\)",
    r"GET /me from the phone: 401 \(msg: Token has been revoked\.\)",
    r"GET /me from the laptop: its session goes on: 200 \(role: USER\)",
    r"POST /logout/all from the laptop: 200 \(msg: Logged out everywhere: every session has "
    r"ended\.\)",
    r"GET /me from the laptop, logged out everywhere: 401 \(msg: Token has been revoked\.\)",
    r"Tour complete: every step answered as expected\.",
)
CLIENT_SUMMARY = (
    r"Created store \d+ and 50 items concurrently in \d+\.\d\d s; listed 50 items in 3 pages; "
    r"refreshed the access token 0 times; logged out\.\n"
)


def test_the_tour_tells_the_whole_story_on_any_database(
    env: dict[str, str], tmp_path: Path
) -> None:
    with running(env, tmp_path) as server:
        first = _tour(server.url, env, tmp_path)
        # Again on the same, no longer empty, database; this time JSON is read by python3.
        second = _tour(server.url, env | {"PATH": str(_path_without_jq(tmp_path))}, tmp_path)
    for run in (first, second):
        assert run.returncode == 0, run.stdout + run.stderr
        assert run.stderr == ""
        for line in TOUR_LINES:
            assert re.search(f"^{line}$", run.stdout, re.MULTILINE), line
    assert _user_names(first.stdout).isdisjoint(_user_names(second.stdout))


def test_the_tour_tells_the_same_story_against_an_es256_server(
    es256_env: dict[str, str], tmp_path: Path
) -> None:
    """Signing with a private key changes no answer: the whole tour, against a server (and
    its create-admin) signing with an ES256 key file, whose public key it publishes."""
    with running(es256_env, tmp_path) as server:
        run = _tour(server.url, es256_env, tmp_path)
        published = httpx.get(f"{server.url}/.well-known/jwks.json").json()["keys"]
    assert run.returncode == 0, run.stdout + run.stderr
    assert run.stderr == ""
    for line in TOUR_LINES:
        assert re.search(f"^{line}$", run.stdout, re.MULTILINE), line
    assert [key["alg"] for key in published] == ["ES256"]


def test_the_tour_stops_when_create_admin_uses_another_database(
    env: dict[str, str], tmp_path: Path
) -> None:
    elsewhere = env | {"APP_DATABASE_URL": f"sqlite://{tmp_path}/elsewhere.sqlite3"}
    with running(env, tmp_path) as server:
        run = _tour(server.url, elsewhere, tmp_path)
    assert run.returncode == 1
    assert run.stdout.splitlines()[-1].startswith("POST /register root-")
    assert run.stderr.startswith("tour failed: server.py create-admin root-")
    assert "the server's working directory and APP_DATABASE_URL" in run.stderr


def test_the_tour_names_the_first_unexpected_status(env: dict[str, str], tmp_path: Path) -> None:
    nowhere = f"http://127.0.0.1:{free_port()}"
    run = _tour(nowhere, env, tmp_path)
    assert run.returncode == 1
    assert run.stdout == ""
    assert f"tour failed: GET /health: expected 200, got 000 (no answer from {nowhere})" in (
        run.stderr
    )


def test_the_async_client_runs_against_the_real_server(env: dict[str, str], tmp_path: Path) -> None:
    with running(env, tmp_path) as server:
        run = subprocess.run(
            [sys.executable, str(CLIENT), server.url],
            capture_output=True,
            text=True,
            timeout=RUN_SECONDS,
            check=False,
        )
        assert run.returncode == 0, run.stderr
        assert re.fullmatch(CLIENT_SUMMARY, run.stdout), run.stdout
        asyncio.run(_refreshes_an_expired_token(server.url))


async def _refreshes_an_expired_token(url: str) -> None:
    """The real server's answer to an expired token makes the client refresh it."""
    async with httpx.AsyncClient(base_url=url) as client:
        session = await sign_up(client)
        expired = _expired_copy(session.fresh_access)
        session = Session(client, session.fresh_access, session.refresh_token, access=expired)
        response = await session.request("GET", "/me")
    assert response.status_code == 200
    assert session.refreshes == 1
    assert session.access != expired


def _expired_copy(access: str) -> str:
    """An access token for the same user that expired a minute ago, signed as the server
    signs (the `env` fixture gives it the test settings' secret and claim prefix)."""
    build_app(make_settings())
    token = Token(access)
    return JWT.create_access_token(
        token.identity,
        role=token.role,
        fresh=True,
        private_claims=token.private_claims,
        expires_delta=timedelta(minutes=-1),
    )


async def test_expired_tokens_are_refreshed_once_for_concurrent_requests() -> None:
    requests: list[httpx.Request] = []
    async with _fake_server(EXPIRED, requests) as client:
        session = Session(client, "fresh", "the-refresh-token", access="old")
        responses = await asyncio.gather(*(session.request("GET", "/me") for _ in range(3)))
    assert [response.status_code for response in responses] == [200, 200, 200]
    refreshes = [request for request in requests if request.url.path == "/refresh"]
    assert [request.headers["X-Refresh-Token"] for request in refreshes] == [
        "Bearer the-refresh-token"
    ]
    assert session.refreshes == 1
    assert session.access == "new"


@pytest.mark.parametrize(
    ("fresh", "refusal"),
    [
        (False, "Token has been revoked."),  # only an expired token is worth a refresh
        (True, EXPIRED),  # a refreshed token would not be fresh
    ],
)
async def test_other_refusals_are_errors_without_a_refresh(fresh: bool, refusal: str) -> None:
    requests: list[httpx.Request] = []
    async with _fake_server(refusal, requests) as client:
        session = Session(client, "old", "the-refresh-token")
        send = session.fresh_request if fresh else session.request
        response = await send("POST", "/items", json={})
    assert response.status_code == 401
    with pytest.raises(ClientError, match=re.escape("POST /items: expected 201, got 401")):
        expect(response, 201)
    assert [request.url.path for request in requests] == ["/items"]
    assert session.refreshes == 0


def _fake_server(refusal: str, requests: list[httpx.Request]) -> httpx.AsyncClient:
    """A client of a fake API: it refuses the token "old" with 401 `refusal`, accepts
    "new", and answers /refresh with "new". Every request is appended to `requests`."""

    def answer(request: httpx.Request) -> httpx.Response:
        requests.append(request)
        if request.url.path == "/refresh":
            return httpx.Response(200, json={"access_token": "new"})
        if request.headers["Authorization"] == "Bearer new":
            return httpx.Response(200, json={})
        return httpx.Response(401, json={"msg": refusal})

    return httpx.AsyncClient(base_url="http://api.test", transport=httpx.MockTransport(answer))


def _tour(url: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    """scripts/tour.sh against `url`; create-admin runs under the test's interpreter, and
    the tour waits out the server's grace period (the `env` fixture's)."""
    bash = shutil.which("bash")
    assert bash is not None
    return subprocess.run(
        [bash, str(TOUR), url],
        env=env
        | {
            "PYTHON": sys.executable,
            "REUSE_GRACE_SECONDS": env["APP_REFRESH_REUSE_GRACE_SECONDS"],
        },
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=RUN_SECONDS,
        check=False,
    )


def _path_without_jq(tmp_path: Path) -> Path:
    """A PATH directory holding only what the tour needs besides bash, without jq."""
    directory = tmp_path / "bin"
    directory.mkdir()
    for name, target in (("curl", shutil.which("curl")), ("python3", sys.executable)):
        assert target is not None, f"{name} is needed"
        (directory / name).symlink_to(target)
    return directory


def _user_names(output: str) -> set[str]:
    return set(re.findall(r"^POST /register (\S+):", output, re.MULTILINE))
