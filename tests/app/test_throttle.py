"""Login throttling: per username and per address, in memory or shared through Redis."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pytest
from redis.asyncio import Redis

from app.accounts.throttle import KEY_PREFIX, LoginThrottle, MemoryCounts
from app.exceptions import LoginThrottled, ThrottleUnavailable
from app.settings import Settings
from tests.app.helpers import PASSWORD, Api, build_app, make_settings

if TYPE_CHECKING:
    from sanic_testing.testing import TestingResponse

WRONG = "not the password"
THROTTLED = {"msg": LoginThrottled.message}


@dataclass
class Clock:
    """A clock the test moves by hand: the in-memory counts' time, without sleeping."""

    now: float = 1_000.0

    def __call__(self) -> float:
        return self.now


async def attempt(
    api: Api, username: str, password: str = PASSWORD, address: str | None = None
) -> TestingResponse:
    """A login; from `address` when given (the app must read it from X-Real-IP)."""
    headers = {} if address is None else {"X-Real-IP": address}
    return await api.call(
        "POST", "/login", json={"username": username, "password": password}, headers=headers
    )


async def fail(api: Api, username: str, times: int, address: str | None = None) -> None:
    for _ in range(times):
        response = await attempt(api, username, WRONG, address)
        assert response.status_code == 401, response.text


def retry_after(response: TestingResponse) -> int:
    assert response.status_code == 429, response.text
    assert response.json == THROTTLED
    return int(response.headers["retry-after"])


def with_clock(api: Api, settings: Settings) -> Clock:
    """Give the app a throttle in memory whose time is the returned clock's."""
    clock = Clock()
    counts = MemoryCounts(settings.login_failure_window_seconds, clock)
    api.app.ctx.throttle = LoginThrottle(settings, counts)
    return clock


def counting(calls: list[str], name: str, method: Callable[..., Awaitable[Any]]) -> Any:
    async def counted(*args: Any) -> Any:
        calls.append(name)
        return await method(*args)

    return counted


async def test_the_attempt_after_the_limit_is_refused_even_with_the_right_password(
    api: Api, settings: Settings
) -> None:
    clock = with_clock(api, settings)
    await api.register("alice")
    await fail(api, "alice", settings.login_max_failures)
    assert retry_after(await attempt(api, "alice")) == settings.login_failure_window_seconds
    clock.now += 100
    # In any letter case: the username is one account.
    assert retry_after(await attempt(api, "ALICE")) == settings.login_failure_window_seconds - 100


async def test_unknown_usernames_are_answered_exactly_as_known_ones(api: Api) -> None:
    await api.register("alice")
    answers = {}
    for username in ("alice", "nobody"):
        responses = [await attempt(api, username, WRONG) for _ in range(7)]
        answers[username] = [(response.status_code, response.json) for response in responses]
    assert answers["alice"] == answers["nobody"]
    assert (
        answers["nobody"] == [(401, {"msg": "Invalid credentials."})] * 5 + [(429, THROTTLED)] * 2
    )


async def test_once_the_window_has_passed_the_user_gets_in(api: Api, settings: Settings) -> None:
    clock = with_clock(api, settings)
    await api.register("alice")
    await fail(api, "alice", settings.login_max_failures)
    clock.now += settings.login_failure_window_seconds - 0.5
    assert retry_after(await attempt(api, "alice")) == 1  # whole seconds, at least 1
    clock.now += 0.5
    assert (await attempt(api, "alice")).status_code == 200


async def test_the_window_starts_at_the_first_failure(api: Api, settings: Settings) -> None:
    clock = with_clock(api, settings)
    await fail(api, "alice", 1)
    clock.now += 600
    await fail(api, "alice", settings.login_max_failures - 1)
    assert retry_after(await attempt(api, "alice")) == settings.login_failure_window_seconds - 600


async def test_a_success_resets_the_usernames_count(api: Api, settings: Settings) -> None:
    await api.register("alice")
    below = settings.login_max_failures - 1
    await fail(api, "alice", below)
    await api.login("alice")
    await fail(api, "alice", below)
    await api.login("alice")


