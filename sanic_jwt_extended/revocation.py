"""Revoking tokens, and asking the blacklist whether a token was revoked.

Any failure of the blacklist becomes BlacklistUnavailableError (503): a request whose
token cannot be checked is refused, never let through. Every function takes the
blacklist it works on; which app's blacklist that is was decided by the caller.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable
from datetime import timedelta
from typing import TYPE_CHECKING, TypeVar

from sanic import Request
from sanic.exceptions import ServerError

from .exceptions import BlacklistUnavailableError, JWTExtendedException

if TYPE_CHECKING:
    from .blacklist import BlacklistABC
    from .protocols import TokenFacts

logger = logging.getLogger(__name__)

Result = TypeVar("Result")

# Revocations started while a request is handled, kept on its `ctx` under this name so
# that the protected view's response leaves only once they are stored.
_PENDING = "sanic_jwt_extended_revocations"
# Strong references to revocations in flight: asyncio keeps only weak ones, and a
# revocation nobody awaits (the 1.0 docs' `JWT.revoke(token)`) must still complete.
_in_flight: set[asyncio.Task[None]] = set()


def schedule_revocation(blacklist: BlacklistABC, token: TokenFacts) -> asyncio.Task[None]:
    """Start registering `token` with `blacklist` and return the task doing it."""
    task = asyncio.ensure_future(_guarded(blacklist.register(token)))
    _in_flight.add(task)
    task.add_done_callback(_finished)
    try:
        request = Request.get_current()
    except ServerError:  # not inside a request
        return task
    pending: list[asyncio.Task[None]] | None = getattr(request.ctx, _PENDING, None)
    if pending is None:
        setattr(request.ctx, _PENDING, pending := [])
    pending.append(task)
    return task


async def settle_revocations(request: Request) -> None:
    """Wait for the revocations the view started, raising the first failure."""
    pending: list[asyncio.Task[None]] | None = getattr(request.ctx, _PENDING, None)
    if pending:
        setattr(request.ctx, _PENDING, None)
        await asyncio.gather(*pending)


async def revoke_identity(
    blacklist: BlacklistABC, identity: str, keep_for: timedelta | None
) -> None:
    """Revoke every token of `identity` issued until now; keep the cut-off `keep_for`."""
    await _guarded(blacklist.register_identity(identity, time.time(), keep_for))


async def is_revoked(blacklist: BlacklistABC, token: TokenFacts) -> bool:
    return await _guarded(blacklist.is_blacklisted(token))


async def _guarded(call: Awaitable[Result]) -> Result:
    """Await a blacklist method, turning any failure of the store into a 503.

    The extension's own errors pass as they are: a ConfigurationConflictError (say, a
    blacklist without revoke_all) is a mistake to fix, not an outage.
    """
    try:
        return await call
    except JWTExtendedException:
        raise
    except Exception as error:
        raise BlacklistUnavailableError("The token blacklist cannot be reached.") from error


def _finished(task: asyncio.Task[None]) -> None:
    _in_flight.discard(task)
    if not task.cancelled() and (error := task.exception()) is not None:
        logger.warning("Token revocation failed: %s", error)
