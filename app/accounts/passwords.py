"""Password hashing with argon2id, kept off the event loop."""

import asyncio
import dataclasses
import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from argon2 import Parameters, PasswordHasher, Type, extract_parameters
from argon2.exceptions import InvalidHashError, VerificationError

from app.settings import Settings

# How far below the event loop's priority the hashing threads run (nice's increment).
HASHING_NICENESS = 10

T = TypeVar("T")


def _yield_to_the_loop() -> None:
    """Lower this hashing thread's priority below the event loop's.

    A thread off the loop still competes with it for the CPU: under a storm of logins, a
    loop with equal priority got one share among the hashing threads, and every other
    request waited seconds. At a lower priority the hashes take what the loop leaves.
    """
    os.nice(HASHING_NICENESS)  # Linux: the calling thread's niceness, not the process's


# One pool per process, as many threads as CPUs this process may use: more would not hash
# faster, and each hash holds its memory cost (64 MiB by default) while it runs.
_HASHING = ThreadPoolExecutor(
    max_workers=len(os.sched_getaffinity(0)),
    thread_name_prefix="argon2",
    initializer=_yield_to_the_loop,
)


class Passwords:
    """Hashes and verifies passwords with the cost set in the settings.

    argon2 is deliberately slow, so each call runs in a worker thread: hashing on the
    event loop would stall every other request for tens of milliseconds.
    """

    def __init__(self, settings: Settings) -> None:
        self._hasher = PasswordHasher(
            time_cost=settings.password_time_cost,
            memory_cost=settings.password_memory_kib,
            parallelism=settings.password_parallelism,
            type=Type.ID,
        )
        # Verified against when the user is unknown, so that an unknown name costs as
        # much time as a wrong password and response times do not reveal who exists.
        self._dummy_hash = self._hasher.hash("not a password anyone has")
        self._parameters = extract_parameters(self._dummy_hash)

    async def hash(self, password: str) -> str:
        """The PHC string (algorithm, parameters, salt, hash) to store."""
        return await _off_the_loop(self._hasher.hash, password)

    async def verify(self, password_hash: str | None, password: str) -> bool:
        """Whether `password` matches; `None` (no such user) never matches, as slowly.

        A wrong password against a hash made at a lower cost (before the cost was
        raised; only a successful login upgrades it) is made to cost what the current
        cost does, as Django's `harden_runtime` does: else a fast refusal would tell
        that the name exists.
        """
        try:
            await _off_the_loop(self._hasher.verify, password_hash or self._dummy_hash, password)
        except (VerificationError, InvalidHashError):
            padding = padding_cost(self._parameters, password_hash) if password_hash else None
            if padding is not None:
                await _off_the_loop(_pad, padding, password)
            return False
        return password_hash is not None

    def needs_rehash(self, password_hash: str) -> bool:
        """Whether the hash was made with other parameters than the current ones."""
        return self._hasher.check_needs_rehash(password_hash)


def padding_cost(current: Parameters, password_hash: str) -> Parameters | None:
    """The parameters of a hash whose time tops up a verification of `password_hash` to
    the time of one at the `current` cost; None when it costs that already (or more).

    argon2's time grows with passes times memory, divided among the lanes: the top-up
    uses the current memory and lanes, and as many passes as make up the difference.
    """
    try:
        old = extract_parameters(password_hash)
    except InvalidHashError:
        return None
    missing = (
        current.time_cost * current.memory_cost / current.parallelism
        - old.time_cost * old.memory_cost / old.parallelism
    )
    passes = round(missing * current.parallelism / current.memory_cost)
    if passes < 1:
        return None
    return dataclasses.replace(current, time_cost=passes)


def _pad(parameters: Parameters, password: str) -> None:
    PasswordHasher.from_parameters(parameters).hash(password)


async def _off_the_loop(function: Callable[..., T], *args: Any) -> T:
    """`function(*args)`, run in the hashing pool."""
    return await asyncio.get_running_loop().run_in_executor(_HASHING, function, *args)
