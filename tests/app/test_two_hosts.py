"""Two hosts: two real `python server.py` processes on one PostgreSQL database and one Redis.

Issue 16, items 6 and 7. Each host is a production server (`APP_ENV=production`, a
random secret of its own run, shared by both hosts as a deployment shares it) with two
workers, so a request may land on any of four processes. Whatever one host does to a
session, a role or a failed-login count, the other enforces at its very next request:
the checks ask the other host straight away, never after a sleep. The concurrency
checks count answers and rows: of racing writes, the database keeps exactly what the
answers said, and nothing that a deleted row owned.

Cheap argon2 (as every test uses) is the one setting that is not production's: 100
registrations at production's 64 MiB each would take most of a minute on two cores.
The hosts, the database and the admin `root` (made by `server.py create-admin`) are the
module's; each test uses accounts of its own.
"""

from __future__ import annotations

import asyncio
import secrets
import signal
import time
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Iterator
from contextlib import ExitStack, asynccontextmanager
from dataclasses import dataclass
from typing import Any

import asyncpg
import httpx
import pytest
from redis import Redis

from tests.app.helpers import PASSWORD, live_env
from tests.app.live_server import (
    POLL_SECONDS,
    START_UP_SECONDS,
    LiveServer,
    run_command,
    started,
)
from tests.helpers import postgres_database_beside

REVOKED = {"msg": "Token has been revoked."}
REUSED = {"msg": "Refresh token reuse detected: the session has ended."}
THROTTLED = {"msg": "Too many failed logins: try again later."}
INVALID = {"msg": "Invalid credentials."}
NAME_TAKEN = {"msg": "That username is taken."}
INVALID_TOKEN = 'Bearer error="invalid_token"'
WRONG_PASSWORD = "not the password at all"

ROOT = "root"
WORKERS = ("--workers", "2")
LOGIN_MAX_FAILURES = 5
LOGIN_WINDOW_SECONDS = 900
# A production server answers in milliseconds; two cores and a hundred requests at once
# can make one wait for seconds.
TIMEOUT = httpx.Timeout(30.0)


# --- the hosts ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Hosts:
    a: LiveServer
    b: LiveServer
    database_url: str


def production_env(database_url: str, redis_url: str) -> dict[str, str]:
    """What both hosts run with: no APP_* of the developer's shell, production's checks."""
    return live_env(database_url) | {
        "APP_ENV": "production",
        "APP_SECRET_KEY": secrets.token_urlsafe(64),
        "APP_REDIS_URL": redis_url,
        # Every second presentation of a spent refresh token is reuse.
        "APP_REFRESH_REUSE_GRACE_SECONDS": "0",
        "APP_LOGIN_MAX_FAILURES": str(LOGIN_MAX_FAILURES),
        "APP_LOGIN_FAILURE_WINDOW_SECONDS": str(LOGIN_WINDOW_SECONDS),
    }


def flush(redis_url: str) -> None:
    client = Redis.from_url(redis_url)
    try:
        client.flushdb()
    finally:
        client.close()


@pytest.fixture(scope="module")
def hosts_database(postgres_url: str) -> Iterator[str]:
    """A PostgreSQL database of this module's own, beside the session's, empty."""
    with postgres_database_beside(postgres_url) as url:
        yield url


@pytest.fixture(scope="module")
def hosts(
    hosts_database: str, redis_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Hosts]:
    """Hosts A and B, each `server.py --workers 2` in a directory of its own, on the
    database (migrated by `server.py migrate`) and the test Redis database (flushed)."""
    flush(redis_url)
    env = production_env(hosts_database, redis_url)
    operator = tmp_path_factory.mktemp("operator")
    for arguments, stdin in [(("migrate",), None), (("create-admin", ROOT), f"{PASSWORD}\n")]:
        result = run_command(env, operator, *arguments, stdin=stdin)
        assert result.returncode == 0, result.stderr
    try:
        with ExitStack() as stack:
            # Both start at once (each as `running` starts one), then both are waited for.
            a, b = (
                stack.enter_context(started(env, tmp_path_factory.mktemp(name), *WORKERS))
                for name in ("host-a", "host-b")
            )
            for host in (a, b):
                host.wait_until_ready()
            yield Hosts(a, b, hosts_database)
            for host in (a, b):
                assert host.stop(signal.SIGTERM) == 0
                assert host.leftovers() == []
    finally:
        flush(redis_url)


