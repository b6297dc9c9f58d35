"""Every example app of the distribution (packages/sanic-jwt-extended/examples) runs and
answers its routes as its docstring says."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
import uuid
from http.cookies import SimpleCookie
from pathlib import Path
from types import ModuleType
from typing import Any

import jwt
import pytest
from sanic import Sanic

from sanic_jwt_extended.testing import bearer_headers

EXAMPLES = Path(__file__).resolve().parents[2] / "packages" / "sanic-jwt-extended" / "examples"
_loaded: dict[str, ModuleType] = {}


def example(name: str) -> Sanic[Any, Any]:
    """The example's app, loaded once per process (Sanic app names are unique)."""
    if name not in _loaded:
        spec = importlib.util.spec_from_file_location(f"example_{name}", EXAMPLES / f"{name}.py")
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        module.app.config.AUTO_EXTEND = False  # sanic-ext, if installed, is not needed here
        _loaded[name] = module
    app: Sanic[Any, Any] = _loaded[name].app
    return app


def test_every_example_is_tested_here() -> None:
    tested = {"basic", "cookies_csrf", "roles", "fresh_tokens", "redis_blacklist"}
    tested |= {"asymmetric_keys", "private_claims"}
    assert {
        path.stem for path in EXAMPLES.glob("*.py") if path.stem != "test_basic_example"
    } == tested


def test_the_example_of_an_apps_own_tests_passes() -> None:
    """examples/test_basic_example.py, run by pytest as a user would run it."""
    command = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q"]
    result = subprocess.run(
        [*command, "test_basic_example.py"],
        cwd=EXAMPLES,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "3 passed" in result.stdout


async def test_basic() -> None:
    client = example("basic").asgi_client
    _, refused = await client.post("/login", json={"username": "alice", "password": "no"})
    assert refused.status == 401
    _, login = await client.post("/login", json={"username": "alice", "password": "wonderland"})
    access, refresh = login.json["access_token"], login.json["refresh_token"]
    _, me = await client.get("/me", headers=bearer_headers(access))
    assert me.json["username"] == "alice"
    _, hello = await client.get("/greeting", headers=bearer_headers(access))
    _, stranger = await client.get("/greeting")
    assert (hello.json, stranger.json) == ({"msg": "Hello, alice!"}, {"msg": "Hello, stranger!"})
    _, refreshed = await client.post("/refresh", headers={"X-Refresh-Token": f"Bearer {refresh}"})
    _, me_again = await client.get("/me", headers=bearer_headers(refreshed.json["access_token"]))
    assert me_again.status == 200
    _, wrong = await client.get("/me", headers={"Authorization": f"Bearer {refresh}"})
    assert wrong.status == 422  # a refresh token where an access token is expected


def cookies_of(response: Any) -> SimpleCookie:
    jar: SimpleCookie = SimpleCookie()
    for header in response.headers.get_list("set-cookie"):
        jar.load(header)
    return jar


def cookie_header(jar: SimpleCookie, *names: str) -> dict[str, str]:
    return {"Cookie": "; ".join(f"{name}={jar[name].value}" for name in names)}


async def test_cookies_csrf() -> None:
    client = example("cookies_csrf").asgi_client
    _, login = await client.post("/login", json={"username": "alice"})
    jar = cookies_of(login)
    access = cookie_header(jar, "access_token_cookie")
    _, me = await client.get("/me", headers=access)
    assert (me.status, me.json) == (200, {"username": "alice"})
    _, forged = await client.post("/notes", headers=access)
    assert forged.status == 401  # no CSRF header: a cross-site request
    csrf = {"X-CSRF-Token": jar["csrf_access_token"].value}
    _, note = await client.post("/notes", headers={**access, **csrf})
    assert note.status == 201
    refresh_csrf = {"X-CSRF-Refresh-Token": jar["csrf_refresh_token"].value}
    refresh = cookie_header(jar, "refresh_token_cookie")
    _, refreshed = await client.post("/refresh", headers={**refresh, **refresh_csrf})
    assert "access_token_cookie" in cookies_of(refreshed)
    _, logout = await client.post("/logout")
    assert all(morsel["max-age"] == "0" for morsel in cookies_of(logout).values())


@pytest.mark.parametrize(
    ("user", "path", "status"),
    [
        ("alice", "/reports", 200),
        ("bob", "/reports", 403),
        ("bob", "/forum", 200),
        ("mallory", "/forum", 403),
    ],
)
async def test_roles(user: str, path: str, status: int) -> None:
    client = example("roles").asgi_client
    _, login = await client.post(f"/login/{user}")
    _, response = await client.get(path, headers=bearer_headers(login.json["access_token"]))
    assert response.status == status


async def test_fresh_tokens() -> None:
    client = example("fresh_tokens").asgi_client
    _, login = await client.post("/login", json={"username": "alice"})
    fresh = bearer_headers(login.json["access_token"])
    _, changed = await client.post("/email", headers=fresh)
    assert changed.status == 200
    refresh = {"X-Refresh-Token": f"Bearer {login.json['refresh_token']}"}
    _, refreshed = await client.post("/refresh", headers=refresh)
    stale = bearer_headers(refreshed.json["access_token"])
    _, profile = await client.get("/profile", headers=stale)
    assert profile.json == {"username": "alice", "fresh": False}
    _, refused = await client.post("/email", headers=stale)
    assert (refused.status, refused.json) == (401, {"msg": "Fresh token required."})


async def test_redis_blacklist(redis_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REDIS_URL", redis_url)
    monkeypatch.setenv("REDIS_KEY_PREFIX", f"example-{uuid.uuid4().hex}")
    client = example("redis_blacklist").asgi_client

    async def login(user: str) -> dict[str, str]:
        _, response = await client.post(f"/login/{user}")
        return bearer_headers(response.json["access_token"])

    async def status(headers: dict[str, str]) -> int:
        _, response = await client.get("/me", headers=headers)
        return int(response.status)

    first = await login("alice")
    await client.post("/logout", headers=first)
    assert await status(first) == 401
    second, third = await login("alice"), await login("alice")
    await client.post("/logout-everywhere", headers=second)
    assert (await status(second), await status(third)) == (401, 401)
    assert await status(await login("alice")) == 200


async def test_asymmetric_keys() -> None:
    client = example("asymmetric_keys").asgi_client
    _, login = await client.post("/login/alice")
    token = login.json["access_token"]
    _, me = await client.get("/me", headers=bearer_headers(token))
    assert me.json == {"username": "alice", "issuer": "https://auth.example.com"}
    _, jwks = await client.get("/.well-known/jwks.json")
    (key,) = jwks.json["keys"]
    assert key["kid"] == jwt.get_unverified_header(token)["kid"] and "d" not in key
    # What another service does: verify with the published key, knowing no secret.
    claims = jwt.decode(token, jwt.PyJWK(key).key, algorithms=["ES256"])
    assert claims["sub"] == "alice"


async def test_private_claims() -> None:
    client = example("private_claims").asgi_client
    _, login = await client.post("/login/alice")
    _, me = await client.get("/me", headers=bearer_headers(login.json["access_token"]))
    assert me.json["user_id"] == 7
    assert me.json["private_claims"] == {"plan": "gold", "username": "alice"}
    assert me.json["public_claims"] == {"locale": {"country": "NL"}}
    assert {"shop_plan", "https://shop.example.com/locale/country"} <= set(
        me.json["raw_claim_names"]
    )
