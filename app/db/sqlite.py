"""tortoise's SQLite client, made to recover from a connection that failed to open.

tortoise opens its single SQLite connection lazily, under a lock, on the first query or
transaction. When opening fails (a file that is not a database, a directory that cannot be
written) it keeps the lock and a half-open connection, and every later query of the
process waits for ever. This client releases the lock and drops the failed connection:
the query raises (a 503 for the service) and the next one opens a connection afresh.
"""

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