@asynccontextmanager
async def clients(hosts: Hosts) -> AsyncIterator[tuple[httpx.AsyncClient, httpx.AsyncClient]]:
    """A client of each host, with a connection per request in flight: concurrent
    requests reach both workers of a host."""
    limits = httpx.Limits(max_connections=None, max_keepalive_connections=None)
    async with (
        httpx.AsyncClient(base_url=hosts.a.url, limits=limits, timeout=TIMEOUT) as a,
        httpx.AsyncClient(base_url=hosts.b.url, limits=limits, timeout=TIMEOUT) as b,
    ):
        yield a, b


def spread(
    clients: tuple[httpx.AsyncClient, httpx.AsyncClient], count: int
) -> list[httpx.AsyncClient]:
    """`count` clients, A and B in turn: half the requests to each host."""
    return [clients[index % 2] for index in range(count)]


async def at_once(requests: list[Awaitable[httpx.Response]]) -> list[httpx.Response]:
    return list(await asyncio.gather(*requests))


async def connect(database_url: str) -> Any:
    """A connection of the test's own to the hosts' database (not through the service)."""
    return await asyncpg.connect(database_url.replace("postgres://", "postgresql://", 1))


async def fetch_value(database_url: str, sql: str, *args: object) -> Any:
    """One value the database holds, asked directly."""
    connection = await connect(database_url)
    try:
        return await connection.fetchval(sql, *args)
    finally:
        await connection.close()


# --- the calls ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Pair:
    """The tokens a login or a refresh answered."""

    access: str
    refresh: str

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.access}"}

    @property
    def refresh_header(self) -> dict[str, str]:
        return {"X-Refresh-Token": f"Bearer {self.refresh}"}


def pair_of(response: httpx.Response) -> Pair:
    assert response.status_code == 200, response.text
    body = response.json()
    return Pair(body["access_token"], body["refresh_token"])


async def register(client: httpx.AsyncClient, username: str) -> int:
    response = await client.post("/register", json={"username": username, "password": PASSWORD})
    assert response.status_code == 201, response.text
    user_id: int = response.json()["id"]
    return user_id


def log_in_call(
    client: httpx.AsyncClient, username: str, password: str = PASSWORD
) -> Awaitable[httpx.Response]:
    return client.post("/login", json={"username": username, "password": password})


async def log_in(client: httpx.AsyncClient, username: str) -> Pair:
    return pair_of(await log_in_call(client, username))


def refresh_call(client: httpx.AsyncClient, pair: Pair) -> Awaitable[httpx.Response]:
    return client.post("/refresh", headers=pair.refresh_header)


def assert_refused(response: httpx.Response, body: dict[str, str] = REVOKED) -> None:
    assert (response.status_code, response.json()) == (401, body), response.text
    assert response.headers["www-authenticate"].startswith(INVALID_TOKEN)


async def assert_pair_refused(client: httpx.AsyncClient, pair: Pair) -> None:
    """Neither token of `pair` works on `client`'s host: the access token for a route,
    the refresh token for a refresh."""
    assert_refused(await client.get("/me", headers=pair.auth))
    assert_refused(await refresh_call(client, pair))


async def assert_pair_works(client: httpx.AsyncClient, pair: Pair) -> Pair:
    """Both tokens of `pair` work on `client`'s host; the refresh's next pair."""
    me = await client.get("/me", headers=pair.auth)
    assert me.status_code == 200, me.text
    return pair_of(await refresh_call(client, pair))


# --- item 6: done on A, enforced on B at once --------------------------------------------


async def test_a_logout_on_host_a_refuses_both_tokens_on_host_b(hosts: Hosts) -> None:
    async with clients(hosts) as (a, b):
        await register(a, "logout-user")
        session = await log_in(a, "logout-user")
        assert (await b.get("/me", headers=session.auth)).status_code == 200
        # No X-Refresh-Token sent: the session's end refuses its refresh token too.
        logout = await a.post("/logout", headers=session.auth)
        assert (logout.status_code, logout.json()) == (200, {"msg": "Logged out."})
        await assert_pair_refused(b, session)
        await assert_pair_refused(a, session)


