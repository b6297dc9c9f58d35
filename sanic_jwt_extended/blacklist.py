"""Where revoked tokens are remembered.

Revocation is keyed by `jti`, never by the raw token, and an entry needs to outlive its
token only: once the token has expired it is refused anyway. `revoke_all` remembers, per
subject, a cut-off time: tokens of that subject issued up to it are revoked. Token `iat`
carries microseconds, so a token issued in the same second after the cut-off still works.
"""

from __future__ import annotations

import asyncio
import inspect
import math
import time
import warnings
from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import RedisError

from .exceptions import BlacklistUnavailableError, ConfigurationConflictError

if TYPE_CHECKING:
    from .protocols import TokenFacts

__all__ = ["BlacklistABC", "InMemoryBlacklist", "RedisBlacklist"]

# Every method the extension awaits; a subclass must keep each of them a coroutine.
_AWAITED_METHODS = ("register", "is_blacklisted", "register_identity", "open", "close", "ping")


class BlacklistABC(ABC):
    """The interface every blacklist implements; 1.0 subclasses need only the first two.

    Every method is a coroutine (`async def`), as the 1.0 docs declare them: a subclass
    that overrides one with a plain function is refused when the class is defined, rather
    than failing on the first request. The token passed to `register` and
    `is_blacklisted` is a verified `Token`; only its `jti`, `identity`, `issued_at` and
    `refused_after` are relied on (see `protocols.TokenFacts`).
    """

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        for name in _AWAITED_METHODS:
            if not inspect.iscoroutinefunction(getattr(cls, name)):
                raise TypeError(
                    f"{cls.__name__}.{name} must be a coroutine (async def): "
                    "the extension awaits every blacklist method"
                )

    @abstractmethod
    async def register(self, token: TokenFacts) -> None:
        """Remember `token` as revoked, at least until `token.refused_after` (None: forever).

        Key it by `token.jti`, never by the raw token. Raise any error when the store
        cannot be written: the caller answers 503.
        """

    @abstractmethod
    async def is_blacklisted(self, token: TokenFacts) -> bool:
        """Whether `token` was revoked, by `register` or by `register_identity`.

        For the latter, compare `token.issued_at` with the cut-off of `token.identity`.
        Raise any error when the store cannot be read: the request is refused with 503.
        """

    async def register_identity(
        self, identity: str, issued_until: float, keep_for: timedelta | None
    ) -> None:
        """Revoke every token of `identity` issued at or before `issued_until`.

        `identity` is the token subject (`sub`); `issued_until` a POSIX timestamp, compared
        with each token's `issued_at`; `keep_for` how long a token issued before the cut-off
        can still be accepted, so how long the cut-off must be kept (None: forever). A later
        call for the same identity never moves the cut-off back. Needed by
        `JWT.revoke_all()` only: this default refuses it.
        """
        raise ConfigurationConflictError(
            f"{type(self).__name__} does not implement register_identity(), "
            "which JWT.revoke_all() needs"
        )

    async def open(self) -> None:  # noqa: B027 - optional hook
        """Called before the server starts; open connections here."""

    async def close(self) -> None:  # noqa: B027 - optional hook
        """Called after the server stops; release connections here."""

    async def ping(self) -> None:  # noqa: B027 - optional hook
        """Raise BlacklistUnavailableError when the store cannot be reached."""


def _revoked_by_cutoff(token: TokenFacts, cutoff: float | None) -> bool:
    return cutoff is not None and token.issued_at <= cutoff


class InMemoryBlacklist(BlacklistABC):
    """A set of `jti` in this process: for tests and single-process development only."""

    def __init__(self) -> None:
        warnings.warn(
            "InMemoryBlacklist is process-local: revocations are lost on restart and not "
            "seen by other workers. Use RedisBlacklist in production.",
            UserWarning,
            stacklevel=2,
        )
        self._revoked: set[str] = set()
        self._cutoffs: dict[str, float] = {}

    async def register(self, token: TokenFacts) -> None:
        self._revoked.add(token.jti.hex)

    async def is_blacklisted(self, token: TokenFacts) -> bool:
        return token.jti.hex in self._revoked or _revoked_by_cutoff(
            token, self._cutoffs.get(token.identity)
        )

    async def register_identity(
        self, identity: str, issued_until: float, keep_for: timedelta | None
    ) -> None:
        self._cutoffs[identity] = max(issued_until, self._cutoffs.get(identity, issued_until))


