"""Creating tokens with `JWT.create_*_token`, and reading them back through `Token`."""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
import pytest

from sanic_jwt_extended import JWT
from sanic_jwt_extended.exceptions import (
    ConfigurationConflictError,
    ExpiredSignatureError,
    InvalidTokenError,
)
from sanic_jwt_extended.tokens import Token

from .helpers import SECRET, AppFactory, bearer


def claims_of(raw: str) -> dict[str, Any]:
    return jwt.decode(raw, SECRET, algorithms=["HS256"], options={"verify_aud": False})


def lifetime(token: Token) -> timedelta:
    assert token.exp is not None
    return token.exp - token.iat


def test_registered_claims_and_the_token_class(make_app: AppFactory) -> None:
    make_app()
    before = time.time()
    raw = JWT.create_access_token(42)
    claims = claims_of(raw)

    assert claims["sub"] == "42"  # always a string: PyJWT 2.10+ refuses any other sub
    assert before <= claims["iat"] <= time.time()
    assert claims["nbf"] == claims["iat"]
    assert claims["exp"] == claims["iat"] + 15 * 60
    assert uuid.UUID(hex=claims["jti"]).version == 4
    assert jwt.get_unverified_header(raw)["class"] == "access"
    assert jwt.get_unverified_header(JWT.create_refresh_token(42))["class"] == "refresh"
    assert "iss" not in claims and "aud" not in claims and "fresh" not in claims


def test_token_attributes(make_app: AppFactory) -> None:
    make_app(use_acl=True)
    raw = JWT.create_access_token("alice", role="ADMIN", fresh=True)
    token = Token(raw)

    assert (token.raw_jwt, token.type, token.role, token.fresh) == (raw, "access", "ADMIN", True)
    assert token.identity == token.sub == "alice"
    assert token.raw_data == claims_of(raw)
    assert isinstance(token.jti, uuid.UUID)
    for moment in (token.iat, token.nbf, token.exp):
        assert moment is not None and moment.tzinfo is not None
        assert moment.utcoffset() == timedelta(0)
    assert lifetime(token) == timedelta(minutes=15)
    assert (token.iss, token.aud, token.csrf) == (None, None, None)


def test_refresh_tokens_live_thirty_days_and_are_never_fresh(make_app: AppFactory) -> None:
    make_app()
    token = Token(JWT.create_refresh_token("alice"))
    assert token.type == "refresh"
    assert token.fresh is None
    assert lifetime(token) == timedelta(days=30)


def test_expiry_can_be_changed_per_token_or_switched_off(make_app: AppFactory) -> None:
    make_app(access_token_expires=False)
    assert Token(JWT.create_access_token("a")).exp is None
    assert "exp" not in claims_of(JWT.create_access_token("a"))
    short = Token(JWT.create_access_token("a", expires_delta=timedelta(seconds=30)))
    assert lifetime(short) == timedelta(seconds=30)
    assert Token(JWT.create_refresh_token("a", expires_delta=False)).exp is None


def test_a_role_needs_the_acl_switched_on(make_app: AppFactory) -> None:
    make_app()
    with pytest.raises(ConfigurationConflictError, match="use_acl"):
        JWT.create_access_token("alice", role="ADMIN")


def test_the_role_goes_in_the_configured_claim(make_app: AppFactory) -> None:
    make_app(use_acl=True, acl_claim="permission")
    raw = JWT.create_refresh_token("alice", role="USER")
    assert claims_of(raw)["permission"] == "USER"
    assert Token(raw).role == "USER"


@pytest.mark.parametrize("create", ["create_access_token", "create_refresh_token"])
def test_private_claims_are_prefixed_the_same_way_in_both_token_types(
    make_app: AppFactory, create: str
) -> None:
    make_app(private_claim_prefix="stores_api", use_acl=True)
    raw = getattr(JWT, create)(
        "7", role="ADMIN", private_claims={"uid": 7, "is_admin": True, "sub": "not the subject"}
    )
    claims = claims_of(raw)
    assert claims["stores_api_uid"] == 7
    assert claims["stores_api_is_admin"] is True
    assert claims["sub"] == "7"
    # Only prefixed claims, the prefix removed; never the role or a registered claim.
    assert Token(raw).private_claims == {"uid": 7, "is_admin": True, "sub": "not the subject"}


def test_without_a_prefix_private_claims_are_every_claim_of_the_caller(
    make_app: AppFactory,
) -> None:
    make_app(use_acl=True, public_claim_namespace="https://example.com/")
    raw = JWT.create_access_token(
        "alice",
        role="USER",
        fresh=False,
        private_claims={"foo": "bar"},
        public_claims={"name": "Alice"},
        iss="issuer",
    )
    assert claims_of(raw)["foo"] == "bar"
    assert Token(raw).private_claims == {"foo": "bar"}


@pytest.mark.parametrize(
    ("prefix", "name"),
    [
        ("", "sub"),
        ("", "role"),
        ("", "fresh"),
        ("", "csrf"),
        ("", "exp"),
        ("", "jti"),
        ("", "type"),
    ],
)
def test_no_private_claim_may_overwrite_a_reserved_claim(
    make_app: AppFactory, prefix: str, name: str
) -> None:
    make_app(private_claim_prefix=prefix, use_acl=True)
    for create in (JWT.create_access_token, JWT.create_refresh_token):
        with pytest.raises(ConfigurationConflictError, match=name):
            create("alice", private_claims={name: "forged"})


