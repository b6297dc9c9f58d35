"""`JWT.initialize(app)`: options and their defaults, read-only after closing, validation."""

from __future__ import annotations

import json
import warnings
from datetime import timedelta

import pytest

from sanic_jwt_extended import JWT
from sanic_jwt_extended.blacklist import InMemoryBlacklist
from sanic_jwt_extended.exceptions import ConfigurationConflictError

from .helpers import SECRET, AppFactory, bearer, new_app

DEFAULTS = {
    "secret_key": None,
    "public_key": None,
    "private_key": None,
    "default_iss": None,
    "default_aud": None,
    "json_encoder": json.JSONEncoder,
    "token_location": ("header",),
    "access_token_expires": timedelta(minutes=15),
    "refresh_token_expires": timedelta(days=30),
    "algorithm": "HS256",
    "public_claim_namespace": "",
    "private_claim_prefix": "",
    "jwt_header_key": "Authorization",
    "refresh_jwt_header_key": "X-Refresh-Token",
    "jwt_header_prefix": "Bearer",
    "refresh_jwt_header_prefix": "Bearer",
    "jwt_cookie": "access_token_cookie",
    "refresh_jwt_cookie": "refresh_token_cookie",
    "csrf_protect": True,
    "csrf_request_methods": ("POST", "PUT", "PATCH", "DELETE"),
    "jwt_csrf_header": "X-CSRF-Token",
    "refresh_jwt_csrf_header": "X-CSRF-Token",
    "jwt_query_param_name": "jwt",
    "use_acl": False,
    "acl_claim": "role",
    "use_blacklist": False,
    "blacklist_class": None,
    "blacklist_init_kwargs": None,
    "leeway": timedelta(0),
    "decode_algorithms": None,
}


@pytest.mark.parametrize(("option", "default"), DEFAULTS.items(), ids=list(DEFAULTS))
def test_every_option_has_its_1_0_default(option: str, default: object) -> None:
    with JWT.initialize(new_app()) as manager:
        assert getattr(manager.config, option) == default
        manager.config.secret_key = SECRET


def test_the_manager_is_the_jwt_class_and_its_config_stays_readable() -> None:
    with JWT.initialize(new_app()) as manager:
        manager.config.secret_key = SECRET
        manager.config.private_claim_prefix = "stores_api"
    assert manager is JWT
    assert JWT.config.private_claim_prefix == "stores_api"
    assert JWT.config.decode_algorithms == ["HS256"]  # the default, [algorithm], applied


def test_config_is_read_only_after_the_block_closes() -> None:
    with JWT.initialize(new_app()) as manager:
        manager.config.secret_key = SECRET
    with pytest.raises(RuntimeError, match=r"after JWT\.initialize"):
        JWT.config.secret_key = "changed"
    with pytest.raises(RuntimeError):
        JWT.handler.no_authorization = lambda request, exception: None
    assert JWT.config.secret_key == SECRET


def test_a_misspelt_option_fails_loudly() -> None:
    with (
        pytest.raises(AttributeError, match="secret"),
        JWT.initialize(new_app()) as manager,
    ):
        manager.config.secret = SECRET


@pytest.mark.parametrize(
    ("options", "complaint"),
    [
        ({}, "HS256 needs secret_key"),
        ({"algorithm": "HS512"}, "HS512 needs secret_key"),
        ({"algorithm": "RS256", "private_key": "x"}, "needs both private_key and public_key"),
        ({"algorithm": "ES256", "public_key": "x"}, "needs both private_key and public_key"),
        ({"algorithm": "EdDSA"}, "needs both private_key and public_key"),
        ({"secret_key": SECRET, "algorithm": "HS257"}, "unknown algorithm 'HS257'"),
        ({"secret_key": SECRET, "algorithm": "none"}, "unknown algorithm 'none'"),
        ({"secret_key": SECRET, "decode_algorithms": ["HS256", "none"]}, "'none'"),
        ({"secret_key": SECRET, "decode_algorithms": ["HS256", "RS256"]}, "cannot mix"),
        ({"secret_key": SECRET, "algorithm": "HS512", "decode_algorithms": ["HS256"]}, "include"),
        ({"secret_key": SECRET, "token_location": ("header", "body")}, "token_location"),
        ({"secret_key": SECRET, "token_location": ()}, "at least one location"),
        ({"secret_key": SECRET, "access_token_expires": 900}, "timedelta or False"),
        ({"secret_key": SECRET, "leeway": 5}, "leeway must be a timedelta"),
    ],
    ids=lambda value: value if isinstance(value, str) else None,
)
def test_closing_refuses_a_configuration_that_cannot_work(
    options: dict[str, object], complaint: str
) -> None:
    with (
        pytest.raises(ConfigurationConflictError, match=complaint),
        JWT.initialize(new_app()) as manager,
    ):
        for name, value in options.items():
            setattr(manager.config, name, value)


