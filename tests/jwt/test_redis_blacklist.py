"""RedisBlacklist against a real Redis: shared by apps, entries expiring with their tokens."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import timedelta
from typing import Any

import pytest
from redis.asyncio import Redis
from sanic import Sanic

from sanic_jwt_extended import JWT
from sanic_jwt_extended.blacklist import RedisBlacklist
from sanic_jwt_extended.exceptions import BlacklistUnavailableError
from sanic_jwt_extended.tokens import Token

from .helpers import AppFactory, ListJournal, bearer

DEAD_REDIS = "redis://127.0.0.1:1/0"  # nothing listens on port 1


@pytest.fixture
def key_prefix() -> str:
    """Keys of their own for each test, so tests cannot see each other's revocations."""
    return f"test-{uuid.uuid4().hex}"


@pytest.fixture
async def redis(redis_url: str, key_prefix: str) -> AsyncIterator[Redis]:
    client = Redis.from_url(redis_url)
    yield client
    keys = [key async for key in client.scan_iter(f"{key_prefix}:*")]
    if keys:
        await client.delete(*keys)
    await client.aclose()


@pytest.fixture
def make_redis_app(
    make_app: AppFactory, redis_url: str, key_prefix: str
) -> Callable[..., Sanic[Any, Any]]:
    def build(**options: object) -> Sanic[Any, Any]:
        kwargs = {"url": redis_url, "key_prefix": key_prefix}
        return make_app(
            use_blacklist=True,
            blacklist_class=RedisBlacklist,
            blacklist_init_kwargs=kwargs,
            **options,
        )

    return build


async def status_of(app: Sanic[Any, Any], raw: str) -> int:
    _, response = await app.asgi_client.get("/protected", headers=bearer(raw))
    return int(response.status)


async def test_a_token_revoked_through_one_app_is_refused_by_another(
    make_redis_app: Callable[..., Sanic[Any, Any]],
) -> None:
    first, second = make_redis_app(), make_redis_app()
    raw = JWT.create_access_token("alice")
    assert await status_of(second, raw) == 200

    _, response = await first.asgi_client.post("/logout", headers=bearer(raw))
    assert response.status == 200
    assert await status_of(first, raw) == 401
    assert await status_of(second, raw) == 401


async def test_the_entry_expires_when_its_token_would(
    make_redis_app: Callable[..., Sanic[Any, Any]], redis: Redis, key_prefix: str
) -> None:
    make_redis_app()
    token = Token(JWT.create_access_token("alice", expires_delta=timedelta(minutes=10)))
    forever = Token(JWT.create_access_token("alice", expires_delta=False))
    await JWT.revoke(token)
    await JWT.revoke(forever)

    ttl = await redis.ttl(f"{key_prefix}:jti:{token.jti.hex}")
    assert 590 <= ttl <= 600
    assert await redis.ttl(f"{key_prefix}:jti:{forever.jti.hex}") == -1  # kept: never expires
    assert await redis.exists(f"{key_prefix}:jti:{token.raw_jwt}") == 0  # keyed by jti only


async def test_the_entry_outlives_its_token_by_the_leeway(
    make_redis_app: Callable[..., Sanic[Any, Any]], redis: Redis, key_prefix: str
) -> None:
    make_redis_app(leeway=timedelta(minutes=1))
    token = Token(JWT.create_access_token("alice", expires_delta=timedelta(minutes=10)))
    await JWT.revoke(token)
    assert 650 <= await redis.ttl(f"{key_prefix}:jti:{token.jti.hex}") <= 660


async def test_revoke_all_across_two_apps_sharing_redis(
    make_redis_app: Callable[..., Sanic[Any, Any]], redis: Redis, key_prefix: str
) -> None:
    first, second = make_redis_app(), make_redis_app()
    before = JWT.create_access_token("alice")
    bob = JWT.create_access_token("bob")

    _, response = await first.asgi_client.post("/revoke-all/alice")
    assert response.status == 200
    after = JWT.create_access_token("alice")  # a new login, most likely in the same second

    for app in (first, second):
        assert await status_of(app, before) == 401
        assert await status_of(app, after) == 200
        assert await status_of(app, bob) == 200
    # The cut-off lives as long as the longest-lived token: the refresh token, 30 days.
    ttl = await redis.ttl(f"{key_prefix}:identity:alice")
    assert timedelta(days=30) - timedelta(seconds=10) <= timedelta(seconds=ttl)
    assert timedelta(seconds=ttl) <= timedelta(days=30)


