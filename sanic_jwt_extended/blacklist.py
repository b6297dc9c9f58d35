"""Where revoked tokens are remembered.

Revocation is keyed by `jti`, never by the raw token, and an entry needs to outlive its
token only: once the token has expired it is refused anyway. `revoke_all` remembers, per
subject, a cut-off time: tokens of that subject issued up to it are revoked. Token `iat`
carries microseconds, so a token issued in the same second after the cut-off still works.

The built-in blacklists store every revocation the same way, as a `Cutoff`: "tokens under
this key issued up to this moment are refused". A token is looked up under all its keys
at once (its `jti`, its subject, and whatever comes next), so one lookup answers for
every kind of revocation, and a `RevocationJournal` can keep them all across restarts.
"""

from __future__ import annotations

import asyncio
import importlib.util
import inspect
import math
import warnings
from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

from .clock import CLOCK
from .exceptions import (
    BlacklistForgotError,
    BlacklistUnavailableError,
    ConfigurationConflictError,
)

if TYPE_CHECKING:
    # redis-py is the `redis` extra's: imported when a RedisBlacklist first connects.
    from redis.asyncio import Redis

    from .protocols import TokenFacts

__all__ = [
    "BlacklistABC",
    "Cutoff",
    "CutoffBlacklist",
    "InMemoryBlacklist",
    "RedisBlacklist",
    "RevocationJournal",
    "redis_client",
]

# Every method the extension awaits; a subclass must keep each of them a coroutine.
_AWAITED_METHODS = (
    "register",
    "is_blacklisted",
    "register_identity",
    "apply",
    "open",
    "close",
    "ping",
)

# The cut-off of a key under which every token is refused, whenever it was issued.
EVERY_TOKEN = math.inf


@dataclass(frozen=True, slots=True)
class Cutoff:
    """Tokens filed under `key` and issued at or before `until` are refused.

    `until` is a POSIX timestamp, compared with each token's `issued_at` (EVERY_TOKEN for
    a revoked `jti`); `expires_at` is when no such token can be alive any more, so the
    entry may be forgotten (None: never).
    """

    key: str
    until: float
    expires_at: float | None

    @classmethod
    def of_token(cls, token: TokenFacts) -> Cutoff:
        """The revocation of one token, kept while the token could still be accepted."""
        refused_after = token.refused_after
        expires_at = None if refused_after is None else refused_after.timestamp()
        return cls(jti_key(token.jti.hex), EVERY_TOKEN, expires_at)

    @classmethod
    def of_family(cls, family: str, keep_for: timedelta | None) -> Cutoff:
        """The end of a family: every token of it, kept while any could be alive."""
        expires_at = None if keep_for is None else CLOCK.now() + keep_for.total_seconds()
        return cls(family_key(family), EVERY_TOKEN, expires_at)

    @classmethod
    def of_identity(cls, identity: str, until: float, keep_for: timedelta | None) -> Cutoff:
        """The revocation of every token of `identity` issued up to `until`."""
        expires_at = None if keep_for is None else CLOCK.now() + keep_for.total_seconds()
        return cls(identity_key(identity), until, expires_at)

    def seconds_left(self) -> int | None:
        """Whole seconds (at least 1) the entry must still be kept; None: for ever."""
        if self.expires_at is None:
            return None
        return max(1, math.ceil(self.expires_at - CLOCK.now()))


def jti_key(jti: str) -> str:
    return f"jti:{jti}"


def identity_key(identity: str) -> str:
    return f"identity:{identity}"


def family_key(family: str) -> str:
    return f"family:{family}"


def keys_of(token: TokenFacts) -> tuple[str, ...]:
    """Every key a token is filed under: a cut-off under any of them can refuse it."""
    if token.family is None:
        return jti_key(token.jti.hex), identity_key(token.identity)
    return jti_key(token.jti.hex), identity_key(token.identity), family_key(token.family)


