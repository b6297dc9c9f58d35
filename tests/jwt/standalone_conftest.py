"""The conftest.py above tests/jwt when it runs away from the repository.

tests/jwt/test_wheel.py copies tests/jwt next to this file, renamed conftest.py, and runs
it against an installed wheel: tests/conftest.py (the service's, which needs its
packages) is not there, so its one fixture the extension's tests use is given here.
"""

from __future__ import annotations

import os
import socket
from urllib.parse import urlsplit

import pytest

import sanic_jwt_extended


def pytest_report_header() -> str:
    """Where the extension was imported from: the wheel's install, not the repository."""
    return f"sanic_jwt_extended: {sanic_jwt_extended.__file__}"


@pytest.fixture(scope="session")
def redis_url() -> str:
    """The Redis database of APP_TEST_REDIS_URL; skipped without it (failed under CI)."""
    url = os.environ.get("APP_TEST_REDIS_URL", "")
    problem = "APP_TEST_REDIS_URL is not set" if not url else _unreachable(url)
    if problem is None:
        return url
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{problem}; CI needs it", pytrace=False)
    pytest.skip(problem)


def _unreachable(url: str) -> str | None:
    parts = urlsplit(url)
    try:
        with socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 6379), 2):
            return None
    except OSError:
        return f"nothing answers at APP_TEST_REDIS_URL={url}"
