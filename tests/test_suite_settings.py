"""The test suite's own settings: the PostgreSQL databases and the Redis database it may
touch are chosen by the environment (the Makefile documents the defaults), and refused
when they would reach what the suite did not create."""

import asyncio
import socket
from collections.abc import Iterator

import pytest

from tests.conftest import DATABASE_PREFIX, database_prefix, require_redis_database
from tests.helpers import on_postgres


@pytest.fixture
def listening_port() -> Iterator[int]:
    """A loopback port that accepts connections, as a server's would (nothing answers)."""
    with socket.create_server(("127.0.0.1", 0)) as server:
        yield server.getsockname()[1]


def test_the_database_prefix_defaults_to_stores_test(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("APP_TEST_DATABASE_PREFIX", raising=False)
    assert database_prefix() == DATABASE_PREFIX == "stores_test_"
    monkeypatch.setenv("APP_TEST_DATABASE_PREFIX", "ci_run_7_")
    assert database_prefix() == "ci_run_7_"


@pytest.mark.parametrize("prefix", ["", "7up_", 'x"; DROP DATABASE postgres; --', "a" * 31])
def test_a_prefix_that_would_need_quoting_or_room_is_refused(
    monkeypatch: pytest.MonkeyPatch, prefix: str
) -> None:
    monkeypatch.setenv("APP_TEST_DATABASE_PREFIX", prefix)
    with pytest.raises(pytest.fail.Exception, match="APP_TEST_DATABASE_PREFIX"):
        database_prefix()


def test_the_runs_database_is_named_with_the_prefix(postgres_url: str) -> None:
    name = postgres_url.rsplit("/", 1)[1]
    assert name.startswith(database_prefix())
    assert len(name) + len("_12345678") <= 63  # a database made beside it still fits
    asyncio.run(on_postgres(postgres_url, "SELECT 1"))  # it is there, by that name


def test_a_redis_url_must_name_the_database_the_tests_empty(
    monkeypatch: pytest.MonkeyPatch, listening_port: int
) -> None:
    monkeypatch.setenv("APP_TEST_REDIS_URL", f"redis://127.0.0.1:{listening_port}")
    with pytest.raises(pytest.fail.Exception, match="names no database"):
        require_redis_database("APP_TEST_REDIS_URL")
    for named in (
        f"redis://127.0.0.1:{listening_port}/15",
        f"redis://127.0.0.1:{listening_port}?db=3",
    ):
        monkeypatch.setenv("APP_TEST_REDIS_URL", named)
        assert require_redis_database("APP_TEST_REDIS_URL") == named
