"""tortoise's SQLite client, made to recover from a connection that failed to open.

tortoise opens its single SQLite connection lazily, under a lock, on the first query or
transaction. When opening fails (a file that is not a database, a directory that cannot be
written) it keeps the lock and a half-open connection, and every later query of the
process waits for ever. This client releases the lock and drops the failed connection:
the query raises (a 503 for the service) and the next one opens a connection afresh.

Beside it, the lock that one migration of a database file at a time holds.
"""

import asyncio
import fcntl
import os
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from tortoise.backends.base.client import ConnectionWrapper, TransactionContext
from tortoise.backends.sqlite.client import (
    SqliteClient,
    SqliteTransactionContext,
    SqliteTransactionWrapper,
)


class _Connection(ConnectionWrapper[Any]):
    async def ensure_connection(self) -> None:
        try:
            await super().ensure_connection()
        except BaseException:
            self._lock.release()  # taken by __aenter__ just before
            raise


class _Transaction(SqliteTransactionContext):
    async def ensure_connection(self) -> None:
        try:
            await super().ensure_connection()
        except BaseException:
            self._trxlock.release()  # taken by __aenter__ just before
            raise


class RecoveringSqliteClient(SqliteClient):
    """A `SqliteClient` that a connection failing to open does not wedge."""

    async def create_connection(self, with_db: bool) -> None:
        try:
            await super().create_connection(with_db)
        except BaseException:
            await self.close()
            raise

    def acquire_connection(self) -> ConnectionWrapper[Any]:
        return _Connection(self._lock, self)

    def _in_transaction(self) -> TransactionContext:
        return _Transaction(SqliteTransactionWrapper(self), self._lock)


client_class = RecoveringSqliteClient

IN_MEMORY = ":memory:"


@asynccontextmanager
async def migration_lock(file_path: str, on_wait: Callable[[], object]) -> AsyncIterator[None]:
    """Hold the migration lock of the database at `file_path`: an exclusive `flock` of
    `<file_path>.lock`, kept beside it, for as long as the migration runs. `on_wait` is
    called once if another process holds it, before waiting for it.

    Not a lock of the database file itself: closing any descriptor of that file would
    drop the locks SQLite holds on it in this process. Nor an exclusive transaction: it
    would shut out the migration's own connection. A database in memory is this
    process's alone, and needs none.
    """
    if file_path == IN_MEMORY:
        yield
        return
    descriptor = os.open(f"{file_path}.lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            on_wait()
            await asyncio.to_thread(fcntl.flock, descriptor, fcntl.LOCK_EX)
        yield
    finally:
        os.close(descriptor)  # which releases the lock