@pytest.mark.parametrize(
    ("spelling", "found_in"),
    [
        ("header", "header"),
        ("headers", "header"),
        ("query", "query"),
        ("query_string", "query"),
        ("cookies", "cookies"),
    ],
)
async def test_both_the_docs_and_the_code_spellings_of_locations_work(
    make_app: AppFactory, spelling: str, found_in: str
) -> None:
    app = make_app(token_location=(spelling,))
    token = JWT.create_access_token("alice")
    request = {
        "header": {"headers": bearer(token)},
        "query": {"params": {"jwt": token}},
        "cookies": {"headers": {"Cookie": f"access_token_cookie={token}"}},
    }[found_in]
    _, response = await app.asgi_client.get("/protected", **request)
    assert response.status == 200, response.json
    assert response.json["identity"] == "alice"


async def test_initialising_a_new_app_replaces_the_previous_state(make_app: AppFactory) -> None:
    first = make_app(private_claim_prefix="first")
    first_token = JWT.create_access_token("alice", private_claims={"n": 1})
    second = make_app(private_claim_prefix="second", secret_key=SECRET[::-1])
    assert JWT.config.private_claim_prefix == "second"
    second_token = JWT.create_access_token("alice", private_claims={"n": 2})

    # Each app keeps verifying with its own configuration...
    _, response = await first.asgi_client.get("/protected", headers=bearer(first_token))
    assert response.json["private_claims"] == {"n": 1}
    _, response = await second.asgi_client.get("/protected", headers=bearer(second_token))
    assert response.json["private_claims"] == {"n": 2}
    # ...so neither accepts the other's tokens, signed with another secret.
    _, response = await second.asgi_client.get("/protected", headers=bearer(first_token))
    assert response.status == 422


@pytest.mark.parametrize("failure", ["closing refuses", "the block raises"])
async def test_a_failed_initialisation_leaves_the_last_app_in_force(
    make_app: AppFactory, failure: str
) -> None:
    app = make_app(use_blacklist=True, blacklist_class=InMemoryBlacklist)
    in_force = (JWT.config, JWT.handler, JWT.blacklist)
    with (
        pytest.raises((ConfigurationConflictError, RuntimeError)),
        JWT.initialize(new_app()) as manager,
    ):
        manager.config.algorithm = "RS256"  # no keys: closing refuses
        if failure == "the block raises":
            raise RuntimeError("the caller's own code failed")
    # What JWT shows is what its class methods use: the app initialised last.
    assert (JWT.config, JWT.handler, JWT.blacklist) == in_force
    assert JWT.config.algorithm == "HS256"
    token = JWT.create_access_token("alice")
    _, response = await app.asgi_client.get("/protected", headers=bearer(token))
    assert response.status == 200
    await JWT.revoke_all("alice")  # on that app's blacklist
    _, response = await app.asgi_client.get("/protected", headers=bearer(token))
    assert response.status == 401


def test_inside_the_block_jwt_shows_the_app_being_initialised(make_app: AppFactory) -> None:
    make_app()
    with JWT.initialize(new_app()) as manager:
        manager.config.secret_key = SECRET[::-1]
        assert JWT.config.secret_key == SECRET[::-1]
        assert JWT.blacklist is None  # created when the block closes
        # Tokens are still those of the app in force until the block closes.
        assert JWT.create_access_token("alice")
    assert JWT.config.secret_key == SECRET[::-1]


async def test_tokens_created_inside_a_request_use_that_requests_app(
    make_app: AppFactory,
) -> None:
    first = make_app()
    make_app(secret_key=SECRET[::-1])  # initialised last: the default outside requests
    _, response = await first.asgi_client.post("/tokens/alice")
    _, response = await first.asgi_client.get(
        "/protected", headers=bearer(response.json["access_token"])
    )
    assert response.status == 200, response.json


async def test_the_same_app_can_be_initialised_again(make_app: AppFactory) -> None:
    app = make_app()
    with JWT.initialize(app) as manager:
        manager.config.secret_key = SECRET[::-1]
    token = JWT.create_access_token("alice")
    _, response = await app.asgi_client.get("/protected", headers=bearer(token))
    assert response.status == 200
    _, response = await app.asgi_client.get("/protected")
    assert response.status == 401


def test_enabling_the_blacklist_without_a_class_warns_and_falls_back_to_memory() -> None:
    with (
        pytest.warns(UserWarning, match="InMemoryBlacklist") as caught,
        JWT.initialize(new_app()) as manager,
    ):
        manager.config.secret_key = SECRET
        manager.config.use_blacklist = True
    messages = [str(warning.message) for warning in caught]
    assert any("falling back to InMemoryBlacklist" in message for message in messages)
    assert any("process-local" in message for message in messages)
    assert isinstance(JWT.blacklist, InMemoryBlacklist)


def test_no_blacklist_is_created_unless_enabled() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with JWT.initialize(new_app()) as manager:
            manager.config.secret_key = SECRET
    assert JWT.blacklist is None


def test_blacklist_init_kwargs_reach_the_blacklist_class() -> None:
    from sanic_jwt_extended.blacklist import RedisBlacklist

    with JWT.initialize(new_app()) as manager:
        manager.config.secret_key = SECRET
        manager.config.use_blacklist = True
        manager.config.blacklist_class = RedisBlacklist
        manager.config.blacklist_init_kwargs = {"url": "redis://127.0.0.1:1/0"}
    assert isinstance(JWT.blacklist, RedisBlacklist)