async def test_a_demotion_on_host_a_refuses_the_users_earlier_tokens_on_host_b(
    hosts: Hosts,
) -> None:
    async with clients(hosts) as (a, b):
        root = await log_in(a, ROOT)
        user_id = await register(b, "demoted-user")
        promoted = await a.patch(f"/users/{user_id}", json={"role": "ADMIN"}, headers=root.auth)
        assert promoted.json()["role"] == "ADMIN", promoted.text
        admin = await log_in(b, "demoted-user")
        assert (await b.get(f"/users/{user_id}", headers=admin.auth)).status_code == 200

        demoted = await a.patch(f"/users/{user_id}", json={"role": "USER"}, headers=root.auth)
        assert demoted.json() == {"id": user_id, "username": "demoted-user", "role": "USER"}
        assert_refused(await b.get(f"/users/{user_id}", headers=admin.auth))
        await assert_pair_refused(b, admin)
        # Logged in again, the user is one: refused the admin routes, on either host.
        again = await log_in(b, "demoted-user")
        for client in (a, b):
            refused = await client.get(f"/users/{user_id}", headers=again.auth)
            assert refused.status_code == 403, refused.text


async def test_a_session_ended_on_host_a_is_refused_on_host_b(hosts: Hosts) -> None:
    async with clients(hosts) as (a, b):
        await register(a, "two-devices")
        phone = await log_in(b, "two-devices")
        laptop = await log_in(a, "two-devices")
        listed = (await a.get("/me/sessions", headers=laptop.auth)).json()["sessions"]
        [phone_session] = [session["id"] for session in listed if not session["current"]]
        ended = await a.delete(f"/me/sessions/{phone_session}", headers=laptop.auth)
        assert ended.status_code == 200, ended.text
        assert_refused(await refresh_call(b, phone))
        assert_refused(await b.get("/me", headers=phone.auth))
        # The user's other session goes on, on either host.
        laptop = await assert_pair_works(b, laptop)
        await assert_pair_works(a, laptop)


async def test_a_reuse_detected_on_host_a_ends_the_session_on_host_b(hosts: Hosts) -> None:
    async with clients(hosts) as (a, b):
        await register(a, "reused-user")
        stolen = await log_in(a, "reused-user")
        other = await log_in(b, "reused-user")
        rotated = pair_of(await refresh_call(a, stolen))
        # The spent token again, after the (zero) grace period: reuse.
        assert_refused(await refresh_call(a, stolen), REUSED)
        await assert_pair_refused(b, rotated)
        # The user's other session goes on, and is the only one B lists.
        listed = (await b.get("/me/sessions", headers=other.auth)).json()["sessions"]
        assert [session["current"] for session in listed] == [True]
        await assert_pair_works(b, other)


async def test_a_username_throttled_on_host_a_is_throttled_on_host_b(hosts: Hosts) -> None:
    async with clients(hosts) as (a, b):
        await register(a, "throttled-user")
        for _ in range(LOGIN_MAX_FAILURES):
            failed = await log_in_call(a, "throttled-user", WRONG_PASSWORD)
            assert (failed.status_code, failed.json()) == (401, INVALID)
        # The right password, in another letter case, on the other host: refused.
        for client in (b, a):
            refused = await log_in_call(client, "THROTTLED-user")
            assert (refused.status_code, refused.json()) == (429, THROTTLED)
            assert 1 <= int(refused.headers["retry-after"]) <= LOGIN_WINDOW_SECONDS
        # The count is the username's: another account logs in from the same address.
        await register(b, "unthrottled-user")
        await log_in(b, "unthrottled-user")


async def test_of_50_concurrent_refreshes_over_two_hosts_exactly_one_wins(
    hosts: Hosts,
) -> None:
    """With no grace period, each of the 49 losers presents a spent token: reuse, as the
    README defines it. Those that find it spent end the session (401 reuse), those that
    come after find the token revoked (401); and the session has ended for the winner's
    new pair too, which is refused on both hosts."""
    async with clients(hosts) as (a, b):
        await register(a, "racing-refresher")
        session = await log_in(a, "racing-refresher")
        responses = await at_once([refresh_call(client, session) for client in spread((a, b), 50)])
        [winner] = [response for response in responses if response.status_code == 200]
        losers = [response for response in responses if response is not winner]
        for loser in losers:
            assert loser.status_code == 401, loser.text
            assert loser.json() in (REUSED, REVOKED), loser.text
            assert loser.headers["www-authenticate"].startswith(INVALID_TOKEN)
        assert REUSED in [loser.json() for loser in losers]
        assert len(losers) == 49
        for client in (a, b):
            await assert_pair_refused(client, pair_of(winner))
        # The account is untouched: a new login starts a session that works on both.
        await assert_pair_works(a, await assert_pair_works(b, await log_in(b, "racing-refresher")))


