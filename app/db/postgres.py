"""tortoise's asyncpg client, with a bound on how long a query waits for a connection.

asyncpg's pool makes a caller wait for a free connection as long as it takes; when every
connection is busy (a slow query holding them, a pool too small for the load) requests
would hang until Sanic's response timeout. This client waits `acquire_timeout` seconds
(a query parameter of the database URL, default 5) and then raises TimeoutError, which the
service answers as a 503 "The database is unavailable.". The pool's size is the URL's
`minsize` and `maxsize` (tortoise's defaults: 1 and 5). The settings check all three
when they are read (app.settings.PoolParameters).

Beside it, the lock that one migration of a database at a time holds.
"""

import zlib
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from typing import Any

import asyncpg
from tortoise.backends.asyncpg.client import AsyncpgDBClient

from app.settings import pool_parameters

# The key of the advisory lock migrations hold: any 64-bit number no other code of a
# database's users takes; PostgreSQL keys advisory locks per database.
MIGRATION_LOCK_KEY = zlib.crc32(b"stores_api migrations")


class _BoundedWaitPool:
    """asyncpg's pool, as tortoise's asyncpg client uses it, with a bounded `acquire()`.

    Both ways tortoise takes a connection (a query, a transaction) call `acquire()`; the
    rest is handed to the pool as it is.
    """

    def __init__(self, pool: asyncpg.Pool, acquire_timeout: float) -> None:
        self._pool = pool
        self._acquire_timeout = acquire_timeout

    def acquire(self, *, timeout: float | None = None) -> Any:
        return self._pool.acquire(timeout=self._acquire_timeout if timeout is None else timeout)

    async def release(self, connection: Any) -> None:
        await self._pool.release(connection)

    async def expire_connections(self) -> None:
        await self._pool.expire_connections()

    async def close(self) -> None:
        await self._pool.close()

    def terminate(self) -> None:
        self._pool.terminate()


class BoundedWaitClient(AsyncpgDBClient):
    """An `AsyncpgDBClient` whose pool gives up waiting for a connection after a while."""

    def __init__(self, *args: Any, acquire_timeout: float | str | None = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        given = {} if acquire_timeout is None else {"acquire_timeout": acquire_timeout}
        self.acquire_timeout = pool_parameters(given).acquire_timeout

    async def create_pool(self, **kwargs: Any) -> Any:
        return _BoundedWaitPool(await super().create_pool(**kwargs), self.acquire_timeout)


client_class = BoundedWaitClient


@asynccontextmanager
async def migration_lock(
    credentials: Mapping[str, Any], on_wait: Callable[[], object]
) -> AsyncIterator[None]:
    """Hold the database's migration lock, a session advisory lock, on a connection of
    its own: a pool of one connection could not lend it and also migrate. `on_wait` is
    called once if another session holds it, before waiting for it."""
    connection = await asyncpg.connect(
        host=credentials["host"],
        port=credentials["port"],
        user=credentials["user"],
        password=credentials["password"],
        database=credentials["database"],
        ssl=credentials.get("ssl"),
    )
    try:
        if not await connection.fetchval("SELECT pg_try_advisory_lock($1)", MIGRATION_LOCK_KEY):
            on_wait()
            await connection.execute("SELECT pg_advisory_lock($1)", MIGRATION_LOCK_KEY)
        yield
    finally:
        await connection.close()  # which ends the session, and its lock
