"""Password hashing runs off the event loop, below its priority, in a bounded pool."""

from __future__ import annotations

import asyncio
import os
import threading

from argon2 import Parameters, PasswordHasher, Type

from app.accounts import passwords
from app.accounts.passwords import HASHING_NICENESS, Passwords, padding_cost
from tests.app.helpers import make_settings


def niceness() -> int:
    return os.getpriority(os.PRIO_PROCESS, threading.get_native_id())


async def test_hashes_run_in_threads_of_lower_priority_than_the_loop() -> None:
    hasher = Passwords(make_settings())
    loop_thread = threading.get_native_id()
    seen: list[tuple[int, int]] = []

    def hash_and_look(password: str) -> str:
        seen.append((threading.get_native_id(), niceness()))
        return password

    await asyncio.gather(*(passwords._off_the_loop(hash_and_look, "x") for _ in range(8)))
    assert all(thread != loop_thread for thread, _ in seen)
    assert {nice for _, nice in seen} == {niceness() + HASHING_NICENESS}
    # As many threads as CPUs at most: each hash holds 64 MiB while it runs.
    assert len({thread for thread, _ in seen}) <= len(os.sched_getaffinity(0))
    assert await hasher.verify(await hasher.hash("password1"), "password1")


CURRENT = Parameters(
    type=Type.ID, version=19, salt_len=16, hash_len=32, time_cost=3, memory_cost=64, parallelism=2
)


def hash_at(time_cost: int, memory_cost: int, parallelism: int) -> str:
    hasher = PasswordHasher(time_cost=time_cost, memory_cost=memory_cost, parallelism=parallelism)
    return hasher.hash("password1")


def test_a_hash_at_a_lower_cost_is_topped_up_to_the_current_one() -> None:
    # Time goes with passes x memory / lanes: 1 x 32 / 2 is 16 of the current 96.
    padding = padding_cost(CURRENT, hash_at(1, 32, 2))
    assert padding is not None
    assert (padding.time_cost, padding.memory_cost, padding.parallelism) == (2, 64, 2)


def test_a_hash_at_the_current_cost_or_higher_needs_no_top_up() -> None:
    assert padding_cost(CURRENT, hash_at(3, 64, 2)) is None
    assert padding_cost(CURRENT, hash_at(4, 128, 2)) is None
    assert padding_cost(CURRENT, "not a PHC string") is None


async def test_a_wrong_password_against_an_outdated_hash_is_still_refused() -> None:
    hasher = Passwords(make_settings(password_time_cost=2, password_memory_kib=64))
    outdated = hash_at(1, 8, 1)
    assert hasher.needs_rehash(outdated)
    assert not await hasher.verify(outdated, "wrong password")
    assert await hasher.verify(outdated, "password1")