# --- item 7: concurrency on PostgreSQL, two workers a host -------------------------------


def letter_cases(name: str, count: int) -> list[str]:
    """`count` spellings of `name`, its letters in upper or lower case as bits of a number:
    one username, however it is written."""
    return [
        "".join(
            letter.upper() if number >> place & 1 else letter for place, letter in enumerate(name)
        )
        for number in range(count)
    ]


async def test_100_concurrent_registrations_of_one_name_make_one_account(hosts: Hosts) -> None:
    names = letter_cases("same-name", 100)
    async with clients(hosts) as (a, b):
        responses = await at_once(
            [
                client.post("/register", json={"username": name, "password": PASSWORD})
                for client, name in zip(spread((a, b), len(names)), names, strict=True)
            ]
        )
        assert Counter(response.status_code for response in responses) == {201: 1, 409: 99}
        [created] = [response.json() for response in responses if response.status_code == 201]
        for response in responses:
            assert response.status_code == 201 or response.json() == NAME_TAKEN, response.text
        rows = await fetch_value(
            hosts.database_url,
            "SELECT count(*) FROM users WHERE username_key = 'same-name'",
        )
        assert rows == 1
        stored = await fetch_value(
            hosts.database_url, "SELECT username FROM users WHERE id = $1", created["id"]
        )
        assert stored == created["username"]
        await log_in(b, "SAME-NAME")


async def test_racing_item_writes_and_a_store_delete_leave_no_orphan(hosts: Hosts) -> None:
    async with clients(hosts) as (a, b):
        root = await log_in(a, ROOT)  # fresh, as POST /items needs, and an admin

        def create(client: httpx.AsyncClient, name: str) -> Awaitable[httpx.Response]:
            body = {"name": name, "price": 1.25, "store_id": store_id}
            return client.post("/items", json=body, headers=root.auth)

        def delete(client: httpx.AsyncClient, path: str) -> Awaitable[httpx.Response]:
            return client.delete(path, headers=root.auth)

        async def counts() -> tuple[int, int, set[int]]:
            """The store's items: as the service pages them (total, and the ids of one
            page) and as the database counts its rows."""
            page = await b.get(f"/items?store_id={store_id}&limit=100", headers=root.auth)
            assert page.status_code == 200, page.text
            rows = await fetch_value(
                hosts.database_url, "SELECT count(*) FROM items WHERE store_id = $1", store_id
            )
            return page.json()["total"], rows, {item["id"] for item in page.json()["items"]}

        created = await a.post("/stores", json={"name": "Racing shop"}, headers=root.auth)
        assert created.status_code == 201, created.text
        store_id = created.json()["id"]
        first = await at_once(
            [create(client, f"first-{n}") for n, client in enumerate(spread((a, b), 25))]
        )
        assert {response.status_code for response in first} == {201}, [r.text for r in first]
        first_ids = [response.json()["id"] for response in first]

        # 50 creates and 25 deletes at once: every one succeeds, and the rows are theirs.
        racing = [create(client, f"second-{n}") for n, client in enumerate(spread((a, b), 50))]
        racing += [
            delete(client, f"/items/{item_id}")
            for client, item_id in zip(spread((b, a), 25), first_ids, strict=True)
        ]
        answers = await at_once(racing)
        assert Counter(response.status_code for response in answers) == {201: 50, 200: 25}
        second_ids = {response.json()["id"] for response in answers[:50]}
        assert await counts() == (50, 50, second_ids)

        # 50 more creates and 25 deletes, and the store's own delete sent last of all.
        racing = [create(client, f"third-{n}") for n, client in enumerate(spread((a, b), 50))]
        racing += [
            delete(client, f"/items/{item_id}")
            for client, item_id in zip(spread((b, a), 25), sorted(second_ids)[:25], strict=True)
        ]
        racing.append(delete(a, f"/stores/{store_id}"))
        answers = await at_once(racing)
        assert (answers[-1].status_code, answers[-1].json()) == (200, {"msg": "Store deleted."})
        for response in answers[:50]:
            assert (response.status_code == 201) or (
                response.status_code,
                response.json(),
            ) == (404, {"msg": "Store not found."}), response.text
        for response in answers[50:75]:
            assert (response.status_code == 200) or (
                response.status_code,
                response.json(),
            ) == (404, {"msg": "Item not found."}), response.text

        # Nothing of the store is left: no row, no page, no item created before its end.
        orphans = await fetch_value(
            hosts.database_url,
            "SELECT count(*) FROM items WHERE store_id NOT IN (SELECT id FROM stores)",
        )
        assert orphans == 0
        assert await counts() == (0, 0, set())
        assert (await b.get(f"/stores/{store_id}")).status_code == 404
        for response in answers[:50]:
            if response.status_code == 201:
                gone = await a.get(f"/items/{response.json()['id']}", headers=root.auth)
                assert gone.status_code == 404, gone.text
        everything = await a.get("/items", headers=root.auth)
        assert everything.json()["total"] == await fetch_value(
            hosts.database_url, "SELECT count(*) FROM items"
        )


