"""Revoking tokens, and asking whether a token was revoked: one app's `Revocations`.

Any failure of the blacklist becomes BlacklistUnavailableError (503): a request whose
token cannot be checked is refused, never let through. With a revocation journal, each
revocation is written there first (its own errors pass as they are, e.g. a database's),
and the blacklist is filled from it when the server starts, so that no restart forgets
one; a blacklist of one process also follows what other processes record meanwhile.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable
from datetime import timedelta
from typing import TYPE_CHECKING, TypeVar

from sanic import Request
from sanic.exceptions import ServerError

from .blacklist import BlacklistABC, Cutoff, CutoffBlacklist, RevocationJournal
from .clock import CLOCK
from .exceptions import (
    BlacklistForgotError,
    BlacklistUnavailableError,
    ConfigurationConflictError,
    JWTExtendedException,
)

if TYPE_CHECKING:
    from .protocols import TokenFacts

logger = logging.getLogger(__name__)

Result = TypeVar("Result")

# Revocations started while a request is handled, kept on its `ctx` under this name so
# that the protected view's response leaves only once they are stored.
_PENDING = "sanic_jwt_extended_revocations"
# Strong references to revocations in flight: asyncio keeps only weak ones, and a
# revocation nobody awaits (the 1.0 docs' `JWT.revoke(token)`) must still complete.
_in_flight: set[asyncio.Task[None]] = set()


class Revocations:
    """One app's blacklist, and its journal when it has one, behind one interface.

    `keep_cutoffs_for` is the longest any token lives (None: some never expire): how long
    a `revoke_all` cut-off, or a family's end, must be kept. `needs_cutoffs`: the
    configuration relies on a `CutoffBlacklist` (a journal, rotation); refused without.
    """

    def __init__(
        self,
        blacklist: BlacklistABC,
        journal: RevocationJournal | None,
        *,
        keep_cutoffs_for: timedelta | None,
        poll_seconds: float,
        needs_cutoffs: bool,
    ) -> None:
        if needs_cutoffs and not isinstance(blacklist, CutoffBlacklist):
            raise ConfigurationConflictError(
                f"a revocation_journal and refresh_token_rotation need a CutoffBlacklist; "
                f"{type(blacklist).__name__} is not one"
            )
        self.blacklist = blacklist
        self._journal = journal
        self._keep_cutoffs_for = keep_cutoffs_for
        self._poll_seconds = poll_seconds
        self._journal_position = 0
        # False from a start until the journal has been read into the blacklist: until
        # then the blacklist may lack revocations, so no token is let through, and each
        # check raises what the last attempt met (a database's error, or the blacklist's).
        self._filled = True
        self._unfilled_because: Exception = BlacklistUnavailableError(
            "The token blacklist cannot be reached."
        )
        self._follower: asyncio.Task[None] | None = None
        # The fill from the journal under way after the store lost its revocations:
        # one for all the requests that found out at once.
        self._refill: asyncio.Task[None] | None = None

    def schedule(self, token: TokenFacts) -> asyncio.Task[None]:
        """Start revoking `token` and return the task doing it.

        Inside a request, the protected view's response also waits for it.
        """
        task = asyncio.ensure_future(self._revoke(token))
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

    async def revoke_identity(self, identity: str) -> None:
        """Revoke every token of `identity` issued until now."""
        issued_until = CLOCK.now()
        await self._record(Cutoff.of_identity(identity, issued_until, self._keep_cutoffs_for))
        await _guarded(
            self.blacklist.register_identity(identity, issued_until, self._keep_cutoffs_for)
        )

    async def is_revoked(self, token: TokenFacts) -> bool:
        if not self._filled:
            raise self._unfilled_because.with_traceback(None)
        try:
            return await _guarded(self.blacklist.is_blacklisted(token))
        except BlacklistForgotError:
            # Fail closed, then mend: nothing passes until the journal is in the store again.
            logger.warning("The token blacklist lost its revocations: filling it again")
            await self._fill_again()
            return await _guarded(self.blacklist.is_blacklisted(token))

    async def end_family(self, family: str) -> None:
        """Revoke every token of `family`, access and refresh, issued or to come."""
        cutoff = Cutoff.of_family(family, self._keep_cutoffs_for)
        await self._record(cutoff)
        await _guarded(self._cutoff_blacklist().apply([cutoff]))

    async def spend(self, token: TokenFacts) -> float | None:
        """Mark refresh `token` spent: None if this call did, else when it was spent."""
        return await _guarded(self._cutoff_blacklist().spend(token))

    def _cutoff_blacklist(self) -> CutoffBlacklist:
        if not isinstance(self.blacklist, CutoffBlacklist):
            raise ConfigurationConflictError(
                f"families need a CutoffBlacklist; {type(self.blacklist).__name__} is not one"
            )
        return self.blacklist

    async def open(self) -> None:
        """Open the blacklist; fill it from the journal, and follow it if not shared.

        A journal (or store) that cannot be read does not stop the start: tokens are
        refused with 503 until a later read, every `poll_seconds`, succeeds.
        """
        await self.blacklist.open()
        if self._journal is None:
            return
        self._filled = False
        with contextlib.suppress(Exception):  # logged, and tried again by the follower
            await self._catch_up_logged()
        if not self._filled or not self._shared:
            self._follower = asyncio.ensure_future(self._follow())

    async def close(self) -> None:
        if self._follower is not None:
            # Not awaited: a read stuck in a database driver must not hold up the stop.
            self._follower.cancel()
            self._follower = None
        await self.blacklist.close()

    async def catch_up(self) -> None:
        """Store in the blacklist what the journal recorded since last asked."""
        if self._journal is None:
            return
        cutoffs, position = await self._journal.read(self._journal_position)
        if cutoffs:
            await _guarded(self.blacklist.apply(cutoffs))
        if self._journal_position == 0 and isinstance(self.blacklist, CutoffBlacklist):
            await _guarded(self.blacklist.mark_filled())
        self._journal_position, self._filled = position, True

    async def _fill_again(self) -> None:
        """Read the whole journal into the blacklist again (once, however many ask)."""
        if self._refill is None or self._refill.done():
            self._journal_position = 0
            self._refill = asyncio.ensure_future(self.catch_up())
        await asyncio.shield(self._refill)

    @property
    def _shared(self) -> bool:
        return not isinstance(self.blacklist, CutoffBlacklist) or self.blacklist.shared

    async def _follow(self) -> None:
        """Read the journal every `poll_seconds`: for ever for a blacklist of one process,
        until it has been filled once for a shared one."""
        while not (self._filled and self._shared):
            await asyncio.sleep(self._poll_seconds)
            with contextlib.suppress(Exception):  # logged; the next turn tries again
                await self._catch_up_logged()

    async def _catch_up_logged(self) -> None:
        try:
            await self.catch_up()
        except Exception as error:
            logger.warning("Reading the revocation journal failed: %s", error)
            self._unfilled_because = error
            raise

    async def _revoke(self, token: TokenFacts) -> None:
        await self._record(Cutoff.of_token(token))
        await _guarded(self.blacklist.register(token))

    async def _record(self, cutoff: Cutoff) -> None:
        if self._journal is not None:
            await self._journal.record([cutoff])


async def settle_revocations(request: Request) -> None:
    """Wait for the revocations the view started, raising the first failure."""
    pending: list[asyncio.Task[None]] | None = getattr(request.ctx, _PENDING, None)
    if pending:
        setattr(request.ctx, _PENDING, None)
        await asyncio.gather(*pending)


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