class RevocationJournal(Protocol):
    """Where revocations are written down to outlive the blacklist (say, a database table).

    Set as `config.revocation_journal`: every revocation is recorded here before it is
    stored in the blacklist, and the blacklist is filled from here when the server starts
    (and, for a blacklist of one process, kept up to date from here while it runs).
    """

    async def record(self, cutoffs: Sequence[Cutoff]) -> None:
        """Write `cutoffs` down; raise when they cannot be (the revocation then fails)."""

    async def read(self, after: int) -> tuple[list[Cutoff], int]:
        """The cut-offs recorded after position `after` (0: all), and the last position.

        Cut-offs already expired may be left out.
        """


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

    async def apply(self, cutoffs: Sequence[Cutoff]) -> None:
        """Store `cutoffs`: what a revocation journal replays. This default refuses it."""
        raise ConfigurationConflictError(
            f"{type(self).__name__} cannot store cut-offs, which a revocation_journal "
            "needs: subclass CutoffBlacklist"
        )


class CutoffBlacklist(BlacklistABC):
    """A blacklist that keeps every revocation as a `Cutoff`: the built-ins' common ground.

    A subclass stores cut-offs (`apply`, which never moves one back) and reads them
    (`read`); revoking tokens and identities, and checking a token under all its keys at
    once, come from here.
    """

    # Whether every process using the same store sees a revocation at once.
    shared: ClassVar[bool] = True

    @abstractmethod
    async def apply(self, cutoffs: Sequence[Cutoff]) -> None:
        """Store `cutoffs`; a key already cut off later keeps its later cut-off."""

    @abstractmethod
    async def read(self, keys: Sequence[str]) -> list[float | None]:
        """The cut-off stored under each of `keys`, in order (None: none)."""

    @abstractmethod
    async def spend(self, token: TokenFacts) -> float | None:
        """Mark refresh `token` spent, atomically; None if this call spent it, else when
        an earlier call did (a POSIX timestamp). Kept while the token could be accepted."""

    async def register(self, token: TokenFacts) -> None:
        await self.apply([Cutoff.of_token(token)])

    async def register_identity(
        self, identity: str, issued_until: float, keep_for: timedelta | None
    ) -> None:
        await self.apply([Cutoff.of_identity(identity, issued_until, keep_for)])

    async def mark_filled(self) -> None:
        """Note that the store now holds every revocation of the journal, so that `read`
        can tell (BlacklistForgotError) if the store loses them. Nothing to note for a
        store that lives and dies with the process."""

    async def is_blacklisted(self, token: TokenFacts) -> bool:
        issued_at = token.issued_at
        cutoffs = await self.read(keys_of(token))
        return any(until is not None and issued_at <= until for until in cutoffs)


class InMemoryBlacklist(CutoffBlacklist):
    """Cut-offs in this process: for tests and single-process development only.

    With a revocation journal it survives restarts, and follows what other processes
    (a command line) record, within `journal_poll_seconds`.
    """

    shared = False

    def __init__(self) -> None:
        warnings.warn(
            "InMemoryBlacklist is process-local: revocations are lost on restart and not "
            "seen by other workers. Use RedisBlacklist in production.",
            UserWarning,
            stacklevel=2,
        )
        self._cutoffs: dict[str, float] = {}
        self._spent: dict[str, float] = {}

    async def spend(self, token: TokenFacts) -> float | None:
        earlier = self._spent.get(token.jti.hex)
        if earlier is None:  # no await since the look-up: no other spend came between
            self._spent[token.jti.hex] = CLOCK.now()
        return earlier

    async def apply(self, cutoffs: Sequence[Cutoff]) -> None:
        for cutoff in cutoffs:
            self._cutoffs[cutoff.key] = max(cutoff.until, self._cutoffs.get(cutoff.key, -1.0))

    async def read(self, keys: Sequence[str]) -> list[float | None]:
        return [self._cutoffs.get(key) for key in keys]

    async def is_blacklisted(self, token: TokenFacts) -> bool:
        # The same answer as CutoffBlacklist's, without a coroutine per request.
        issued_at, cutoffs = token.issued_at, self._cutoffs
        for key in keys_of(token):
            until = cutoffs.get(key)
            if until is not None and issued_at <= until:
                return True
        return False