async def test_20_concurrent_role_changes_keep_a_role_sent_and_refuse_earlier_tokens(
    hosts: Hosts,
) -> None:
    async with clients(hosts) as (a, b):
        root = await log_in(a, ROOT)
        user_id = await register(a, "flipped-user")
        earlier = [await log_in(a, "flipped-user"), await log_in(b, "flipped-user")]
        roles = ["ADMIN", "USER"] * 10
        answers = await at_once(
            [
                client.patch(f"/users/{user_id}", json={"role": role}, headers=root.auth)
                for client, role in zip(spread((a, b), len(roles)), roles, strict=True)
            ]
        )
        for role, response in zip(roles, answers, strict=True):
            assert response.status_code == 200, response.text
            assert response.json() == {"id": user_id, "username": "flipped-user", "role": role}

        final = await fetch_value(
            hosts.database_url, "SELECT role FROM users WHERE id = $1", user_id
        )
        assert final in roles
        for client in (a, b):
            shown = await client.get(f"/users/{user_id}", headers=root.auth)
            assert shown.json()["role"] == final, shown.text
            for pair in earlier:
                await assert_pair_refused(client, pair)
        sessions = await b.get(f"/users/{user_id}/sessions", headers=root.auth)
        assert sessions.json() == {"sessions": []}

        # A login after the changes carries the final role, and the admin routes agree.
        after = await log_in(b, "flipped-user")
        me = await a.get("/me", headers=after.auth)
        assert me.json()["role"] == final, me.text
        admin_route = await a.get(f"/users/{user_id}", headers=after.auth)
        assert admin_route.status_code == (200 if final == "ADMIN" else 403), admin_route.text


async def test_logins_during_role_changes_get_no_token_with_a_stale_role(hosts: Hosts) -> None:
    """A login sent as each of 20 concurrent role changes answers, while the others are
    still under way: once all are over, every token still accepted says the role the
    database ends with, and the login sent after the last answer is accepted (README:
    "No token outlives what it says")."""
    async with clients(hosts) as (a, b):
        root = await log_in(a, ROOT)
        user_id = await register(b, "login-racer")
        roles = ["ADMIN", "USER"] * 10
        changes = [
            asyncio.ensure_future(
                client.patch(f"/users/{user_id}", json={"role": role}, headers=root.auth)
            )
            for client, role in zip(spread((a, b), len(roles)), roles, strict=True)
        ]
        logins = []
        for client, change in zip(
            spread((b, a), len(roles)), asyncio.as_completed(changes), strict=True
        ):
            answered = await change
            assert answered.status_code == 200, answered.text
            logins.append(asyncio.ensure_future(log_in_call(client, "login-racer")))
        answers = await asyncio.gather(*logins)

        final = await fetch_value(
            hosts.database_url, "SELECT role FROM users WHERE id = $1", user_id
        )
        accepted = []
        for answer in answers:
            pair = pair_of(answer)
            on_hosts = [await client.get("/me", headers=pair.auth) for client in (a, b)]
            assert len({me.status_code for me in on_hosts}) == 1, [me.text for me in on_hosts]
            for me in on_hosts:
                if me.status_code == 200:
                    assert me.json()["role"] == final, me.text
                else:
                    assert_refused(me)
            accepted.append(on_hosts[0].status_code == 200)
        assert accepted[-1]


