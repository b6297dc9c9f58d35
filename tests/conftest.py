"""Fixtures shared by the extension's and the service's tests.

PostgreSQL and Redis tests talk to real servers. A missing server skips those tests on a
developer's machine, but fails them under CI=true, where a skip would hide a broken run.
"""

import asyncio
import os
import re
import socket
import uuid
from collections.abc import Iterator
from urllib.parse import urlsplit, urlunsplit

import pytest

from tests.helpers import missing, names_redis_database, on_postgres

# APP_TEST_DATABASE_PREFIX's default, the Makefile's, so that a bare `pytest` names alike.
DATABASE_PREFIX = "stores_test_"

# A prefix that needs no quoting and leaves room, under PostgreSQL's 63 bytes, for the
# suffixes: `<pid>_<8 hex>` here, `_<8 hex>` for each database made beside it.
PREFIX_PATTERN = r"[a-z_][a-z0-9_]{0,29}"


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


def require_redis_database(env_var: str) -> str:
    """The Redis URL named by `env_var`, as `require_server`, which must name a database.

    The tests empty it: without a number Redis would hand them database 0, where
    applications keep their data.
    """
    url = require_server(env_var)
    if not names_redis_database(url):
        pytest.fail(
            f"{env_var}={url} names no database; the tests empty the one it names, "
            "e.g. redis://127.0.0.1:6379/15",
            pytrace=False,
        )
    return url


@pytest.fixture(scope="session")
def redis_url() -> str:
    """A real Redis database, from APP_TEST_REDIS_URL (the Makefile's default: database 15)."""
    return require_redis_database("APP_TEST_REDIS_URL")


def database_prefix() -> str:
    """The start of the names of the PostgreSQL databases the tests make and drop, from
    APP_TEST_DATABASE_PREFIX: two suites on one server keep apart by choosing two."""
    prefix = os.environ.get("APP_TEST_DATABASE_PREFIX", DATABASE_PREFIX)
    if not re.fullmatch(PREFIX_PATTERN, prefix):
        pytest.fail(
            f"APP_TEST_DATABASE_PREFIX={prefix!r}: 1 to 30 lower-case letters, digits or "
            "underscores, not starting with a digit",
            pytrace=False,
        )
    return prefix


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A database of this run's own, on the PostgreSQL server of APP_TEST_DATABASE_URL.

    Created with a unique name, APP_TEST_DATABASE_PREFIX<pid>_<random>, and dropped at the
    end, so the suite never touches data it did not create, and two runs can share one
    server.
    """
    server_url = require_server("APP_TEST_DATABASE_URL")
    name = f"{database_prefix()}{os.getpid()}_{uuid.uuid4().hex[:8]}"
    asyncio.run(on_postgres(server_url, f'CREATE DATABASE "{name}"'))
    try:
        yield urlunsplit(urlsplit(server_url)._replace(path=f"/{name}"))
    finally:
        asyncio.run(on_postgres(server_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
