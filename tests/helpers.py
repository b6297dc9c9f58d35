"""Helpers shared by the extension's and the service's tests (fixtures live in conftest.py)."""

import asyncio
import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import NoReturn

import asyncpg
import pytest
from redis import ConnectionPool


def bearer(token: str) -> dict[str, str]:
    """The `Authorization` header carrying `token` as a bearer token."""
    return {"Authorization": f"Bearer {token}"}


async def on_postgres(server_url: str, statement: str) -> None:
    """Run one statement on the server's database named in the URL."""
    connection = await asyncpg.connect(server_url.replace("postgres://", "postgresql://", 1))
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


@contextmanager
def postgres_database_beside(session_url: str) -> Iterator[str]:
    """The URL of a new, empty database next to the session's, dropped on exit."""
    server, session_name = session_url.rsplit("/", 1)
    name = f"{session_name}_{uuid.uuid4().hex[:8]}"
    asyncio.run(on_postgres(session_url, f'CREATE DATABASE "{name}"'))
    try:
        yield f"{server}/{name}"
    finally:
        asyncio.run(on_postgres(session_url, f'DROP DATABASE "{name}" WITH (FORCE)'))


def names_redis_database(url: str) -> bool:
    """Whether the Redis URL names a database (`/15` or `?db=15`), as redis-py reads it."""
    return "db" in ConnectionPool.from_url(url).connection_kwargs


def missing(problem: str, needed: str) -> NoReturn:
    """Skip for want of what the test needs; fail under CI, which must have it."""
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{problem}; CI needs {needed}", pytrace=False)
    pytest.skip(problem)
