"""`JWT`: the class-level entry point of the 1.0 API."""

from __future__ import annotations

import asyncio
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, ClassVar, Unpack

from sanic import Request, Sanic

from .blacklist import BlacklistABC, InMemoryBlacklist
from .config import Config
from .handler import HANDLED_EXCEPTIONS, Handler
from .revocation import revoke_identity
from .state import JWTState, attach, current_state, state_of
from .tokens import Token, TokenOptions, encode_token

# Set on app.ctx once the app's error handlers and listeners are registered, so that
# initialising the same app again does not register them twice.
_WIRED = "sanic_jwt_extended_wired"


class JWT:
    """Configure the extension, create tokens and revoke them.

    Everything is a class method, as in 1.0. `config`, `handler` and `blacklist` are those
    of the app initialised last; requests use the state of their own app (see `state`).
    """

    config: ClassVar[Config]
    handler: ClassVar[Handler]
    blacklist: ClassVar[BlacklistABC | None] = None

    @classmethod
    @contextmanager
    def initialize(cls, app: Sanic[Any, Any]) -> Iterator[type[JWT]]:
        """Yield the class to configure; on closing, validate and wire the app.

        Closing raises ConfigurationConflictError for a configuration that cannot work,
        locks `config` and `handler`, creates the blacklist and registers the error
        handlers and the blacklist's start and stop listeners.
        """
        state = JWTState()
        cls.config, cls.handler, cls.blacklist = state.config, state.handler, None
        yield cls
        state.close()
        state.blacklist = _create_blacklist(state.config)
        cls.blacklist = state.blacklist
        attach(app, state)
        _wire(app)

    @classmethod
    def create_access_token(
        cls,
        identity: Any,
        role: str | None = None,
        fresh: bool | None = None,
        **options: Unpack[TokenOptions],
    ) -> str:
        """A signed access token for `identity` (stored as the string `sub`).

        `options` are keyword-only: `expires_delta`, `public_claims`, `private_claims`,
        `iss`, `aud`, `nbf`, and `issued_at`: the moment (not in the future) as of which
        the claims are true, say when the user's row was read; a `revoke_all` after that
        moment revokes the token, even one created later.
        """
        return encode_token(current_state(), "access", identity, role, fresh, **options)

    @classmethod
    def create_refresh_token(
        cls, identity: Any, role: str | None = None, **options: Unpack[TokenOptions]
    ) -> str:
        """A signed refresh token; like an access token, but never fresh."""
        return encode_token(current_state(), "refresh", identity, role, None, **options)

    @classmethod
    def revoke(cls, token: Token) -> asyncio.Task[None]:
        """Revoke `token`; works awaited or not (the 1.0 docs call it without await)."""
        return token.revoke()

    @classmethod
    async def revoke_all(cls, identity: Any) -> None:
        """Revoke every token of `identity` issued before this call, on every worker
        sharing the blacklist; tokens issued afterwards are unaffected."""
        await revoke_identity(current_state(), identity)


def _create_blacklist(config: Config) -> BlacklistABC | None:
    if not config.use_blacklist:
        return None
    blacklist_class = config.blacklist_class
    if blacklist_class is None:
        warnings.warn(
            "use_blacklist is on but no blacklist_class is set: falling back to InMemoryBlacklist",
            UserWarning,
            stacklevel=4,
        )
        blacklist_class = InMemoryBlacklist
    return blacklist_class(**(config.blacklist_init_kwargs or {}))


def _wire(app: Sanic[Any, Any]) -> None:
    """Register error handlers and listeners that look the app's current state up.

    Looking it up when called, rather than binding today's handlers, lets the same app
    be initialised again without Sanic's duplicate-handler error.
    """
    if getattr(app.ctx, _WIRED, False):
        return
    setattr(app.ctx, _WIRED, True)
    for name, exception in HANDLED_EXCEPTIONS.items():
        app.error_handler.add(exception, _dispatch(name))
    app.register_listener(_open_blacklist, "before_server_start")
    app.register_listener(_close_blacklist, "after_server_stop")


def _dispatch(name: str) -> Any:
    def respond(request: Request, exception: Exception) -> Any:
        return getattr(state_of(request.app).handler, name)(request, exception)

    respond.__name__ = name
    return respond


async def _open_blacklist(app: Sanic[Any, Any]) -> None:
    blacklist = state_of(app).blacklist
    if blacklist is not None:
        await blacklist.open()


async def _close_blacklist(app: Sanic[Any, Any]) -> None:
    blacklist = state_of(app).blacklist
    if blacklist is not None:
        await blacklist.close()
