"""`JWT`: the class-level entry point of the 1.0 API, and the wiring of an app.

This is the top of the stack: the one module that, besides `Token`'s default, resolves
which app a class-level call is about.
"""

from __future__ import annotations

import asyncio
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Unpack

from sanic import Request, Sanic

from .blacklist import BlacklistABC, InMemoryBlacklist
from .config import Config
from .handlers import ERRORS, Handlers
from .openapi import publish
from .revocation import revoke_identity
from .state import JWTState, attach, current_state, latest_state, state_of
from .tokens import Token, TokenOptions, encode_token

# Set on app.ctx once the app's error handlers and listeners are registered, so that
# initialising the same app again does not register them twice.
_WIRED = "sanic_jwt_extended_wired"


class _ShowsState(type):
    """Gives `JWT` its `config`, `handler` and `blacklist` attributes.

    They are read, never stored: those of the state being configured inside
    `JWT.initialize`, else those of the app initialised last, which is what the class
    methods use. So they cannot disagree with it, even after an initialisation failed.
    """

    _configuring: JWTState | None = None

    def _shown_state(cls) -> JWTState:
        return cls._configuring or latest_state()

    @property
    def config(cls) -> Config:
        """The options; read-only once `JWT.initialize` closed."""
        return cls._shown_state().config

    @property
    def handler(cls) -> Handlers:
        """The error handlers, replaceable inside `JWT.initialize`."""
        return cls._shown_state().handler

    @property
    def blacklist(cls) -> BlacklistABC | None:
        """The blacklist, created when `JWT.initialize` closes (None: `use_blacklist` off)."""
        return cls._shown_state().blacklist


class JWT(metaclass=_ShowsState):
    """Configure the extension, create tokens and revoke them.

    Everything is a class method, as in 1.0. `JWT.config`, `JWT.handler` and
    `JWT.blacklist` are those of the app initialised last (inside `JWT.initialize`, of the
    app being initialised); requests use the state of their own app (see `state.py`).
    """

    @classmethod
    @contextmanager
    def initialize(cls, app: Sanic[Any, Any]) -> Iterator[type[JWT]]:
        """Yield the class, whose `config` and `handler` are `app`'s to set in the block.

        app: the Sanic app to protect; initialising it again replaces its state.

        Closing validates the configuration (ConfigurationConflictError for one that cannot
        work), parses the keys, locks `config` and `handler`, creates the blacklist,
        registers the error handlers and the blacklist's start and stop listeners, and,
        when sanic-ext publishes an OpenAPI specification for `app`, adds the security
        schemes to it and documents the protected routes when `app` starts. Only
        then does `app` become the app initialised last: a block that fails leaves the
        previous app in force.
        """
        state = JWTState()
        outer, cls._configuring = cls._configuring, state  # outer: a block around this one
        try:
            yield cls
            state.close()
            state.blacklist = _create_blacklist(state.config)
            _wire(app)
            publish(app, state)
            attach(app, state)  # last: only a completed initialisation is in force
        finally:
            cls._configuring = outer

    @classmethod
    def create_access_token(
        cls,
        identity: Any,
        role: str | None = None,
        fresh: bool | None = None,
        **options: Unpack[TokenOptions],
    ) -> str:
        """A signed access token, for the app serving the request (else initialised last).

        identity: who the token is for; stored as the string `sub` (`str(identity)`).
        role: stored in the `acl_claim`; needs `use_acl` (else ConfigurationConflictError).
        fresh: True for a token straight from a login, as `fresh_required` views demand.

        Keyword-only options:
        expires_delta: a `timedelta` lifetime, False for no `exp`; None: the configured
            `access_token_expires`.
        private_claims: a mapping stored as `{private_claim_prefix}_{key}`.
        public_claims: a mapping stored under `public_claim_namespace`, nested mappings
            flattened into `/`-separated names; needs the namespace.
        iss, aud: the issuer and audience; None: `default_iss`, `default_aud`.
        nbf: a datetime or timestamp before which the token is refused; None: now.
        issued_at: the moment (not in the future) as of which the claims are true, say
            when the user's row was read; None: now. A `revoke_all` after that moment
            revokes the token, even one created later.

        A claim whose stored name would overwrite a registered or reserved claim raises
        ConfigurationConflictError.
        """
        return encode_token(current_state(), "access", identity, role, fresh, **options)

    @classmethod
    def create_refresh_token(
        cls, identity: Any, role: str | None = None, **options: Unpack[TokenOptions]
    ) -> str:
        """A signed refresh token: the arguments of `create_access_token`, without `fresh`.

        Refresh tokens are never fresh; `expires_delta=None` means the configured
        `refresh_token_expires`.
        """
        return encode_token(current_state(), "refresh", identity, role, None, **options)

    @classmethod
    def revoke(cls, token: Token) -> asyncio.Task[None]:
        """Revoke `token` (a verified `Token`); works awaited or not, as `token.revoke()`.

        The 1.0 docs call it without await: the revocation starts at once either way, and
        awaiting the task waits for it and raises its errors.
        """
        return token.revoke()

    @classmethod
    async def revoke_all(cls, identity: Any) -> None:
        """Revoke every token of `identity` issued before this call.

        identity: the identity the tokens were created for (compared as `str(identity)`).

        Seen by every worker sharing the blacklist; tokens issued afterwards, even within
        the same second, are unaffected. Raises ConfigurationConflictError without a
        blacklist, or with one that does not implement `register_identity`.
        """
        state = current_state()
        await revoke_identity(state.require_blacklist(), str(identity), state.longest_lifetime)


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
    for error in ERRORS:
        app.error_handler.add(error.exception, _dispatch(error.name))
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