async def test_an_address_is_throttled_across_usernames(database_url: str) -> None:
    settings = make_settings(database_url=database_url, login_max_failures_per_address=3)
    api = Api(build_app(settings))
    api.app.config.REAL_IP_HEADER = "x-real-ip"  # as behind a proxy that sets it
    await api.register("alice")
    await fail(api, "bob", 1, address="192.0.2.1")
    await fail(api, "carol", 1, address="192.0.2.1")
    # A success ends the username's count, not the address's.
    assert (await attempt(api, "alice", address="192.0.2.1")).status_code == 200
    await fail(api, "dave", 1, address="192.0.2.1")
    assert retry_after(await attempt(api, "alice", address="192.0.2.1")) >= 1
    assert retry_after(await attempt(api, "erin", WRONG, address="192.0.2.1")) >= 1
    assert (await attempt(api, "alice", address="198.51.100.7")).status_code == 200


@pytest.mark.parametrize("username", ["alice", "nobody"])
async def test_a_throttled_attempt_computes_no_password_hash(
    api: Api, settings: Settings, monkeypatch: pytest.MonkeyPatch, username: str
) -> None:
    await api.register("alice")
    passwords = api.app.ctx.passwords
    calls: list[str] = []
    for name in ("hash", "verify"):
        monkeypatch.setattr(passwords, name, counting(calls, name, getattr(passwords, name)))
    await fail(api, username, settings.login_max_failures)
    assert calls == ["verify"] * settings.login_max_failures
    calls.clear()
    for password in (WRONG, PASSWORD):
        retry_after(await attempt(api, username, password))
    assert calls == []


async def test_the_in_memory_counts_forget_the_windows_that_ended() -> None:
    clock = Clock()
    counts = MemoryCounts(60, clock)
    await counts.add([f"user-{number}" for number in range(1_000)])
    clock.now += 30
    await counts.add(["late"])
    clock.now += 30
    await counts.add(["last"])
    # The only look inside: what is kept, which nothing outside shows.
    assert list(counts._windows) == ["late", "last"]
    assert [window.failures for window in await counts.read(["user-1", "late"])] == [0, 1]


async def test_two_apps_sharing_redis_share_the_counts(
    two_apps: tuple[Api, Api], settings: Settings
) -> None:
    first, second = two_apps
    await first.register("alice")
    await fail(first, "alice", settings.login_max_failures - 2)
    await fail(second, "ALICE", 2)
    for api in two_apps:
        waited = retry_after(await attempt(api, "alice"))
        assert settings.login_failure_window_seconds - 5 <= waited
        assert waited <= settings.login_failure_window_seconds


async def test_a_success_through_one_app_resets_the_count_for_the_other(
    two_apps: tuple[Api, Api], settings: Settings
) -> None:
    first, second = two_apps
    await first.register("alice")
    below = settings.login_max_failures - 1
    await fail(first, "alice", below)
    await second.login("alice")
    await fail(first, "alice", below)
    await second.login("alice")


async def test_redis_keeps_counts_with_an_expiry_and_no_username(
    two_apps: tuple[Api, Api], settings: Settings, shared_redis: str
) -> None:
    await fail(two_apps[0], "Alice", 1)
    client = Redis.from_url(shared_redis)
    try:
        keys = [key.decode() async for key in client.scan_iter(f"{KEY_PREFIX}:*")]
        assert len(keys) == 2  # the username's and the address's
        assert not any("alice" in key.casefold() for key in keys)
        for key in keys:
            assert 0 < await client.ttl(key) <= settings.login_failure_window_seconds
            assert await client.get(key) == b"1"
    finally:
        await client.aclose()


async def test_an_unreachable_redis_refuses_logins(
    sqlite_database: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = make_settings(database_url=sqlite_database, redis_url="redis://127.0.0.1:1/0")
    api = Api(build_app(settings))
    passwords = api.app.ctx.passwords
    calls: list[str] = []
    monkeypatch.setattr(passwords, "verify", counting(calls, "verify", passwords.verify))
    response = await attempt(api, "alice")
    assert response.status_code == 503
    assert response.json == {"msg": ThrottleUnavailable.message}
    assert int(response.headers["retry-after"]) >= 1
    assert calls == []
