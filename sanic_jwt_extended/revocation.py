"""Revoking tokens, and asking the blacklist whether a token was revoked.

Any failure of the blacklist becomes BlacklistUnavailableError (503): a request whose
token cannot be checked is refused, never let through.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from sanic import Request
from sanic.exceptions import ServerError

from .blacklist import BlacklistABC
from .exceptions import BlacklistUnavailableError, ConfigurationConflictError

if TYPE_CHECKING:
    from .state import JWTState
    from .tokens import Token

logger = logging.getLogger(__name__)

# Revocations started while a request is handled, kept on its `ctx` under this name so
# that the protected view's response leaves only once they are stored.
_PENDING = "sanic_jwt_extended_revocations"
# Strong references to revocations in flight: asyncio keeps only weak ones, and a
# revocation nobody awaits (the 1.0 docs' `JWT.revoke(token)`) must still complete.
_in_flight: set[asyncio.Task[None]] = set()


def schedule_revocation(state: JWTState, token: Token) -> asyncio.Task[None]:
    """Start registering `token` with the blacklist and return the task doing it."""
    blacklist = _blacklist(state)
    task = asyncio.ensure_future(_guarded(lambda: blacklist.register(token)))
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


async def revoke_identity(state: JWTState, identity: Any) -> None:
    """Revoke every token of `identity` issued until now."""
    blacklist = _blacklist(state)
    if type(blacklist).register_identity is BlacklistABC.register_identity:
        raise ConfigurationConflictError(
            f"{type(blacklist).__name__} does not implement register_identity(), "
            "which JWT.revoke_all() needs"
        )
    cutoff = time.time()
    await _guarded(
        lambda: blacklist.register_identity(str(identity), cutoff, state.longest_lifetime)
    )


async def is_revoked(blacklist: BlacklistABC, token: Token) -> bool:
    return bool(await _guarded(lambda: blacklist.is_blacklisted(token)))


async def _guarded(call: Callable[[], Any]) -> Any:
    """Run a blacklist method (async, or sync as some 1.0 examples wrote them)."""
    try:
        result = call()
        return await result if inspect.isawaitable(result) else result
    except BlacklistUnavailableError:
        raise
    except Exception as error:
        raise BlacklistUnavailableError("The token blacklist cannot be reached.") from error


def _blacklist(state: JWTState) -> BlacklistABC:
    if state.blacklist is None:
        raise ConfigurationConflictError("revoking tokens needs use_blacklist = True")
    return state.blacklist


def _finished(task: asyncio.Task[None]) -> None:
    _in_flight.discard(task)
    if not task.cancelled() and (error := task.exception()) is not None:
        logger.warning("Token revocation failed: %s", error)