class RedisBlacklist(BlacklistABC):
    """Revocations in Redis, shared by every worker and host that uses the same server.

    `blacklist_init_kwargs` is `{"url": "redis://host:6379/0"}` plus any option of
    `redis.asyncio.Redis`, or the 1.0 docs' `{"connection_info": {"address": ...,
    "minsize": ..., "maxsize": ...}}`. Keys expire with the token they stand for.
    """

    def __init__(
        self,
        url: str | None = None,
        *,
        connection_info: Mapping[str, Any] | None = None,
        key_prefix: str = "sanic_jwt_extended",
        **redis_options: Any,
    ) -> None:
        if connection_info is not None:
            url, redis_options = _from_connection_info(connection_info, redis_options)
        if not url:
            raise ConfigurationConflictError(
                'RedisBlacklist needs blacklist_init_kwargs={"url": "redis://host:port/db"}'
            )
        # A blacklist that hangs is as bad as one that is down: fail fast, answer 503.
        redis_options.setdefault("socket_connect_timeout", 2)
        redis_options.setdefault("socket_timeout", 2)
        redis_options.setdefault("retry", Retry(NoBackoff(), retries=1))
        self._url = url
        self._options = redis_options
        self._key_prefix = key_prefix
        self._redis: Redis | None = None
        self._batch: _Batch | None = None
        self._sending: set[asyncio.Task[None]] = set()

    async def open(self) -> None:
        self._client()

    async def close(self) -> None:
        loop = asyncio.get_running_loop()  # a stopped loop's lookups are gone with it
        await asyncio.gather(
            *(task for task in self._sending if task.get_loop() is loop), return_exceptions=True
        )
        if self._redis is not None:
            redis, self._redis = self._redis, None
            await redis.aclose()

    async def register(self, token: TokenFacts) -> None:
        ttl = None
        if token.refused_after is not None:
            ttl = max(1, math.ceil(token.refused_after.timestamp() - time.time()))
        with self._reachable() as redis:
            await redis.set(self._jti_key(token.jti.hex), b"1", ex=ttl)

    async def is_blacklisted(self, token: TokenFacts) -> bool:
        revoked, cutoff = await self._look_up(
            self._jti_key(token.jti.hex), self._identity_key(token.identity)
        )
        return revoked is not None or _revoked_by_cutoff(
            token, None if cutoff is None else float(cutoff)
        )

    async def _look_up(self, jti_key: str, identity_key: str) -> tuple[Any, Any]:
        """The values of both keys, read with the lookups of this turn of the event loop.

        A turn of the loop reads every request that arrived meanwhile, and each asks here
        before it yields. All their keys go in one MGET, sent when the turn is over: one
        round trip for them all instead of one each, and still each asked after it came.
        """
        loop = asyncio.get_running_loop()
        if self._batch is None or self._batch.loop is not loop:
            self._batch = _Batch(loop)
            loop.call_soon(self._send_batch, self._batch)
        answer: asyncio.Future[tuple[Any, Any]] = loop.create_future()
        self._batch.add(jti_key, identity_key, answer)
        return await answer

    def _send_batch(self, batch: _Batch) -> None:
        if self._batch is batch:  # later lookups start the next batch
            self._batch = None
        sending = asyncio.ensure_future(self._send(batch))
        self._sending.add(sending)  # a reference, until it is done
        sending.add_done_callback(self._sending.discard)

    async def _send(self, batch: _Batch) -> None:
        try:
            with self._reachable() as redis:
                values = await redis.mget(batch.keys)
        except asyncio.CancelledError:
            batch.cancel()
            raise
        except Exception as error:  # each waiting request raises it: none is let through
            batch.fail(error)
        else:
            batch.answer(values)

    async def register_identity(
        self, identity: str, issued_until: float, keep_for: timedelta | None
    ) -> None:
        ttl = None if keep_for is None else max(1, math.ceil(keep_for.total_seconds()))
        with self._reachable() as redis:
            await redis.set(self._identity_key(identity), repr(issued_until), ex=ttl)

    async def ping(self) -> None:
        with self._reachable() as redis:
            await redis.ping()

    def _jti_key(self, jti: str) -> str:
        return f"{self._key_prefix}:jti:{jti}"

    def _identity_key(self, identity: str) -> str:
        return f"{self._key_prefix}:identity:{identity}"

    def _client(self) -> Redis:
        """The pool's client, created on first use (also outside a server, e.g. a script)."""
        if self._redis is None:
            self._redis = Redis.from_url(self._url, **self._options)
        return self._redis

    @contextmanager
    def _reachable(self) -> Iterator[Redis]:
        """Yield the client, turning any connection failure into BlacklistUnavailableError."""
        try:
            yield self._client()
        except (RedisError, OSError) as error:
            raise BlacklistUnavailableError("The token blacklist cannot be reached.") from error


class _Batch:
    """The lookups of one turn of an event loop: their keys in order, and who waits."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.keys: list[str] = []
        self._answers: list[asyncio.Future[tuple[Any, Any]]] = []

    def add(self, first: str, second: str, answer: asyncio.Future[tuple[Any, Any]]) -> None:
        self.keys += (first, second)
        self._answers.append(answer)

    def answer(self, values: list[Any]) -> None:
        for index, answer in enumerate(self._answers):
            if not answer.done():  # its request may have been cancelled meanwhile
                answer.set_result((values[2 * index], values[2 * index + 1]))

    def fail(self, error: Exception) -> None:
        for answer in self._answers:
            if not answer.done():
                answer.set_exception(error)

    def cancel(self) -> None:
        for answer in self._answers:
            answer.cancel()


def _from_connection_info(
    info: Mapping[str, Any], redis_options: dict[str, Any]
) -> tuple[str, dict[str, Any]]:
    """Translate the aioredis-era `connection_info` of the 1.0 docs to redis-py's options."""
    address = info.get("address")
    if isinstance(address, (tuple, list)):
        host, port = address
        address = f"redis://{host}:{port}"
    options = dict(redis_options)
    if "maxsize" in info:
        options["max_connections"] = info["maxsize"]
    for name in ("db", "password"):
        if info.get(name) is not None:
            options[name] = info[name]
    # minsize has no counterpart: redis-py opens connections as they are needed.
    return address or "", options
