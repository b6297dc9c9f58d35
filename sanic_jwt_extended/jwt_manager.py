"""`JWT`: the class-level entry point of the 1.0 API, and the wiring of an app;
`TokenManager`: the same calls on one configuration, passed around explicitly.

This is the top of the stack: the one module that, besides `Token`'s default, resolves
which app a class-level call is about. Code that holds a `TokenManager` (from
`TokenManager.of(app)`, or `TokenManager.configure()` without an app, as a command line
needs) never depends on which app was initialised last.
"""

from __future__ import annotations

import asyncio
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Unpack

from sanic import Request, Sanic

from .blacklist import BlacklistABC, InMemoryBlacklist
from .clock import CLOCK
from .config import Config
from .exceptions import ConfigurationConflictError, RefreshTokenReusedError, WrongTokenError
from .handlers import ERRORS, Handlers
from .openapi import publish
from .revocation import Revocations
from .state import JWTState, attach, current_state, latest_state, state_of
from .tokens import Token, TokenOptions, encode_token, new_family

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
            _complete(state)
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
        """`TokenManager.create_access_token`, for the app serving the request (else the
        app initialised last)."""
        return TokenManager(current_state()).create_access_token(identity, role, fresh, **options)

    @classmethod
    def create_refresh_token(
        cls, identity: Any, role: str | None = None, **options: Unpack[TokenOptions]
    ) -> str:
        """`TokenManager.create_refresh_token`, for the app serving the request (else the
        app initialised last)."""
        return TokenManager(current_state()).create_refresh_token(identity, role, **options)

    @classmethod
    def revoke(cls, token: Token) -> asyncio.Task[None]:
        """Revoke `token` (a verified `Token`); works awaited or not, as `token.revoke()`.

        The 1.0 docs call it without await: the revocation starts at once either way, and
        awaiting the task waits for it and raises its errors.
        """
        return token.revoke()

    @classmethod
    def jwks(cls) -> dict[str, list[dict[str, str]]]:
        """`TokenManager.jwks`, for the app serving the request (else initialised last)."""
        return TokenManager(current_state()).jwks()

    @classmethod
    async def revoke_all(cls, identity: Any) -> None:
        """`TokenManager.revoke_all`, for the app serving the request (else the app
        initialised last)."""
        await TokenManager(current_state()).revoke_all(identity)