# Stores a cut-off unless the key holds a later one; either way the key is kept at least
# as long as asked. KEYS[1]: the key; ARGV[1]: the cut-off ("inf": every token);
# ARGV[2]: milliseconds to keep it, "0" for ever.
_RAISE_CUTOFF = """
local current = redis.call('GET', KEYS[1])
if current == 'inf' or (current and ARGV[1] ~= 'inf'
                        and tonumber(current) >= tonumber(ARGV[1])) then
  if ARGV[2] == '0' then
    redis.call('PERSIST', KEYS[1])
  else
    local left = redis.call('PTTL', KEYS[1])
    if left >= 0 and left < tonumber(ARGV[2]) then
      redis.call('PEXPIRE', KEYS[1], ARGV[2])
    end
  end
  return 0
end
if ARGV[2] == '0' then
  redis.call('SET', KEYS[1], ARGV[1])
else
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
end
return 1
"""


# The key a fill from the journal leaves in Redis: gone, the revocations may be too.
_FILLED = "filled-from-journal"


class RedisBlacklist(CutoffBlacklist):
    """Revocations in Redis, shared by every worker and host that uses the same server.

    `blacklist_init_kwargs` is `{"url": "redis://host:6379/0"}` plus any option of
    `redis.asyncio.Redis`, or `{"client": redis}` to share a client the app already has
    (it is then the app's to close), or the 1.0 docs' `{"connection_info": {"address":
    ..., "minsize": ..., "maxsize": ...}}`. Keys expire with the tokens they stand for.
    """

    def __init__(
        self,
        url: str | None = None,
        *,
        client: Redis | None = None,
        connection_info: Mapping[str, Any] | None = None,
        key_prefix: str = "sanic_jwt_extended",
        **redis_options: Any,
    ) -> None:
        if importlib.util.find_spec("redis") is None:
            raise ConfigurationConflictError(
                "RedisBlacklist needs redis-py: pip install 'sanic-jwt-extended-ng[redis]'"
            )
        if connection_info is not None:
            url, redis_options = _from_connection_info(connection_info, redis_options)
        if not url and client is None:
            raise ConfigurationConflictError(
                'RedisBlacklist needs blacklist_init_kwargs={"url": "redis://host:port/db"}'
            )
        self._url = url or ""
        self._options = redis_options
        self._key_prefix = key_prefix
        self._redis = client
        self._owns_client = client is None
        self._batch: _Batch | None = None
        self._sending: set[asyncio.Task[None]] = set()
        # Set once filled from a journal: each MGET then also reads the mark left by
        # the fill, and a store without it has lost revocations (see `mark_filled`).
        self._filled_mark: str | None = None

    async def open(self) -> None:
        self._client()

    async def close(self) -> None:
        loop = asyncio.get_running_loop()  # a stopped loop's lookups are gone with it
        await asyncio.gather(
            *(task for task in self._sending if task.get_loop() is loop), return_exceptions=True
        )
        if self._redis is not None and self._owns_client:
            redis, self._redis = self._redis, None
            await redis.aclose()

    async def apply(self, cutoffs: Sequence[Cutoff]) -> None:
        with self._reachable() as redis:
            raise_cutoff = redis.register_script(_RAISE_CUTOFF)  # sent by its SHA when known
            async with redis.pipeline(transaction=False) as pipeline:
                for cutoff in cutoffs:
                    seconds = cutoff.seconds_left()
                    milliseconds = 0 if seconds is None else seconds * 1000
                    key = self._prefixed(cutoff.key)
                    await raise_cutoff(
                        keys=[key], args=[repr(cutoff.until), milliseconds], client=pipeline
                    )
                await pipeline.execute()

    async def spend(self, token: TokenFacts) -> float | None:
        key = self._prefixed(f"spent:{token.jti.hex}")
        with self._reachable() as redis:
            # SET NX: of concurrent spends on any host, exactly one sets the key.
            first = await redis.set(
                key, repr(CLOCK.now()), nx=True, ex=Cutoff.of_token(token).seconds_left()
            )
            if first:
                return None
            earlier = await redis.get(key)
        return CLOCK.now() if earlier is None else float(earlier)

    async def mark_filled(self) -> None:
        mark = self._prefixed(_FILLED)
        with self._reachable() as redis:
            await redis.set(mark, "1")
        self._filled_mark = mark

    async def read(self, keys: Sequence[str]) -> list[float | None]:
        values = await self._look_up([self._prefixed(key) for key in keys])
        return [None if value is None else float(value) for value in values]

    async def _look_up(self, keys: list[str]) -> list[Any]:
        """The values of `keys`, read with the lookups of this turn of the event loop.

        A turn of the loop reads every request that arrived meanwhile, and each asks here
        before it yields. All their keys go in one MGET, sent when the turn is over: one
        round trip for them all instead of one each, and still each asked after it came.
        """
        loop = asyncio.get_running_loop()
        if self._batch is None or self._batch.loop is not loop:
            self._batch = _Batch(loop)
            loop.call_soon(self._send_batch, self._batch)
        answer: asyncio.Future[list[Any]] = loop.create_future()
        self._batch.add(keys, answer)
        return await answer

    def _send_batch(self, batch: _Batch) -> None:
        if self._batch is batch:  # later lookups start the next batch
            self._batch = None
        sending = asyncio.ensure_future(self._send(batch))
        self._sending.add(sending)  # a reference, until it is done
        sending.add_done_callback(self._sending.discard)

    async def _send(self, batch: _Batch) -> None:
        mark = self._filled_mark
        try:
            with self._reachable() as redis:
                values = await redis.mget([*batch.keys, mark] if mark else batch.keys)
            if mark and values.pop() is None:
                raise BlacklistForgotError("The token blacklist lost its revocations.")
        except asyncio.CancelledError:
            batch.cancel()
            raise
        except Exception as error:  # each waiting request raises it: none is let through
            batch.fail(error)
        else:
            batch.answer(values)

    async def ping(self) -> None:
        with self._reachable() as redis:
            await redis.ping()

    def _prefixed(self, key: str) -> str:
        return f"{self._key_prefix}:{key}"

    def _client(self) -> Redis:
        """The client, created on first use (also outside a server, e.g. a script)."""
        if self._redis is None:
            self._redis = redis_client(self._url, **self._options)
        return self._redis

    @contextmanager
    def _reachable(self) -> Iterator[Redis]:
        """Yield the client, turning any connection failure into BlacklistUnavailableError."""
        from redis.exceptions import RedisError  # present: checked when this was created

        try:
            yield self._client()
        except (RedisError, OSError) as error:
            raise BlacklistUnavailableError("The token blacklist cannot be reached.") from error


