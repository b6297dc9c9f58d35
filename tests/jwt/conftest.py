"""Fixtures of the extension's tests: an app built afresh for each test (see helpers.py)."""

from __future__ import annotations

from typing import Any

import pytest
from sanic import Sanic

from .helpers import AppFactory, build_app


@pytest.fixture
def make_app() -> AppFactory:
    return build_app


@pytest.fixture
def app() -> Sanic[Any, Any]:
    return build_app()
