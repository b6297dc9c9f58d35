"""The token revocation journal in the database: what makes revocations survive restarts.

The extension writes every revocation here before its blacklist (see
sanic_jwt_extended.blacklist.RevocationJournal) and, when the server starts, fills the
blacklist from here; an in-memory blacklist also reads, every second, what another
process (the command line) wrote. Writes join the caller's transaction, so a role change
and the cut-off it makes commit together.
"""

import asyncio
import math
import time
from collections.abc import Callable, Sequence

from tortoise.context import TortoiseContext
from tortoise.expressions import Q

from app.db.models import Revocation
from sanic_jwt_extended.blacklist import EVERY_TOKEN, Cutoff


class DatabaseJournal:
    """The `revocations` table as the extension's journal.

    `context` gives the database context to read through when none is current (the
    server's start and its background reads); writes always run where the caller is.
    """

    def __init__(self, context: Callable[[], TortoiseContext] | None = None) -> None:
        self._context = context

    async def record(self, cutoffs: Sequence[Cutoff]) -> None:
        await Revocation.bulk_create(
            [
                Revocation(
                    key=cutoff.key,
                    until=None if math.isinf(cutoff.until) else cutoff.until,
                    expires_at=cutoff.expires_at,
                )
                for cutoff in cutoffs
            ]
        )

    async def read(self, after: int) -> tuple[list[Cutoff], int]:
        if self._context is None:
            return await self._read(after)
        return await asyncio.create_task(self._read_through(self._context(), after))

    async def _read_through(self, context: TortoiseContext, after: int) -> tuple[list[Cutoff], int]:
        """`_read` with `context` current, in a task of its own (see `read`).

        Entered without an exit, as each request enters it (app.web.request): a
        `with context:` around an await would reset, on its way out, the token that a
        request entering the same context meanwhile left on it, and fail ("created in a
        different Context"). The task's own copy of the context variables ends with it.
        """
        context.__enter__()
        return await self._read(after)

    async def _read(self, after: int) -> tuple[list[Cutoff], int]:
        now = time.time()
        if after == 0:  # a start: what has expired is of no use to anyone any more
            await Revocation.filter(expires_at__lt=now).delete()
        rows = (
            await Revocation.filter(id__gt=after)
            .filter(Q(expires_at__isnull=True) | Q(expires_at__gte=now))
            .order_by("id")
            .values_list("id", "key", "until", "expires_at")
        )
        cutoffs = [
            Cutoff(key, EVERY_TOKEN if until is None else until, expires_at)
            for _, key, until, expires_at in rows
        ]
        return cutoffs, (rows[-1][0] if rows else after)
