"""No token outlives what it says: logins and refreshes racing role changes and deletions,
create-admin ending earlier sessions, and the last admin staying an admin.

Each race is made deterministic by a `Pause` injected in the slow step: the test waits
until the login or refresh is inside its window, changes the user, then lets it finish.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

import pytest

from app.accounts import flows
from app.accounts.passwords import Passwords
from app.accounts.sessions import Client
from app.accounts.tokens import token_manager
from app.db import connect, open_database
from app.db.journal import DatabaseJournal
from app.db.models import Role, User
from app.db.storage import save_or_404
from app.schemas import Credentials, Login
from app.settings import Settings
from tests.app.helpers import PASSWORD, Api, LoggedIn, Pause, promote
from tests.helpers import bearer

if TYPE_CHECKING:
    from sanic_testing.testing import TestingResponse

pytestmark = pytest.mark.usefixtures("database_url")

Change = Callable[["Api", int], Awaitable[None]]


@pytest.fixture
async def boss(api: Api, admin: LoggedIn, settings: Settings) -> int:
    """A second admin, the one demoted or deleted while logging in."""
    boss_id = await api.register("boss")
    await promote(settings, "boss")
    return boss_id


# What PATCH and DELETE /users/{id} do, run by the test while a request is paused (the
# test client cannot serve a second request then: it restarts the app per request).


async def demote(api: Api, user_id: int) -> None:
    with api.app.ctx.orm:
        await flows.change_role(api.app.ctx.jwt, user_id, Role.USER)


async def delete(api: Api, user_id: int) -> None:
    with api.app.ctx.orm:
        await flows.delete_user(api.app.ctx.jwt, user_id)


async def login_paused_in_hashing(
    api: Api, pause: Pause, monkeypatch: pytest.MonkeyPatch
) -> asyncio.Task[TestingResponse]:
    passwords = api.app.ctx.passwords
    monkeypatch.setattr(passwords, "verify", pause.before(passwords.verify))
    body = {"username": "boss", "password": PASSWORD}
    login = asyncio.create_task(api.call("POST", "/login", json=body))
    await pause.reached.wait()
    return login


async def test_a_login_under_way_during_a_demotion_yields_no_usable_token(
    api: Api, admin: LoggedIn, boss: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    pause = Pause()
    login = await login_paused_in_hashing(api, pause, monkeypatch)
    await demote(api, boss)
    pause.release()
    response = await login
    assert response.status_code == 200  # the password was right when the row was read
    tokens = response.json
    as_admin = await api.call("GET", f"/users/{boss}", headers=bearer(tokens["access_token"]))
    assert as_admin.status_code == 401
    assert as_admin.json == {"msg": "Token has been revoked."}
    refresh = await api.call(
        "POST", "/refresh", headers={"X-Refresh-Token": f"Bearer {tokens['refresh_token']}"}
    )
    assert refresh.status_code == 401


async def test_a_login_under_way_during_a_deletion_yields_no_token(
    api: Api, admin: LoggedIn, boss: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    pause = Pause()
    login = await login_paused_in_hashing(api, pause, monkeypatch)
    await delete(api, boss)
    pause.release()
    response = await login
    # The password it proved is no longer any account's: refused as a wrong one.
    assert response.status_code == 401
    assert response.json == {"msg": "Invalid credentials."}


@pytest.mark.parametrize("change", [demote, delete])
async def test_a_refresh_under_way_during_a_change_yields_no_usable_token(
    api: Api, admin: LoggedIn, boss: int, change: Change, monkeypatch: pytest.MonkeyPatch
) -> None:
    session = await api.login("boss")
    pause = Pause()
    monkeypatch.setattr(User, "get_or_none", pause.after(User.get_or_none))
    refresh = asyncio.create_task(
        api.call("POST", "/refresh", headers={"X-Refresh-Token": f"Bearer {session.refresh}"})
    )
    await pause.reached.wait()  # the row was read, the token not yet signed
    await change(api, boss)
    pause.release()
    response = await refresh
    assert response.status_code == 200
    as_admin = await api.call(
        "GET", f"/users/{boss}", headers=bearer(response.json["access_token"])
    )
    assert as_admin.status_code == 401


async def test_a_login_after_a_demotion_carries_the_new_role(
    api: Api, admin: LoggedIn, boss: int
) -> None:
    response = await api.call(
        "PATCH", f"/users/{boss}", json={"role": "USER"}, headers=admin.headers
    )
    assert response.status_code == 200
    session = await api.login("boss")
    me = await api.call("GET", "/me", headers=session.headers)
    assert me.json["role"] == "USER"
    assert me.json["private_claims"]["is_admin"] is False


async def test_create_admin_on_an_existing_user_ends_their_refresh_tokens(
    api: Api, user: LoggedIn, settings: Settings
) -> None:
    await promote(settings, "alice")
    response = await api.call(
        "POST", "/refresh", headers={"X-Refresh-Token": f"Bearer {user.refresh}"}
    )
    assert response.status_code == 401
    assert response.json == {"msg": "Token has been revoked."}
    # The new password's session works, with the new role.
    session = await api.login("alice")
    assert (await api.call("GET", "/me", headers=session.headers)).json["role"] == "ADMIN"


# SQLite runs one transaction at a time, so a login there waits for the promotion's commit
# and reads the new row; PostgreSQL lets it read the old row while the promotion is open.
@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
async def test_a_login_while_create_admin_commits_yields_no_usable_refresh_token(
    api: Api, user: LoggedIn, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    pause = Pause()
    monkeypatch.setattr(flows, "save_or_404", pause.after(save_or_404))
    passwords = Passwords(settings)
    # What create-admin does without Redis: a token manager of its own, whose journal
    # (the database) the server reads.
    tokens = token_manager(settings, journal=DatabaseJournal(), redis=None)
    async with open_database(settings.database_url):
        await tokens.open()
        credentials = Credentials(username="alice", password=PASSWORD)
        promotion = asyncio.create_task(flows.make_admin(passwords, tokens, credentials))
        await pause.reached.wait()  # the row is changed, not yet committed
        # What POST /login does meanwhile, reading the row as it was before.
        login = Login(username="alice", password=PASSWORD)
        _, refresh_token = await flows.log_in(passwords, tokens, login, Client("test", "::1"))
        pause.release()
        await promotion
        await tokens.close()
    response = await api.call(
        "POST", "/refresh", headers={"X-Refresh-Token": f"Bearer {refresh_token}"}
    )
    assert response.status_code == 401
    assert response.json == {"msg": "Token has been revoked."}


async def test_the_last_admin_cannot_demote_or_delete_themselves(
    api: Api, admin: LoggedIn, settings: Settings
) -> None:
    async with open_database(settings.database_url):
        root = await User.get(username="root")
    demoted = await api.call(
        "PATCH", f"/users/{root.id}", json={"role": "USER"}, headers=admin.headers
    )
    assert demoted.status_code == 409
    assert "last admin" in demoted.json["msg"]
    deleted = await api.call("DELETE", f"/users/{root.id}", headers=admin.headers)
    assert deleted.status_code == 409
    async with open_database(settings.database_url):
        assert (await User.get(id=root.id)).role == Role.ADMIN


async def test_an_admin_may_step_down_while_another_remains(
    api: Api, admin: LoggedIn, boss: int, settings: Settings
) -> None:
    boss_session = await api.login("boss")
    response = await api.call(
        "PATCH", f"/users/{boss}", json={"role": "USER"}, headers=boss_session.headers
    )
    assert response.status_code == 200
    assert response.json["role"] == "USER"


async def test_a_journal_read_outlasts_a_request_entering_its_context_meanwhile(
    settings: Settings,
) -> None:
    """The server's follower reads the journal through the app's context while requests
    make that same context theirs (app.web.request): the read must not trip over them."""
    context = await connect(settings.database_url)
    journal = DatabaseJournal(lambda: context)
    try:
        read = asyncio.create_task(journal.read(0))
        await asyncio.sleep(0)  # the read is under way, waiting on the database
        context.__enter__()  # what a request does, in another task than the read's
        assert await read == ([], 0)
    finally:
        await context.close_connections()
