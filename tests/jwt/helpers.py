"""The extension tests' helpers: an app with every decorator on a few views, built with
given options; a journal and a 1.0-style blacklist; key pairs; forged tokens."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json as json_module
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from functools import cache
from typing import Any, NamedTuple

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, rsa
from sanic import Request, Sanic
from sanic.response import HTTPResponse, json
from sanic.views import HTTPMethodView

from sanic_jwt_extended import (
    JWT,
    TokenManager,
    jwt_optional,
    jwt_required,
    refresh_jwt_required,
)
from sanic_jwt_extended.blacklist import BlacklistABC, Cutoff
from sanic_jwt_extended.protocols import TokenFacts
from sanic_jwt_extended.tokens import Token

SECRET = "a-test-secret-that-is-long-enough-for-hs512-" + "x" * 32

AppFactory = Callable[..., Sanic[Any, Any]]


def bearer(token: str) -> dict[str, str]:
    """The `Authorization` header carrying `token` as a bearer token.

    Here rather than in tests/helpers.py, so that these tests run against an installed
    wheel with nothing of the service's around (tests/jwt/test_wheel.py).
    """
    return {"Authorization": f"Bearer {token}"}


def describe(token: Token | None) -> dict[str, Any]:
    """What the test views answer: enough of the token to assert on."""
    if token is None:
        return {"token": None}
    return {
        "identity": token.identity,
        "type": token.type,
        "role": token.role,
        "fresh": token.fresh,
        "private_claims": token.private_claims,
        "public_claims": token.public_claims,
    }


class ItemView(HTTPMethodView):
    @jwt_required
    async def get(self, request: Request, token: Token) -> HTTPResponse:
        return json(describe(token))

    @jwt_required(allow=["ADMIN"])
    async def delete(self, request: Request, token: Token) -> HTTPResponse:
        return json(describe(token))


def add_views(app: Sanic[Any, Any]) -> None:
    @app.get("/protected")
    @jwt_required
    async def protected(request: Request, token: Token) -> HTTPResponse:
        return json(describe(token))

    @app.post("/protected")
    @jwt_required()
    async def protected_post(request: Request, token: Token) -> HTTPResponse:
        return json(describe(token))

    @app.get("/optional")
    @jwt_optional
    async def optional(request: Request, token: Token | None) -> HTTPResponse:
        return json(describe(token))

    @app.post("/refresh")
    @refresh_jwt_required
    async def refresh(request: Request, token: Token) -> HTTPResponse:
        return json(describe(token))

    @app.post("/fresh")
    @jwt_required(fresh_required=True)
    async def fresh(request: Request, token: Token) -> HTTPResponse:
        return json(describe(token))

    @app.get("/admin")
    @jwt_required(allow=["ADMIN"])
    async def admin(request: Request, token: Token) -> HTTPResponse:
        return json(describe(token))

    @app.get("/not-banned")
    @jwt_required(deny=["BANNED"])
    async def not_banned(request: Request, token: Token) -> HTTPResponse:
        return json(describe(token))

    @app.post("/logout")
    @jwt_required
    async def logout(request: Request, token: Token) -> HTTPResponse:
        await token.revoke()
        return json({"msg": "Logged out."})

    @app.post("/logout-as-in-the-docs")
    @jwt_required
    async def logout_unawaited(request: Request, token: Token) -> HTTPResponse:
        JWT.revoke(token)  # the 1.0 docs' example: no await
        return json({"msg": "Goodbye"})

    @app.post("/revoke-all/<identity>")
    async def revoke_all(request: Request, identity: str) -> HTTPResponse:
        await JWT.revoke_all(identity)
        return json({"msg": "Revoked."})

    @app.post("/tokens/<identity>")
    async def issue(request: Request, identity: str) -> HTTPResponse:
        """Issues tokens inside a request: they must use this request's app."""
        return json({"access_token": JWT.create_access_token(identity, fresh=True)})

    @app.post("/rotate")
    @refresh_jwt_required
    async def rotate(request: Request, token: Token) -> HTTPResponse:
        """What a service's /refresh does with rotation on: the next pair of the family."""
        manager = TokenManager.of(request.app)
        refresh = await manager.rotate(token)
        access = manager.create_access_token(token.identity, family=token.family)
        return json({"access_token": access, "refresh_token": refresh})

    app.add_route(ItemView.as_view(), "/items")


def new_app() -> Sanic[Any, Any]:
    """A bare app with a name of its own (Sanic refuses two apps of one name)."""
    app = Sanic(f"jwt-{uuid.uuid4().hex[:12]}")
    app.config.AUTO_EXTEND = False  # sanic-ext is installed for the service, not needed here
    app.config.TOUCHUP = False  # the test client restarts the app per request: keep it cheap
    return app


