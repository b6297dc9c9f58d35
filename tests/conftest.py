"""Fixtures shared by the extension's and the service's tests.

PostgreSQL and Redis tests talk to real servers. A missing server skips those tests on a
developer's machine, but fails them under CI=true, where a skip would hide a broken run.
"""

import asyncio
import os
import socket
import uuid
from collections.abc import Iterator
from urllib.parse import urlsplit, urlunsplit

import pytest

from tests.helpers import missing, on_postgres


def _reachable(url: str) -> bool:
    parts = urlsplit(url)
    try:
        with socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 0), 2):
            return True
    except OSError:
        return False


def require_server(env_var: str) -> str:
    """Return the server URL named by `env_var`, or skip (fail under CI) if unusable."""
    url = os.environ.get(env_var, "")
    problem = f"{env_var} is not set" if not url else None
    if url and not _reachable(url):
        problem = f"nothing answers at {url} ({env_var})"
    if problem is None:
        return url
    missing(problem, "this server")


@pytest.fixture(scope="session")
def redis_url() -> str:
    """A real Redis, from APP_TEST_REDIS_URL (the Makefile points it at database 15,
    which the tests empty)."""
    return require_server("APP_TEST_REDIS_URL")


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A database of this run's own, on the PostgreSQL server of APP_TEST_DATABASE_URL.

    Created with a unique name and dropped at the end, so the suite never touches data it
    did not create, and two runs can share one server.
    """
    server_url = require_server("APP_TEST_DATABASE_URL")
    name = f"stores_test_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    asyncio.run(on_postgres(server_url, f'CREATE DATABASE "{name}"'))
    try:
        yield urlunsplit(urlsplit(server_url)._replace(path=f"/{name}"))
    finally:
        asyncio.run(on_postgres(server_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
