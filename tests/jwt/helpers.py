"""The extension tests' app: every decorator on a small set of views, built with given options."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from typing import Any

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
from sanic_jwt_extended.blacklist import Cutoff
from sanic_jwt_extended.tokens import Token

SECRET = "a-test-secret-that-is-long-enough-for-hs512-" + "x" * 32

AppFactory = Callable[..., Sanic]


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


def add_views(app: Sanic) -> None:
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


def new_app() -> Sanic:
    """A bare app with a name of its own (Sanic refuses two apps of one name)."""
    app = Sanic(f"jwt-{uuid.uuid4().hex[:12]}")
    app.config.AUTO_EXTEND = False  # sanic-ext is installed for the service, not needed here
    app.config.TOUCHUP = False  # the test client restarts the app per request: keep it cheap
    return app


def build_app(**options: Any) -> Sanic:
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
