"""Password hashing runs off the event loop, below its priority, in a bounded pool."""

from __future__ import annotations

import asyncio
import os
import threading

from app.accounts import passwords
from app.accounts.passwords import HASHING_NICENESS, Passwords
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