def redis_client(url: str, **options: Any) -> Redis:
    """A redis-py asyncio client for `url` that fails fast, as RedisBlacklist's own does.

    A store that hangs is as bad as one that is down: a 2 s timeout and one retry, then
    the error (a 503). For an app that shares one client between the blacklist (as
    `blacklist_init_kwargs={"client": ...}`) and its own uses; `options` are redis-py's.
    """
    from redis.asyncio import Redis
    from redis.asyncio.retry import Retry
    from redis.backoff import NoBackoff

    options.setdefault("socket_connect_timeout", 2)
    options.setdefault("socket_timeout", 2)
    options.setdefault("retry", Retry(NoBackoff(), retries=1))
    return Redis.from_url(url, **options)


class _Batch:
    """The lookups of one turn of an event loop: their keys in order, and who waits."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.keys: list[str] = []
        self._answers: list[tuple[int, int, asyncio.Future[list[Any]]]] = []

    def add(self, keys: list[str], answer: asyncio.Future[list[Any]]) -> None:
        start = len(self.keys)
        self.keys += keys
        self._answers.append((start, len(self.keys), answer))

    def answer(self, values: list[Any]) -> None:
        for start, end, answer in self._answers:
            if not answer.done():  # its request may have been cancelled meanwhile
                answer.set_result(values[start:end])

    def fail(self, error: Exception) -> None:
        for _, _, answer in self._answers:
            if not answer.done():
                answer.set_exception(error)

    def cancel(self) -> None:
        for _, _, answer in self._answers:
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
