"""Sessions: refresh rotation, reuse detection, and sessions users and admins can end.

A login starts a session; each refresh spends its refresh token and hands out the next.
A spent token presented again after the grace period was copied: the whole session ends,
the thief's tokens and the owner's alike, and the user's other sessions go on.
"""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path
from typing import Any

import httpx
import pytest

from app.accounts import flows
from app.db.models import Role
from app.settings import Settings
from tests.app.helpers import PASSWORD, Api, LoggedIn, Pause, build_app
from tests.app.live_server import running

REVOKED = {"msg": "Token has been revoked."}
REUSED = {"msg": "Refresh token reuse detected: the session has ended."}


@pytest.fixture
def strict_api(settings: Settings) -> Api:
    """An app with no grace period: a spent refresh token is reuse at once."""
    return Api(build_app(settings.model_copy(update={"refresh_reuse_grace_seconds": 0})))


async def rotated(api: Api, logged_in: LoggedIn) -> LoggedIn:
    response = await api.refresh(logged_in.refresh)
    assert response.status_code == 200, response.text
    return LoggedIn(response.json["access_token"], response.json["refresh_token"])


# --- rotation -------------------------------------------------------------------------


async def test_the_next_pair_works_and_the_spent_token_is_refused(strict_api: Api) -> None:
    await strict_api.register("alice")
    first = await strict_api.login("alice")
    second = await rotated(strict_api, first)
    assert (await strict_api.call("GET", "/me", headers=second.headers)).status_code == 200
    third = await rotated(strict_api, second)  # and on, as long as each is used once
    spent = await strict_api.refresh(first.refresh)
    assert (spent.status_code, spent.json) == (401, REUSED)
    assert spent.headers["www-authenticate"].startswith('Bearer error="invalid_token"')
    # The session has ended: its newest pair is refused too.
    assert (await strict_api.call("GET", "/me", headers=third.headers)).json == REVOKED
    assert (await strict_api.refresh(third.refresh)).status_code == 401


async def test_reuse_spares_the_users_other_sessions(strict_api: Api) -> None:
    await strict_api.register("alice")
    stolen = await strict_api.login("alice")
    laptop = await strict_api.login("alice")
    await rotated(strict_api, stolen)
    assert (await strict_api.refresh(stolen.refresh)).status_code == 401
    assert (await strict_api.call("GET", "/me", headers=laptop.headers)).status_code == 200
    assert (await strict_api.refresh(laptop.refresh)).status_code == 200


async def test_within_the_grace_period_a_spent_token_is_a_retry(api: Api) -> None:
    """The default grace period: a client whose answer was lost tries again."""
    await api.register("alice")
    first = await api.login("alice")
    lost = await rotated(api, first)
    retry = await rotated(api, first)
    for pair in (lost, retry):
        assert (await api.call("GET", "/me", headers=pair.headers)).status_code == 200
    assert (await api.call("GET", "/me", headers=first.headers)).status_code == 200


# --- the sessions routes ----------------------------------------------------------------


async def test_a_user_sees_their_sessions_newest_first_with_this_one_marked(api: Api) -> None:
    await api.register("alice")
    older = await api.login("alice")
    newer = await api.login("alice")
    response = await api.call("GET", "/me/sessions", headers=older.headers)
    assert response.status_code == 200
    sessions = response.json["sessions"]
    assert [session["current"] for session in sessions] == [False, True]
    assert set(sessions[0]) == {
        "id", "created_at", "last_used_at", "user_agent", "address", "current"
    }  # fmt: skip
    assert sessions[0]["created_at"] >= sessions[1]["created_at"]
    assert sessions[1]["user_agent"].startswith("python-httpx/")  # the test client's
    assert sessions[1]["address"]  # the test client's peer name; a real one: see below
    assert isinstance(sessions[1]["id"], str)
    assert (await api.call("GET", "/me/sessions", headers=newer.headers)).json["sessions"][0][
        "current"
    ]


async def test_a_refresh_moves_last_used_at_and_keeps_the_session(api: Api) -> None:
    await api.register("alice")
    logged_in = await api.login("alice")
    before = (await api.call("GET", "/me/sessions", headers=logged_in.headers)).json
    refreshed = await rotated(api, logged_in)
    after = (await api.call("GET", "/me/sessions", headers=refreshed.headers)).json
    assert [s["id"] for s in after["sessions"]] == [s["id"] for s in before["sessions"]]
    assert after["sessions"][0]["last_used_at"] > before["sessions"][0]["last_used_at"]
    assert after["sessions"][0]["current"]


