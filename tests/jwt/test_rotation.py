"""Refresh-token families: rotation, reuse detection, the grace period, ending a family.

A login starts a family; every refresh spends its refresh token and hands out the next
one of the same family. A spent token that comes back after the grace period means a
copy is in someone else's hands, so the whole family ends, for both of them.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from sanic import Sanic

from sanic_jwt_extended import JWT, TokenManager
from sanic_jwt_extended.blacklist import InMemoryBlacklist, RedisBlacklist
from sanic_jwt_extended.exceptions import ConfigurationConflictError, RefreshTokenReusedError
from sanic_jwt_extended.tokens import Token

from .helpers import AppFactory, OnlyJtis, bearer

REUSED = {"msg": "Refresh token reuse detected: the session has ended."}


def rotating_app(make_app: AppFactory, **options: Any) -> Sanic[Any, Any]:
    settings: dict[str, Any] = {
        "use_blacklist": True,
        "blacklist_class": InMemoryBlacklist,
        "refresh_token_rotation": True,
        "refresh_reuse_grace": timedelta(seconds=30),
    }
    return make_app(**(settings | options))


async def rotate(app: Sanic[Any, Any], refresh: str) -> Any:
    _, response = await app.asgi_client.post(
        "/rotate", headers={"X-Refresh-Token": f"Bearer {refresh}"}
    )
    return response


async def status_of(app: Sanic[Any, Any], access: str) -> int:
    _, response = await app.asgi_client.get("/protected", headers=bearer(access))
    return int(response.status)


@pytest.fixture
def later(monkeypatch: pytest.MonkeyPatch) -> Callable[[float], None]:
    """Move the clock on by so many seconds (time.time only: asyncio's clock is another)."""
    real = time.time

    def move(seconds: float) -> None:
        monkeypatch.setattr(time, "time", lambda: real() + seconds)

    return move


def log_in(identity: str = "alice") -> tuple[str, str]:
    """A login: a new family, its access and refresh token."""
    family = TokenManager.new_family()
    return (
        JWT.create_access_token(identity, fresh=True, family=family),
        JWT.create_refresh_token(identity, family=family),
    )


def test_a_refresh_token_outside_any_family_starts_one(make_app: AppFactory) -> None:
    rotating_app(make_app)
    first, second = (Token(JWT.create_refresh_token("alice")) for _ in range(2))
    assert first.family and second.family and first.family != second.family
    assert Token(JWT.create_access_token("alice")).family is None  # access tokens: as told


def test_without_rotation_tokens_carry_no_family(make_app: AppFactory) -> None:
    make_app()
    assert Token(JWT.create_refresh_token("alice")).family is None


async def test_rotation_hands_out_the_next_pair_of_the_family(make_app: AppFactory) -> None:
    app = rotating_app(make_app)
    access, refresh = log_in()
    response = await rotate(app, refresh)
    assert response.status == 200
    family = Token(refresh).family
    assert Token(response.json["refresh_token"]).family == family
    assert Token(response.json["access_token"]).family == family
    assert response.json["refresh_token"] != refresh
    assert await status_of(app, access) == 200  # rotating ends nothing


async def test_a_spent_token_within_the_grace_period_is_a_retry(make_app: AppFactory) -> None:
    app = rotating_app(make_app)
    access, refresh = log_in()
    first = await rotate(app, refresh)
    retry = await rotate(app, refresh)  # the client never saw the first answer
    assert (first.status, retry.status) == (200, 200)
    for pair in (first.json, retry.json):
        assert await status_of(app, pair["access_token"]) == 200
    assert await status_of(app, access) == 200


async def test_reuse_after_the_grace_period_ends_the_whole_family(
    make_app: AppFactory, later: Callable[[float], None]
) -> None:
    app = rotating_app(make_app)
    access, stolen = log_in()
    other_access, _ = log_in()  # the same user's other session
    newest = (await rotate(app, stolen)).json
    later(31)
    reused = await rotate(app, stolen)
    assert (reused.status, reused.json) == (401, REUSED)
    assert reused.headers["www-authenticate"].startswith('Bearer error="invalid_token"')
    # Every token of the family is refused: the first access token, the newest pair.
    assert await status_of(app, access) == 401
    assert await status_of(app, newest["access_token"]) == 401
    assert (await rotate(app, newest["refresh_token"])).status == 401
    assert await status_of(app, other_access) == 200


async def test_with_no_grace_period_a_second_presentation_is_reuse(make_app: AppFactory) -> None:
    app = rotating_app(make_app, refresh_reuse_grace=timedelta(0))
    _, refresh = log_in()
    await rotate(app, refresh)
    assert (await rotate(app, refresh)).status == 401


async def test_ending_a_family_refuses_its_tokens_at_once(make_app: AppFactory) -> None:
    app = rotating_app(make_app)
    access, refresh = log_in()
    other_access, _ = log_in()
    await TokenManager.of(app).end_family(Token(access).family or "")
    assert await status_of(app, access) == 401
    assert (await rotate(app, refresh)).status == 401
    assert await status_of(app, other_access) == 200


async def test_the_manager_says_whether_a_token_is_refused_as_the_decorators_do(
    make_app: AppFactory,
) -> None:
    app = rotating_app(make_app)
    access, _ = log_in()
    other_access, _ = log_in()
    manager = TokenManager.of(app)
    await manager.end_family(Token(access).family or "")
    assert await manager.is_revoked(Token(access))
    assert not await manager.is_revoked(Token(other_access))


def test_rotation_needs_the_blacklist(make_app: AppFactory) -> None:
    with pytest.raises(ConfigurationConflictError, match="use_blacklist"):
        make_app(refresh_token_rotation=True)


def test_rotation_refuses_a_blacklist_without_families(make_app: AppFactory) -> None:
    with pytest.raises(ConfigurationConflictError, match="CutoffBlacklist"):
        rotating_app(make_app, blacklist_class=OnlyJtis)


async def test_rotate_needs_rotation_configured(make_app: AppFactory) -> None:
    manager = TokenManager.of(make_app(use_blacklist=True, blacklist_class=InMemoryBlacklist))
    token = manager.decode(manager.create_refresh_token("alice"))
    with pytest.raises(ConfigurationConflictError, match="refresh_token_rotation"):
        await manager.rotate(token)


# ---------------------------------------------------------------- across workers (Redis)


@pytest.fixture
def make_redis_rotating_app(make_app: AppFactory, redis_url: str) -> Callable[..., Sanic[Any, Any]]:
    prefix = f"test-{time.time_ns()}"

    def build(**options: Any) -> Sanic[Any, Any]:
        return rotating_app(
            make_app,
            blacklist_class=RedisBlacklist,
            blacklist_init_kwargs={"url": redis_url, "key_prefix": prefix},
            **options,
        )

    return build


async def test_of_concurrent_rotations_on_two_apps_exactly_one_wins(
    make_redis_rotating_app: Callable[..., Sanic[Any, Any]],
) -> None:
    apps = [make_redis_rotating_app(refresh_reuse_grace=timedelta(0)) for _ in range(2)]
    _, refresh = log_in()
    managers = [TokenManager.of(app) for app in apps]
    tokens = [managers[0].decode(refresh) for _ in range(20)]
    outcomes = await asyncio.gather(
        *(managers[index % 2].rotate(token) for index, token in enumerate(tokens)),
        return_exceptions=True,
    )
    winners = [outcome for outcome in outcomes if isinstance(outcome, str)]
    assert len(winners) == 1
    assert all(
        isinstance(outcome, RefreshTokenReusedError)
        for outcome in outcomes
        if outcome not in winners
    )
    for manager in managers:
        await manager.close()


async def test_a_family_ended_through_one_app_is_refused_by_another(
    make_redis_rotating_app: Callable[..., Sanic[Any, Any]], later: Callable[[float], None]
) -> None:
    first, second = make_redis_rotating_app(), make_redis_rotating_app()
    access, stolen = log_in()
    assert (await rotate(first, stolen)).status == 200
    later(31)
    assert (await rotate(second, stolen)).status == 401
    assert await status_of(first, access) == 401