def test_the_stored_name_is_what_must_not_collide(make_app: AppFactory) -> None:
    make_app(private_claim_prefix="role", acl_claim="role_admin", use_acl=True)
    with pytest.raises(ConfigurationConflictError, match="role_admin"):
        JWT.create_access_token("alice", private_claims={"admin": True})


def test_public_claims_are_namespaced_and_flattened_then_read_back_nested(
    make_app: AppFactory,
) -> None:
    make_app(public_claim_namespace="https://jwt.io/")
    public = {"sso_user_id": "asdf", "user_info": {"name": "foo", "langs": ["en", "fr"]}}
    raw = JWT.create_access_token("alice", public_claims=public)
    claims = claims_of(raw)
    assert claims["https://jwt.io/sso_user_id"] == "asdf"
    assert claims["https://jwt.io/user_info/name"] == "foo"
    assert claims["https://jwt.io/user_info/langs"] == ["en", "fr"]
    token = Token(raw)
    assert token.public_claims == public
    assert token.private_claims == {}


def test_public_claims_need_a_namespace(make_app: AppFactory) -> None:
    make_app()
    with pytest.raises(ConfigurationConflictError, match="public_claim_namespace"):
        JWT.create_access_token("alice", public_claims={"name": "Alice"})


def test_a_public_claim_may_not_overwrite_a_reserved_claim(make_app: AppFactory) -> None:
    make_app(public_claim_namespace="s")
    with pytest.raises(ConfigurationConflictError, match="sub"):
        JWT.create_access_token("alice", public_claims={"ub": "forged"})


def test_iss_and_aud_are_set_from_defaults_and_verified(make_app: AppFactory) -> None:
    make_app(default_iss="https://issuer", default_aud=["api", "admin"])
    token = Token(JWT.create_access_token("alice"))
    assert (token.iss, token.aud) == ("https://issuer", ["api", "admin"])
    assert Token(JWT.create_access_token("alice", aud="api")).aud == "api"

    with pytest.raises(jwt.InvalidIssuerError):
        Token(JWT.create_access_token("alice", iss="https://someone-else"))
    with pytest.raises(jwt.InvalidAudienceError):
        Token(JWT.create_access_token("alice", aud="elsewhere"))


def test_iss_and_aud_are_not_verified_when_not_configured(make_app: AppFactory) -> None:
    make_app()
    token = Token(JWT.create_access_token("alice", iss="me", aud="you"))
    assert (token.iss, token.aud) == ("me", "you")


async def test_a_token_from_the_future_is_refused_until_its_nbf(make_app: AppFactory) -> None:
    app = make_app()
    later = datetime.now(UTC) + timedelta(minutes=5)
    raw = JWT.create_access_token("alice", nbf=later)
    with pytest.raises(jwt.ImmatureSignatureError):
        Token(raw)
    _, response = await app.asgi_client.get("/protected", headers=bearer(raw))
    assert response.status == 422
    assert "not yet valid" in response.json["msg"]


async def test_an_expired_token_is_a_401_unless_within_the_leeway(make_app: AppFactory) -> None:
    strict = make_app()
    raw = JWT.create_access_token("alice", expires_delta=timedelta(seconds=-5))
    with pytest.raises(ExpiredSignatureError):
        Token(raw)
    _, response = await strict.asgi_client.get("/protected", headers=bearer(raw))
    assert (response.status, response.json) == (401, {"msg": "Token has expired."})

    lenient = make_app(leeway=timedelta(seconds=30))
    _, response = await lenient.asgi_client.get("/protected", headers=bearer(raw))
    assert response.status == 200


def test_expired_errors_are_invalid_token_errors_too(make_app: AppFactory) -> None:
    make_app()
    with pytest.raises(InvalidTokenError):
        Token(JWT.create_access_token("alice", expires_delta=timedelta(seconds=-1)))


def test_cookie_tokens_carry_a_csrf_value_only_when_protection_is_on(
    make_app: AppFactory,
) -> None:
    make_app(token_location=("header", "cookies"))
    assert Token(JWT.create_access_token("alice")).csrf
    assert Token(JWT.create_refresh_token("alice")).csrf
    make_app(token_location=("header", "cookies"), csrf_protect=False)
    assert Token(JWT.create_access_token("alice")).csrf is None
    make_app()
    assert Token(JWT.create_access_token("alice")).csrf is None


def test_a_custom_json_encoder_serialises_claim_values(make_app: AppFactory) -> None:
    import json

    class Encoder(json.JSONEncoder):
        def default(self, o: object) -> object:
            if isinstance(o, uuid.UUID):
                return str(o)
            return super().default(o)

    make_app(json_encoder=Encoder)
    value = uuid.uuid4()
    token = Token(JWT.create_access_token("alice", private_claims={"device": value}))
    assert token.private_claims == {"device": str(value)}


@pytest.mark.parametrize(
    "damage",
    [lambda raw: raw + "=", lambda raw: raw + " ", lambda raw: raw.replace(".", "é.", 1)],
    ids=["base64-padding", "trailing-space", "non-ascii"],
)
def test_only_the_compact_form_is_accepted(make_app: AppFactory, damage: object) -> None:
    make_app()
    raw = JWT.create_access_token("alice")
    with pytest.raises(InvalidTokenError, match="three base64url segments"):
        Token(damage(raw))  # type: ignore[operator]