async def test_ending_a_session_refuses_its_tokens_everywhere(api: Api) -> None:
    await api.register("alice")
    phone = await api.login("alice")
    laptop = await api.login("alice")
    listed = (await api.call("GET", "/me/sessions", headers=laptop.headers)).json["sessions"]
    phone_id = next(session["id"] for session in listed if not session["current"])
    ended = await api.call("DELETE", f"/me/sessions/{phone_id}", headers=laptop.headers)
    assert ended.status_code == 200
    assert set(ended.json) == {"msg"}
    for method, path in [("GET", "/me"), ("GET", "/items"), ("GET", "/me/sessions")]:
        response = await api.call(method, path, headers=phone.headers)
        assert (response.status_code, response.json) == (401, REVOKED), path
    assert (await api.refresh(phone.refresh)).status_code == 401
    assert (await api.call("GET", "/me", headers=laptop.headers)).status_code == 200
    remaining = (await api.call("GET", "/me/sessions", headers=laptop.headers)).json
    assert [session["current"] for session in remaining["sessions"]] == [True]


async def test_another_users_session_is_not_found(api: Api) -> None:
    await api.register("alice")
    await api.register("bob")
    alice = await api.login("alice")
    bob = await api.login("bob")
    bobs = (await api.call("GET", "/me/sessions", headers=bob.headers)).json["sessions"]
    for session_id in (bobs[0]["id"], "no-such-session", "x" * 300):
        response = await api.call("DELETE", f"/me/sessions/{session_id}", headers=alice.headers)
        assert (response.status_code, response.json) == (404, {"msg": "Session not found."})
    assert (await api.call("GET", "/me", headers=bob.headers)).status_code == 200


async def test_an_admin_lists_and_ends_a_users_sessions(
    api: Api, admin: LoggedIn, user: LoggedIn
) -> None:
    alice = (await api.call("GET", "/me", headers=user.headers)).json["id"]
    listed = await api.call("GET", f"/users/{alice}/sessions", headers=admin.headers)
    assert listed.status_code == 200
    [session] = listed.json["sessions"]
    assert session["current"] is False  # not the admin's own
    ended = await api.call(
        "DELETE", f"/users/{alice}/sessions/{session['id']}", headers=admin.headers
    )
    assert ended.status_code == 200
    assert (await api.call("GET", "/me", headers=user.headers)).json == REVOKED
    gone = await api.call(
        "DELETE", f"/users/{alice}/sessions/{session['id']}", headers=admin.headers
    )
    assert gone.status_code == 404
    assert (await api.call("GET", "/users/9999/sessions", headers=admin.headers)).status_code == 404


async def test_only_admins_see_other_users_sessions(api: Api, user: LoggedIn) -> None:
    alice = (await api.call("GET", "/me", headers=user.headers)).json["id"]
    response = await api.call("GET", f"/users/{alice}/sessions", headers=user.headers)
    assert response.status_code == 403


async def test_a_role_change_ends_every_session_of_the_user(
    api: Api, admin: LoggedIn, user: LoggedIn
) -> None:
    alice = (await api.call("GET", "/me", headers=user.headers)).json["id"]
    await api.login("alice")
    changed = await api.call(
        "PATCH", f"/users/{alice}", json={"role": "ADMIN"}, headers=admin.headers
    )
    assert changed.status_code == 200
    listed = await api.call("GET", f"/users/{alice}/sessions", headers=admin.headers)
    assert listed.json == {"sessions": []}
    assert (await api.refresh(user.refresh)).status_code == 401


