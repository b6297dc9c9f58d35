"""The moment the extension takes as now: the system clock, moved only by tests.

Every time the extension reads (a token's `iat` and `exp`, the check of `exp` and `nbf`,
a `revoke_all` cut-off, the moment a refresh token was spent) comes from `CLOCK.now()`, so that
`sanic_jwt_extended.testing.shifted_clock` moves them all together, and nothing else:
`time.time` stays the system's for the rest of the process.
"""

from __future__ import annotations

import time


class Clock:
    """The system clock plus an offset, in seconds; the offset is 0 outside tests."""

    def __init__(self) -> None:
        self.offset = 0.0

    def now(self) -> float:
        """Now, as a POSIX timestamp (the clock read through `time.time`, then moved)."""
        return time.time() + self.offset


CLOCK = Clock()