@pytest.fixture
def redis_commands(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The names of the commands every Redis client sends from now on, in order."""
    commands: list[str] = []
    execute: Callable[..., Awaitable[Any]] = Redis.execute_command

    async def recording(self: Redis, *args: Any, **options: Any) -> Any:
        commands.append(str(args[0]))
        return await execute(self, *args, **options)

    monkeypatch.setattr(Redis, "execute_command", recording)
    return commands


async def test_each_request_asks_redis_once(
    make_redis_app: Callable[..., Sanic[Any, Any]], redis_commands: list[str]
) -> None:
    """The jti and the subject's revoke_all cut-off come back in one MGET."""
    app = make_redis_app()
    raw = JWT.create_access_token("alice")
    for _ in range(3):  # the first request verifies the token, the others find it cached
        assert await status_of(app, raw) == 200
    assert redis_commands == ["MGET"] * 3


async def test_lookups_made_together_share_one_mget(
    make_redis_app: Callable[..., Sanic[Any, Any]], redis_commands: list[str]
) -> None:
    """Requests that a turn of the event loop reads together cost one round trip."""
    make_redis_app()
    revoked, cut_off = (Token(JWT.create_access_token(who)) for who in ("alice", "bob"))
    await JWT.revoke(revoked)
    await JWT.revoke_all("bob")
    kept = [Token(JWT.create_access_token(f"user{number}")) for number in range(8)]
    redis_commands.clear()  # what revoking sent
    assert JWT.blacklist is not None
    answers = await asyncio.gather(
        *(JWT.blacklist.is_blacklisted(token) for token in [revoked, *kept, cut_off])
    )
    assert answers == [True, *[False] * len(kept), True]
    assert redis_commands == ["MGET"]


async def test_lookups_made_together_all_fail_when_redis_is_gone(make_app: AppFactory) -> None:
    make_app(
        use_blacklist=True,
        blacklist_class=RedisBlacklist,
        blacklist_init_kwargs={"url": DEAD_REDIS},
    )
    tokens = [Token(JWT.create_access_token(f"user{number}")) for number in range(5)]
    assert JWT.blacklist is not None
    answers = await asyncio.gather(
        *(JWT.blacklist.is_blacklisted(token) for token in tokens), return_exceptions=True
    )
    assert all(isinstance(answer, BlacklistUnavailableError) for answer in answers)
    await JWT.blacklist.close()


async def test_the_1_0_connection_info_shape_is_accepted(
    make_app: AppFactory, redis_url: str, key_prefix: str
) -> None:
    app = make_app(
        use_blacklist=True,
        blacklist_class=RedisBlacklist,
        blacklist_init_kwargs={
            "connection_info": {"address": redis_url, "minsize": 5, "maxsize": 10},
            "key_prefix": key_prefix,
        },
    )
    raw = JWT.create_access_token("alice")
    _, response = await app.asgi_client.post("/logout", headers=bearer(raw))
    assert response.status == 200
    assert await status_of(app, raw) == 401


async def test_a_redis_that_is_gone_refuses_requests_with_503(make_app: AppFactory) -> None:
    app = make_app(
        use_blacklist=True,
        blacklist_class=RedisBlacklist,
        blacklist_init_kwargs={"url": DEAD_REDIS},
    )
    raw = JWT.create_access_token("alice")
    for method, path in [("get", "/protected"), ("get", "/optional"), ("post", "/logout")]:
        _, response = await getattr(app.asgi_client, method)(path, headers=bearer(raw))
        assert (response.status, response.json) == (
            503,
            {"msg": "The token blacklist cannot be reached."},
        ), path
    with pytest.raises(BlacklistUnavailableError):
        await JWT.revoke_all("alice")
    assert JWT.blacklist is not None
    with pytest.raises(BlacklistUnavailableError):
        await JWT.blacklist.ping()
    await JWT.blacklist.close()


async def test_a_cut_off_never_moves_back(
    make_redis_app: Callable[..., Sanic[Any, Any]], redis: Redis, key_prefix: str
) -> None:
    """Concurrent revoke_alls land in any order; the latest moment is the one kept."""
    make_redis_app()
    assert JWT.blacklist is not None
    moments = [1_000_000.25 + step for step in (3, 9, 1, 7, 5, 2, 8)]
    await asyncio.gather(
        *(
            JWT.blacklist.register_identity("alice", moment, timedelta(hours=1))
            for moment in moments
        )
    )
    await JWT.blacklist.register_identity("alice", 5.0, timedelta(hours=2))  # much earlier
    key = f"{key_prefix}:identity:alice"
    kept = await redis.get(key)
    assert kept is not None and float(kept) == max(moments)
    # The earlier cut-off still asked for the entry to be kept longer: it is.
    assert await redis.ttl(key) > 3600


async def test_a_client_the_app_owns_is_used_and_left_open(
    make_app: AppFactory, redis_url: str, key_prefix: str, redis_commands: list[str]
) -> None:
    client = Redis.from_url(redis_url)
    app = make_app(
        use_blacklist=True,
        blacklist_class=RedisBlacklist,
        blacklist_init_kwargs={"client": client, "key_prefix": key_prefix},
    )
    raw = JWT.create_access_token("alice")
    _, response = await app.asgi_client.post("/logout", headers=bearer(raw))
    assert response.status == 200
    assert await status_of(app, raw) == 401  # the app's start and stop ran meanwhile
    assert await client.ping()  # still open: the app closes its own client only
    await client.aclose()


async def test_a_redis_that_lost_its_data_is_filled_from_the_journal(
    make_redis_app: Callable[..., Sanic[Any, Any]], redis: Redis, key_prefix: str
) -> None:
    journal = ListJournal()
    app = make_redis_app(revocation_journal=journal)
    raw = JWT.create_access_token("alice")
    _, response = await app.asgi_client.post("/logout", headers=bearer(raw))
    assert response.status == 200
    await redis.delete(*[key async for key in redis.scan_iter(f"{key_prefix}:*")])
    assert await status_of(make_redis_app(), raw) == 200  # forgotten, without the journal

    assert await status_of(make_redis_app(revocation_journal=journal), raw) == 401