async def test_a_refresh_checked_before_a_role_change_and_run_after_it_yields_no_usable_token(
    api: Api, admin: LoggedIn, user: LoggedIn, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The refresh token passed the guard's blacklist check before the change; the view
    reads the row after the change (past both cut-offs), so it signs a pair the cut-offs
    do not cover, for a session the change recorded as ended."""
    alice = (await api.call("GET", "/me", headers=user.headers)).json["id"]
    pause = Pause()
    monkeypatch.setattr(flows, "refresh", pause.before(flows.refresh))
    refresh = asyncio.create_task(api.refresh(user.refresh))
    await pause.reached.wait()  # the token checked, the row not read yet
    with api.app.ctx.orm:
        await flows.change_role(api.app.ctx.jwt, alice, Role.ADMIN)
    pause.release()
    response = await refresh
    assert response.status_code in (200, 401), response.text
    if response.status_code == 200:
        pair = LoggedIn(response.json["access_token"], response.json["refresh_token"])
        assert (await api.call("GET", "/me", headers=pair.headers)).json == REVOKED
        assert (await api.refresh(pair.refresh)).status_code == 401


# --- a new password, and logging out everywhere ---------------------------------------

NEW_PASSWORD = "a brand new passphrase"


async def change_password(api: Api, logged_in: LoggedIn, current: str = PASSWORD) -> Any:
    body = {"current_password": current, "new_password": NEW_PASSWORD}
    return await api.call("PUT", "/me/password", json=body, headers=logged_in.headers)


async def test_a_new_password_ends_the_other_sessions_and_keeps_this_one(api: Api) -> None:
    await api.register("alice")
    laptop = await api.login("alice")
    phone = await api.login("alice")
    changed = await change_password(api, laptop)
    assert (changed.status_code, changed.json) == (
        200,
        {"msg": "Password changed; your other sessions have ended."},
    )
    # The phone's session has ended, its refresh token too.
    assert (await api.call("GET", "/me", headers=phone.headers)).json == REVOKED
    assert (await api.refresh(phone.refresh)).status_code == 401
    # This one goes on: its access token works, and so does its refresh token.
    assert (await api.call("GET", "/me", headers=laptop.headers)).status_code == 200
    refreshed = await rotated(api, laptop)
    listed = (await api.call("GET", "/me/sessions", headers=refreshed.headers)).json
    assert [session["current"] for session in listed["sessions"]] == [True]
    # The new password logs in; the old one no longer does.
    await api.login("alice", NEW_PASSWORD)
    old = await api.call("POST", "/login", json={"username": "alice", "password": PASSWORD})
    assert old.status_code == 401


async def test_a_wrong_current_password_is_refused_and_counted(settings: Settings) -> None:
    """403, not 401 (which OAuth2 clients read as an expired token); each one counts as a
    failed login, so the throttle bounds the guessing."""
    api = Api(build_app(settings.model_copy(update={"login_max_failures": 2})))
    await api.register("alice")
    alice = await api.login("alice")
    for _ in range(2):
        wrong = await change_password(api, alice, current="not my password")
        assert (wrong.status_code, wrong.json) == (403, {"msg": "The current password is wrong."})
    throttled = await change_password(api, alice)
    assert throttled.status_code == 429
    assert int(throttled.headers["retry-after"]) >= 1
    assert (await api.call("GET", "/me", headers=alice.headers)).status_code == 200


@pytest.mark.parametrize(
    "body",
    [
        {"current_password": PASSWORD, "new_password": "short"},
        {"current_password": PASSWORD, "new_password": "x" * 129},
        {"current_password": PASSWORD},
        {"current_password": PASSWORD, "new_password": NEW_PASSWORD, "username": "bob"},
    ],
)
async def test_a_new_password_follows_the_registration_rules(
    api: Api, user: LoggedIn, body: dict[str, str]
) -> None:
    response = await api.call("PUT", "/me/password", json=body, headers=user.headers)
    assert response.status_code == 422
    await api.login("alice")  # the password is unchanged


async def test_changing_a_password_needs_an_access_token(api: Api, user: LoggedIn) -> None:
    body = {"current_password": PASSWORD, "new_password": NEW_PASSWORD}
    assert (await api.call("PUT", "/me/password", json=body)).status_code == 401
    refresh = {"Authorization": f"Bearer {user.refresh}"}
    assert (await api.call("PUT", "/me/password", json=body, headers=refresh)).status_code == 401


async def test_logging_out_everywhere_ends_every_session_this_one_too(api: Api) -> None:
    await api.register("alice")
    await api.register("bob")
    laptop = await api.login("alice")
    phone = await api.login("alice")
    bob = await api.login("bob")
    response = await api.call("POST", "/logout/all", headers=laptop.headers)
    assert (response.status_code, response.json) == (
        200,
        {"msg": "Logged out everywhere: every session has ended."},
    )
    for session in (laptop, phone):
        assert (await api.call("GET", "/me", headers=session.headers)).json == REVOKED
        assert (await api.refresh(session.refresh)).status_code == 401
    assert (await api.call("GET", "/me", headers=bob.headers)).status_code == 200
    again = await api.login("alice")  # a new login starts afresh
    listed = (await api.call("GET", "/me/sessions", headers=again.headers)).json
    assert [session["current"] for session in listed["sessions"]] == [True]


# --- across workers ---------------------------------------------------------------------


def test_of_20_concurrent_rotations_over_two_workers_exactly_one_wins(
    env: dict[str, str], tmp_path: Path, redis_url: str
) -> None:
    options = {"APP_REDIS_URL": redis_url, "APP_REFRESH_REUSE_GRACE_SECONDS": "0"}
    with running(env | options, tmp_path, "--workers", "2") as server:
        with httpx.Client(base_url=server.url) as client:
            credentials = {"username": "alice", "password": PASSWORD}
            assert client.post("/register", json=credentials).status_code == 201
            tokens = client.post("/login", json=credentials).json()
            refresh = tokens["refresh_token"]
            headers = {"Authorization": f"Bearer {tokens['access_token']}"}
            [session] = client.get("/me/sessions", headers=headers).json()["sessions"]
            assert session["address"] == "127.0.0.1"
        statuses = asyncio.run(_rotate_at_once(server.url, refresh, 20))
        assert server.stop(signal.SIGTERM) == 0
    assert sorted(statuses) == [200] + [401] * 19


async def _rotate_at_once(url: str, refresh: str, count: int) -> list[int]:
    headers = {"X-Refresh-Token": f"Bearer {refresh}"}
    limits = httpx.Limits(max_connections=count)  # one connection each: both workers serve
    async with httpx.AsyncClient(base_url=url, limits=limits) as client:
        responses = await asyncio.gather(
            *(client.post("/refresh", headers=headers) for _ in range(count))
        )
    return [response.status_code for response in responses]