class TokenManager:
    """Creating, reading and revoking the tokens of one configuration.

    `TokenManager.of(app)` is the manager of an initialised app; `TokenManager.configure()`
    makes one without an app (a command line, a script, a benchmark), configured the same
    way as inside `JWT.initialize`. Unlike the class-level `JWT` calls, a manager never
    depends on which app is serving or was initialised last.
    """

    def __init__(self, state: JWTState) -> None:
        self._state = state

    @classmethod
    def of(cls, app: Sanic[Any, Any]) -> TokenManager:
        """The manager of `app`, once `JWT.initialize(app)` has completed."""
        return cls(state_of(app))

    @classmethod
    @contextmanager
    def configure(cls) -> Iterator[TokenManager]:
        """Yield a manager whose `config` is to be set in the block; closing checks it.

        No app is involved: no error handlers, no listeners. Call `await manager.open()`
        before revoking and `await manager.close()` after, as a server's start and stop
        do for an app.
        """
        manager = cls(JWTState())
        yield manager
        _complete(manager._state)

    @property
    def config(self) -> Config:
        return self._state.config

    @property
    def handler(self) -> Handlers:
        return self._state.handler

    @property
    def blacklist(self) -> BlacklistABC | None:
        return self._state.blacklist

    @property
    def revocations(self) -> Revocations | None:
        """The blacklist and its journal, as revoking and checking use them."""
        return self._state.revocations

    def create_access_token(
        self,
        identity: Any,
        role: str | None = None,
        fresh: bool | None = None,
        **options: Unpack[TokenOptions],
    ) -> str:
        """A signed access token.

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
        ConfigurationConflictError, as does one that would not read back as given (an
        empty name, a `/` in a public claim's name, a name under both the prefix and the
        namespace).
        """
        return encode_token(self._state, "access", identity, role, fresh, **options)

    def create_refresh_token(
        self, identity: Any, role: str | None = None, **options: Unpack[TokenOptions]
    ) -> str:
        """A signed refresh token: the arguments of `create_access_token`, without `fresh`.

        Refresh tokens are never fresh; `expires_delta=None` means the configured
        `refresh_token_expires`.
        """
        return encode_token(self._state, "refresh", identity, role, None, **options)

    @staticmethod
    def new_family() -> str:
        """A new family id, for the access and refresh tokens of one login."""
        return new_family()

    async def rotate(
        self, token: Token, role: str | None = None, **options: Unpack[TokenOptions]
    ) -> str:
        """Spend refresh `token` and return the next refresh token of its family.

        role, options: those of `create_refresh_token`, for the next token (say, the role
        read again); its family is `token`'s, or a new one for a token that had none.

        Of concurrent rotations of one token, on any worker sharing the blacklist, one
        spends it. Presented again within `refresh_reuse_grace` of that, it is a client
        retrying, and gets a next token too. After the grace period it is reuse: someone
        kept a copy, so the family ends (all its tokens are refused, everywhere) and
        RefreshTokenReusedError (401) is raised.
        """
        config = self.config
        if not config.refresh_token_rotation:
            raise ConfigurationConflictError("rotate() needs refresh_token_rotation = True")
        if token.type != "refresh":
            raise WrongTokenError("Only refresh tokens can be rotated", token=token)
        revocations = self._state.require_revocations()
        spent_at = await revocations.spend(token)
        grace = config.refresh_reuse_grace.total_seconds()
        if spent_at is not None and CLOCK.now() - spent_at > grace:
            if token.family is not None:
                await revocations.end_family(token.family)
            raise RefreshTokenReusedError(
                "Refresh token reuse detected: the session has ended", token=token
            )
        options["family"] = token.family or new_family()
        return self.create_refresh_token(token.identity, role, **options)

    async def is_revoked(self, token: Token) -> bool:
        """Whether the blacklist refuses `token`, as the decorators would; False without a
        blacklist. BlacklistUnavailableError when it cannot be asked."""
        revocations = self._state.revocations
        return revocations is not None and await revocations.is_revoked(token)

    async def end_family(self, family: str) -> None:
        """Refuse every token of `family` from now on (a logout, a session ended)."""
        await self._state.require_revocations().end_family(family)

    def jwks(self) -> dict[str, list[dict[str, str]]]:
        """The public keys of the ring as a JWK Set (RFC 7517), for other services to
        verify tokens with (PyJWT's `PyJWKClient`, say): `kty`, `kid`, `alg`, `use` and
        the public parameters of each key, the signing key first. An HS* ring has no
        public key: ConfigurationConflictError."""
        assert self._state.keys is not None  # set when initialising closed
        return self._state.keys.jwks()

    def decode(self, raw_jwt: str) -> Token:
        """`raw_jwt` verified with this configuration (the errors of `Token(raw_jwt)`)."""
        return Token(raw_jwt, state=self._state)

    async def revoke_all(self, identity: Any) -> None:
        """Revoke every token of `identity` issued before this call.

        identity: the identity the tokens were created for (compared as `str(identity)`).

        Seen by every worker sharing the blacklist; tokens issued afterwards, even within
        the same second, are unaffected. Raises ConfigurationConflictError without a
        blacklist, or with one that does not implement `register_identity`.
        """
        await self._state.require_revocations().revoke_identity(str(identity))

    async def open(self) -> None:
        """Open the blacklist (and fill it from the journal); an app's start does this."""
        if self._state.revocations is not None:
            await self._state.revocations.open()

    async def close(self) -> None:
        """Close the blacklist; an app's stop does this."""
        if self._state.revocations is not None:
            await self._state.revocations.close()


def _complete(state: JWTState) -> None:
    """Check and lock the configuration, and create what revoking needs."""
    state.close()
    blacklist = _create_blacklist(state.config)
    if blacklist is not None:
        state.revocations = Revocations(
            blacklist,
            state.config.revocation_journal,
            keep_cutoffs_for=state.longest_lifetime,
            poll_seconds=state.config.journal_poll_seconds,
            needs_cutoffs=(
                state.config.revocation_journal is not None or state.config.refresh_token_rotation
            ),
        )


def _create_blacklist(config: Config) -> BlacklistABC | None:
    if not config.use_blacklist:
        return None
    blacklist_class = config.blacklist_class
    if blacklist_class is None:
        warnings.warn(
            "use_blacklist is on but no blacklist_class is set: falling back to InMemoryBlacklist",
            UserWarning,
            stacklevel=5,
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
    app.register_listener(_open_revocations, "before_server_start")
    app.register_listener(_close_revocations, "after_server_stop")


def _dispatch(name: str) -> Any:
    def respond(request: Request, exception: Exception) -> Any:
        return getattr(state_of(request.app).handler, name)(request, exception)

    respond.__name__ = name
    return respond


async def _open_revocations(app: Sanic[Any, Any]) -> None:
    await TokenManager.of(app).open()


async def _close_revocations(app: Sanic[Any, Any]) -> None:
    await TokenManager.of(app).close()
