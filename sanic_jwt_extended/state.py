"""What `JWT.initialize(app)` leaves behind for one app, and which app is "current".

The 1.0 API is class-level (`JWT.create_access_token(...)` names no app), yet tests and
services run several apps in one process. So each app keeps its own state on `app.ctx`;
the decorators use the state of the request's app, and the class-level calls use it too
when they run inside a request, else the state of the app initialised last. That last
app is recorded once, here, by `attach`, and nowhere else.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from sanic import Request, Sanic
from sanic.exceptions import ServerError

from .blacklist import BlacklistABC
from .claims import reserved_claims
from .config import Config, TokenKind, normalize_locations
from .exceptions import ConfigurationConflictError
from .handlers import Handlers
from .keys import KeyRing
from .protocols import TokenType
from .revocation import Revocations
from .verification import Verifier

_STATE_ATTRIBUTE = "sanic_jwt_extended"


@dataclass(eq=False)
class JWTState:
    """One app's configuration, handlers and blacklist, and what is derived from them.

    Initialising an app again gives it a new state, and so a new cache of verified tokens:
    no two states share one.
    """

    config: Config = field(default_factory=Config)
    handler: Handlers = field(init=False)
    # Set when initialising closes, when use_blacklist is on.
    revocations: Revocations | None = None
    # Derived once when initialising closes, so that requests only read them.
    keys: KeyRing | None = None
    verifier: Verifier | None = None
    locations: tuple[str, ...] = ()
    kinds: dict[TokenType, TokenKind] = field(default_factory=dict)
    reserved: frozenset[str] = frozenset()
    # The longest any token lives (None: some never expire); revoke_all keeps its
    # cut-off that long.
    longest_lifetime: timedelta | None = None

    def __post_init__(self) -> None:
        self.handler = Handlers(self.config)

    def close(self) -> None:
        """Validate the configuration, derive what requests need, and lock it."""
        config = self.config
        config.check()
        self.keys = KeyRing.from_config(config)
        self.verifier = Verifier(config, self.keys)
        config.decode_algorithms = list(self.keys.decode_algorithms)  # show the default applied
        self.locations = normalize_locations(config.token_location)
        self.reserved = reserved_claims(config.acl_claim)
        self.kinds = {"access": TokenKind.access(config), "refresh": TokenKind.refresh(config)}
        access, refresh = self.kinds["access"].lifetime, self.kinds["refresh"].lifetime
        if access is not False and refresh is not False:
            self.longest_lifetime = max(access, refresh) + config.leeway
        config.lock()
        self.handler.lock()

    @property
    def uses_csrf(self) -> bool:
        """Tokens carry a CSRF value only when they may travel in cookies."""
        return self.config.csrf_protect and "cookies" in self.locations

    @property
    def blacklist(self) -> BlacklistABC | None:
        return None if self.revocations is None else self.revocations.blacklist

    def require_revocations(self) -> Revocations:
        """For revoking; ConfigurationConflictError when there is no blacklist."""
        if self.revocations is None:
            raise ConfigurationConflictError("revoking tokens needs use_blacklist = True")
        return self.revocations


# The state of the app initialised last: the class-level API's notion of "the" app.
_latest: JWTState | None = None


def attach(app: Sanic[Any, Any], state: JWTState) -> None:
    """Give `app` its completed `state`, which also makes it the app initialised last."""
    global _latest
    setattr(app.ctx, _STATE_ATTRIBUTE, state)
    _latest = state


def state_of(app: Sanic[Any, Any]) -> JWTState:
    """The state `app` was given when its initialisation completed."""
    state: JWTState | None = getattr(app.ctx, _STATE_ATTRIBUTE, None)
    if state is None:
        raise ConfigurationConflictError(
            f"JWT.initialize() has not been completed for app {app.name!r}"
        )
    return state


def current_state() -> JWTState:
    """The state of the app serving the current request, else of the last initialised."""
    try:
        request = Request.get_current()
    except ServerError:  # not inside a request
        request = None
    # Sanic leaves the last request in the context after it is answered (its ASGI test
    # client even in the caller's context), so only a request still being served counts.
    state: JWTState | None = None
    if request is not None and not request.responded:
        state = getattr(request.app.ctx, _STATE_ATTRIBUTE, None)
    return state or latest_state()


def latest_state() -> JWTState:
    """The state of the app initialised last."""
    if _latest is None:
        raise ConfigurationConflictError("JWT.initialize(app) has not been completed")
    return _latest
