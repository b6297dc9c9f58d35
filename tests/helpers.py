"""Helpers shared by the extension's and the service's tests (fixtures live in conftest.py)."""

import os
from typing import NoReturn

import pytest


def bearer(token: str) -> dict[str, str]:
    """The `Authorization` header carrying `token` as a bearer token."""
    return {"Authorization": f"Bearer {token}"}


def missing(problem: str, needed: str) -> NoReturn:
    """Skip for want of what the test needs; fail under CI, which must have it."""
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{problem}; CI needs {needed}", pytrace=False)
    pytest.skip(problem)
