"""Login throttling: a bound on online password guessing and credential stuffing.

Failed logins are counted per username and per client address (OWASP's authentication
cheat sheet asks for both: one account guessed from many addresses, many accounts tried
from one). Once a username has `login_max_failures` failures within the window, or an
address `login_max_failures_per_address`, every login for it or from it is refused,
the right password included, until the window ends: otherwise a refusal would only slow
a guesser down, and the one answer that differs would say which guess was right.

Usernames are counted as the database compares them (case-folded), whether or not such
a user exists, so that the answers say nothing about who has an account. A success ends
its username's count, not its address's: many users behind one address (a NAT, an
office) do not clear a stuffing attack's count by logging in.

Each count is a fixed window that starts at its first failure and ends
`login_failure_window_seconds` later, when the count is forgotten; `Retry-After` is the
time left in it. (Near the end of one window and the start of the next, up to twice the
limit can fail in quick succession; over any longer span, no more than the limit per
window.)

The throttle is checked before any password hash is computed, and a failure is counted
once its verification has failed, so attempts that run concurrently are each checked
before the others are counted: a burst can pass the limit by as many attempts as it
holds. Refusing attempts in flight would close that gap, but it would also refuse a user
who logs in from several devices at once before any attempt failed.
"""

import hashlib
import math
import time
from abc import ABC, abstractmethod
from collections import OrderedDict
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

from redis.asyncio import Redis
from redis.exceptions import RedisError

from app.db.models import username_key
from app.exceptions import LoginThrottled, ThrottleUnavailable
from app.settings import Settings

# Prefix of the throttle's Redis keys, apart from the blacklist's (sanic_jwt_extended:).
KEY_PREFIX = "stores_api:login_failures"


@dataclass(frozen=True)
class Window:
    """A key's failures in its current window, and the seconds left until it ends."""

    failures: int
    seconds_left: float


class FailureCounts(ABC):
    """Where failed logins are counted: one count per key, each in a window of its own."""

    @abstractmethod
    async def read(self, keys: Sequence[str]) -> list[Window]:
        """The current window of each key (no failures, no time left, when it has none)."""

    @abstractmethod
    async def add(self, keys: Sequence[str]) -> None:
        """One more failure under each key; a key without a window starts one."""

    @abstractmethod
    async def forget(self, key: str) -> None:
        """End the key's window and its count."""


@dataclass
class _Failures:
    count: int
    ends: float


class MemoryCounts(FailureCounts):
    """Counts in this process's memory: each worker counts its own failures.

    `clock` returns seconds and never goes back (`time.monotonic` unless a test moves
    time itself). Windows are kept in the order they end, which is the order they
    started since all last as long, so dropping the ended ones costs only those.
    """

    def __init__(self, window_seconds: float, clock: Callable[[], float] = time.monotonic):
        self._window_seconds = window_seconds
        self._clock = clock
        self._windows: OrderedDict[str, _Failures] = OrderedDict()

    async def read(self, keys: Sequence[str]) -> list[Window]:
        now = self._now()
        windows = [self._windows.get(key) for key in keys]
        return [
            Window(0, 0) if window is None else Window(window.count, window.ends - now)
            for window in windows
        ]

    async def add(self, keys: Sequence[str]) -> None:
        now = self._now()
        for key in keys:
            self._windows.setdefault(key, _Failures(0, now + self._window_seconds)).count += 1

    async def forget(self, key: str) -> None:
        self._windows.pop(key, None)

    def _now(self) -> float:
        """The clock's time, once the windows that ended by then are dropped."""
        now = self._clock()
        while self._windows:
            key, window = next(iter(self._windows.items()))
            if window.ends > now:
                break
            del self._windows[key]
        return now


# One failure more under each of KEYS, a window of ARGV[1] milliseconds starting with a
# key's first: INCR and its expiry in one step, so that no count is left without one.
_ADD = """
for _, key in ipairs(KEYS) do
  if redis.call('INCR', key) == 1 then
    redis.call('PEXPIRE', key, ARGV[1])
  end
end
"""


class RedisCounts(FailureCounts):
    """Counts in Redis, shared by every worker and host that uses the server.

    A window is the key's expiry, set when its first failure creates it. Any failure to
    reach Redis is ThrottleUnavailable: logins are refused rather than let in uncounted.
    """

    def __init__(self, redis: Redis, window_seconds: float) -> None:
        self._redis = redis
        self._window_ms = math.ceil(window_seconds * 1000)
        self._add = redis.register_script(_ADD)  # sent by its SHA when Redis knows it

    async def read(self, keys: Sequence[str]) -> list[Window]:
        with _reachable():
            async with self._redis.pipeline(transaction=False) as pipeline:
                for key in keys:
                    pipeline.get(key)
                    pipeline.pttl(key)
                values = await pipeline.execute()
        # PTTL is negative for a key that is gone; its count is then gone too.
        return [
            Window(int(count or 0), max(left, 0) / 1000)
            for count, left in zip(values[::2], values[1::2], strict=True)
        ]

    async def add(self, keys: Sequence[str]) -> None:
        with _reachable():
            await self._add(keys=list(keys), args=[self._window_ms])

    async def forget(self, key: str) -> None:
        with _reachable():
            await self._redis.delete(key)


@contextmanager
def _reachable() -> Iterator[None]:
    try:
        yield
    except (RedisError, OSError) as error:
        raise ThrottleUnavailable from error


class LoginThrottle:
    """The limits of the settings, applied to the counts of a `FailureCounts`."""

    def __init__(self, settings: Settings, counts: FailureCounts) -> None:
        self._limits = (settings.login_max_failures, settings.login_max_failures_per_address)
        self._counts = counts

    async def check(self, username: str, address: str) -> None:
        """LoginThrottled when the username or the address has reached its limit."""
        windows = await self._counts.read(_keys(username, address))
        reached = [
            window.seconds_left
            for window, limit in zip(windows, self._limits, strict=True)
            if window.failures >= limit
        ]
        if reached:
            # Refused until every limit reached has ended, in whole seconds (RFC 9110).
            raise LoginThrottled(retry_after=max(1, math.ceil(max(reached))))

    async def failed(self, username: str, address: str) -> None:
        """Count a failed login against the username and the address."""
        await self._counts.add(_keys(username, address))

    async def succeeded(self, username: str) -> None:
        """A successful login ends the username's count (the address's stays)."""
        await self._counts.forget(_username_key(username))


def _username_key(username: str) -> str:
    """The key of a username in any letter case. Hashed: what people type as a username
    is sometimes their password, which the store of the counts need not keep."""
    digest = hashlib.sha256(username_key(username).encode()).hexdigest()
    return f"{KEY_PREFIX}:username:{digest}"


def _keys(username: str, address: str) -> tuple[str, str]:
    return _username_key(username), f"{KEY_PREFIX}:address:{address}"


def login_throttle(settings: Settings, redis: Redis | None) -> LoginThrottle:
    """The app's throttle: its counts in `redis` when there is one (every worker and host
    then counts together), else in this process's memory."""
    window = settings.login_failure_window_seconds
    counts = MemoryCounts(window) if redis is None else RedisCounts(redis, window)
    return LoginThrottle(settings, counts)