# --- found on the way: a login that reads the row before a role change -----------------

# The advisory lock that holds a login's session INSERT (a trigger of this test's own on
# the module's database), so that a role change commits between its read and its insert.
HOLD = 1606
HOLD_INSERTS = f"""
CREATE FUNCTION test_hold_session_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN PERFORM pg_advisory_xact_lock_shared({HOLD}); RETURN NEW; END $$;
CREATE TRIGGER test_hold_session_insert BEFORE INSERT ON sessions
FOR EACH ROW EXECUTE FUNCTION test_hold_session_insert();
"""
RELEASE_INSERTS = """
DROP TRIGGER IF EXISTS test_hold_session_insert ON sessions;
DROP FUNCTION IF EXISTS test_hold_session_insert();
"""
HELD_INSERTS = """
SELECT count(*) FROM pg_stat_activity
WHERE datname = current_database() AND wait_event_type = 'Lock' AND wait_event = 'advisory'
"""


async def wait_for_a_held_insert(connection: Any) -> None:
    """Return once a session INSERT waits on the lock (observed, not slept for)."""
    deadline = time.monotonic() + START_UP_SECONDS
    while not await connection.fetchval(HELD_INSERTS):
        assert time.monotonic() < deadline, "no login reached its session's INSERT"
        await asyncio.sleep(POLL_SECONDS)


class HeldLogin:
    """A login whose session INSERT waits on the test's lock: it has read the user's row
    and checked the password; `finish()` lets it go on and returns its answer."""

    def __init__(self, connection: Any, login: asyncio.Future[httpx.Response]) -> None:
        self._connection = connection
        self._login = login

    async def finish(self) -> httpx.Response:
        await self._connection.execute("SELECT pg_advisory_unlock($1)", HOLD)
        return await self._login


@asynccontextmanager
async def login_held_before_its_session(
    hosts: Hosts, client: httpx.AsyncClient, username: str
) -> AsyncIterator[HeldLogin]:
    """A login of `username` through `client`, held until the block calls `finish()`."""
    connection = await connect(hosts.database_url)
    login: asyncio.Future[httpx.Response] | None = None
    try:
        await connection.execute(HOLD_INSERTS)
        await connection.execute("SELECT pg_advisory_lock($1)", HOLD)
        login = asyncio.ensure_future(log_in_call(client, username))
        await wait_for_a_held_insert(connection)
        yield HeldLogin(connection, login)
    finally:
        # Unlocked first: the DROP waits for the INSERT the lock holds.
        await connection.execute("SELECT pg_advisory_unlock_all()")
        if login is not None:
            await asyncio.gather(login, return_exceptions=True)
        await connection.execute(RELEASE_INSERTS)
        await connection.close()


async def test_a_login_under_way_during_a_role_change_leaves_no_open_session(
    hosts: Hosts,
) -> None:
    async with clients(hosts) as (a, b):
        root = await log_in(a, ROOT)
        user_id = await register(b, "slow-login")
        async with login_held_before_its_session(hosts, b, "slow-login") as login:
            changed = await a.patch(f"/users/{user_id}", json={"role": "ADMIN"}, headers=root.auth)
            assert changed.status_code == 200, changed.text
            pair = pair_of(await login.finish())
        # As designed: it read the row before the change, so its tokens are refused.
        await assert_pair_refused(a, pair)
        # So its session has ended too; the user and the admins must not see it open.
        listed = await b.get(f"/users/{user_id}/sessions", headers=root.auth)
        assert listed.json() == {"sessions": []}, listed.text


async def test_a_login_under_way_during_a_password_change_keeps_no_session(
    hosts: Hosts,
) -> None:
    async with clients(hosts) as (a, b):
        await register(b, "slow-password")
        laptop = await log_in(a, "slow-password")
        async with login_held_before_its_session(hosts, b, "slow-password") as login:
            body = {"current_password": PASSWORD, "new_password": "a new password 2"}
            changed = await a.put("/me/password", json=body, headers=laptop.auth)
            assert changed.status_code == 200, changed.text
            late = await login.finish()
        # It proved the old password, which is no longer the password.
        assert late.status_code == 401, late.text
        assert late.json() == {"msg": "Invalid credentials."}
        listed = await b.get("/me/sessions", headers=laptop.auth)
        assert [session["current"] for session in listed.json()["sessions"]] == [True]