def build_app(**options: Any) -> Sanic[Any, Any]:
    """An app initialised with `secret_key=SECRET` and `options`, with the test views."""
    app = new_app()
    with JWT.initialize(app) as manager:
        manager.config.secret_key = SECRET
        for name, value in options.items():
            setattr(manager.config, name, value)
    add_views(app)
    return app


class ListJournal:
    """A revocation journal kept in a list, shared by the apps of a test as a database
    table would be by the processes of a service."""

    def __init__(self) -> None:
        self.entries: list[Cutoff] = []
        self.reads = 0

    async def record(self, cutoffs: Sequence[Cutoff]) -> None:
        self.entries.extend(cutoffs)

    async def read(self, after: int) -> tuple[list[Cutoff], int]:
        self.reads += 1
        return self.entries[after:], len(self.entries)


class OnlyJtis(BlacklistABC):
    """A 1.0-style blacklist: register and is_blacklisted, nothing more."""

    def __init__(self) -> None:
        self.revoked: set[str] = set()

    async def register(self, token: TokenFacts) -> None:
        self.revoked.add(token.jti.hex)

    async def is_blacklisted(self, token: TokenFacts) -> bool:
        return token.jti.hex in self.revoked


# --- keys ----------------------------------------------------------------------------

OTHER_SECRET = "another-secret-long-enough-for-hs512-too-" + "y" * 40


class KeyPair(NamedTuple):
    private: str
    public: str


GENERATORS: dict[str, Callable[[], Any]] = {
    "rsa": lambda: rsa.generate_private_key(public_exponent=65537, key_size=2048),
    "p256": lambda: ec.generate_private_key(ec.SECP256R1()),
    "p384": lambda: ec.generate_private_key(ec.SECP384R1()),
    "p521": lambda: ec.generate_private_key(ec.SECP521R1()),
    "secp256k1": lambda: ec.generate_private_key(ec.SECP256K1()),
    "ed25519": ed25519.Ed25519PrivateKey.generate,
    "ed448": ed448.Ed448PrivateKey.generate,
}


def key_pair(kind: str, number: int = 0) -> KeyPair:
    """Key pair `number` of `kind`, generated on first use and kept for the module."""
    return _generate(kind, number)  # one cache key however the caller spells the call


def private_key(kind: str, number: int = 0) -> Any:
    """The key object of `key_pair(kind, number)`, for signing without parsing a PEM."""
    return _generate_key(kind, number)


@cache
def _generate_key(kind: str, number: int) -> Any:
    return GENERATORS[kind]()


@cache
def _generate(kind: str, number: int) -> KeyPair:
    key = _generate_key(kind, number)
    private = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    public = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return KeyPair(private.decode(), public.decode())


# --- forging tokens -------------------------------------------------------------------

ABSENT = object()  # a claim or header parameter left out
HMACS = {"HS256": hashlib.sha256, "HS384": hashlib.sha384, "HS512": hashlib.sha512}


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _without_absent(values: Mapping[str, Any]) -> dict[str, Any]:
    return {name: value for name, value in values.items() if value is not ABSENT}


def header(**changes: Any) -> dict[str, Any]:
    """The JOSE header of an access token, with `changes` (ABSENT removes a parameter)."""
    return _without_absent({"alg": "HS256", "typ": "JWT", "class": "access", **changes})


def claims(**changes: Any) -> dict[str, Any]:
    """Valid claims for "alice", with `changes` (ABSENT removes a claim)."""
    now = int(time.time())
    valid = {"sub": "alice", "iat": now, "nbf": now, "exp": now + 600, "jti": uuid.uuid4().hex}
    return _without_absent({**valid, **changes})


def _segment(part: Mapping[str, Any] | bytes) -> str:
    """base64url of `part`; dicts as JSON in UTF-8, non-ASCII text left unescaped."""
    if not isinstance(part, bytes):
        part = json_module.dumps(part, ensure_ascii=False).encode()
    return b64url(part)


def forge(
    head: Mapping[str, Any] | bytes | None = None,
    payload: Mapping[str, Any] | bytes | None = None,
    *,
    mac: str = "HS256",
    key: str | bytes = SECRET,
    signature: bytes | None = None,
    sign: Callable[[bytes], bytes] | None = None,
) -> str:
    """A compact JWS of `head` and `payload` (dicts are JSON-encoded, bytes taken as they are),
    HMAC-signed with `key` (as an attacker would: any bytes, a PEM too), unless a
    `signature` is given, or a `sign` function (say, an asymmetric key's) makes it."""
    signing_input = f"{_segment(header() if head is None else head)}."
    signing_input += _segment(claims() if payload is None else payload)
    if sign is not None:
        signature = sign(signing_input.encode())
    if signature is None:
        secret = key.encode() if isinstance(key, str) else key
        signature = hmac.new(secret, signing_input.encode(), HMACS[mac]).digest()
    return f"{signing_input}.{b64url(signature)}"
