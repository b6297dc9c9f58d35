"""The 1.0 docs' own example runs unchanged on this implementation."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import pytest

# The example's secret, "secret", is too short for HS256; PyJWT rightly says so.
pytestmark = pytest.mark.filterwarnings("ignore::jwt.warnings.InsecureKeyLengthWarning")


@pytest.fixture(scope="module")
def seed() -> ModuleType:
    # Sanic app names may not contain dots, so the module is loaded under a plain name.
    spec = importlib.util.spec_from_file_location(
        "seed_example", Path(__file__).with_name("seed_example.py")
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


async def test_login_then_protected_returns_the_private_claims(seed: ModuleType) -> None:
    client = seed.app.asgi_client
    _, response = await client.post("/login", json={"username": "alice"})
    assert response.status == 200
    assert set(response.json) == {"access_token", "refresh_token"}

    _, response = await client.get(
        "/protected", headers={"Authorization": f"Bearer {response.json['access_token']}"}
    )
    assert (response.status, response.json) == (200, {"private_claims": {"foo": "bar"}})


async def test_the_example_refuses_requests_without_a_token(seed: ModuleType) -> None:
    _, response = await seed.app.asgi_client.get("/protected")
    assert response.status == 401
