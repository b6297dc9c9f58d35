"""The options of `JWT.config`, their defaults, and the checks run when initialising closes.

Names and defaults are those of sanic-jwt-extended 1.0, plus `leeway`,
`decode_algorithms` and `verified_token_cache_size`. Options can be set only inside the
`JWT.initialize(app)` block: afterwards the object is read-only, so a running app cannot
be reconfigured half-way.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING, Any, Literal

from .exceptions import ConfigurationConflictError
from .readonly import ReadOnlyAfterInit

if TYPE_CHECKING:
    from .blacklist import BlacklistABC, RevocationJournal
    from .protocols import TokenType

# The 1.0 docs and the 1.0 code spell the locations differently; both are accepted.
_LOCATION_ALIASES = {
    "header": "header",
    "headers": "header",
    "cookies": "cookies",
    "query": "query",
    "query_string": "query",
}


@dataclass(eq=False)
class Config(ReadOnlyAfterInit):
    """Every option of the extension, with the 1.0 defaults."""

    # Keys: a secret for HS*, a PEM key pair for RS*, PS*, ES* and EdDSA.
    secret_key: str | bytes | None = None
    public_key: str | bytes | None = None
    private_key: str | bytes | None = None
    algorithm: str = "HS256"
    # Older keys that verify only (a key ring, see keys.py): secrets for HS*, PEM keys
    # (public, or private whose public half is used) otherwise.
    verify_only_keys: list[str | bytes] = field(default_factory=list)
    decode_algorithms: list[str] | None = None  # None: [algorithm]
    # Registered claims set on every token, and verified on decode when set.
    default_iss: str | None = None
    default_aud: str | list[str] | None = None
    leeway: timedelta = timedelta(0)
    json_encoder: type[json.JSONEncoder] = json.JSONEncoder
    access_token_expires: timedelta | Literal[False] = timedelta(minutes=15)
    refresh_token_expires: timedelta | Literal[False] = timedelta(days=30)
    # Where tokens are looked for, in this order.
    token_location: tuple[str, ...] = ("header",)
    jwt_header_key: str = "Authorization"
    refresh_jwt_header_key: str = "X-Refresh-Token"
    jwt_header_prefix: str = "Bearer"
    refresh_jwt_header_prefix: str = "Bearer"
    jwt_cookie: str = "access_token_cookie"
    refresh_jwt_cookie: str = "refresh_token_cookie"
    csrf_protect: bool = True
    csrf_request_methods: tuple[str, ...] = ("POST", "PUT", "PATCH", "DELETE")
    jwt_csrf_header: str = "X-CSRF-Token"
    refresh_jwt_csrf_header: str = "X-CSRF-Token"
    jwt_query_param_name: str = "jwt"
    # Claims beyond the registered ones.
    public_claim_namespace: str = ""
    private_claim_prefix: str = ""
    use_acl: bool = False
    acl_claim: str = "role"
    # Revocation.
    use_blacklist: bool = False
    blacklist_class: type[BlacklistABC] | None = None
    blacklist_init_kwargs: dict[str, Any] | None = field(default=None)
    # Where revocations are also written, to outlive the blacklist (see blacklist.py);
    # a blacklist of one process reads what others wrote there every so many seconds.
    revocation_journal: RevocationJournal | None = None
    journal_poll_seconds: float = 1.0
    # Refresh-token families: each refresh spends its token and hands out the next one; a
    # spent token presented again after the grace period ends its whole family.
    refresh_token_rotation: bool = False
    refresh_reuse_grace: timedelta = timedelta(seconds=10)
    # How many verified tokens each app remembers, so that a token sent again skips the
    # signature and parsing (its time claims and revocation are still checked); 0: none.
    verified_token_cache_size: int = 10_000
    # Answer as RFC 6750 3.1 says rather than as 1.0 did: every unusable token (not a
    # JWT, bad signature, wrong type, claims missing or ill-typed) a 401 with
    # `error="invalid_token"` (a malformed header: `invalid_request`), and a role
    # refused a 403 with `error="insufficient_scope"`. OAuth clients refresh or log in
    # again on a 401 only.
    rfc6750_errors: bool = False
    # Who a token stands for, as `users.inject_user` hands it to views: called with the
    # verified `Token`, answering the user (or an awaitable of it), None for nobody.
    user_loader: Callable[[Any], Any] | None = None

    def check(self) -> None:
        """Raise ConfigurationConflictError for options of the wrong kind or at odds.

        Keys and locations are checked as they are derived, in `JWTState.close`.
        """
        for name in ("access_token_expires", "refresh_token_expires"):
            value = getattr(self, name)
            if value is not False and not isinstance(value, timedelta):
                raise ConfigurationConflictError(f"{name} must be a timedelta or False")
        grace = self.refresh_reuse_grace
        if not isinstance(grace, timedelta) or grace < timedelta(0):
            raise ConfigurationConflictError("refresh_reuse_grace must be a timedelta, 0 or more")
        if self.refresh_token_rotation and not self.use_blacklist:
            raise ConfigurationConflictError(
                "refresh_token_rotation needs use_blacklist = True: spent tokens live there"
            )
        if not isinstance(self.leeway, timedelta):
            raise ConfigurationConflictError("leeway must be a timedelta")
        size = self.verified_token_cache_size
        if isinstance(size, bool) or not isinstance(size, int) or size < 0:
            raise ConfigurationConflictError(
                "verified_token_cache_size must be a whole number, 0 or more"
            )
        if self.revocation_journal is not None and not self.use_blacklist:
            raise ConfigurationConflictError("revocation_journal needs use_blacklist = True")
        poll = self.journal_poll_seconds
        if isinstance(poll, bool) or not isinstance(poll, int | float) or not poll > 0:
            raise ConfigurationConflictError("journal_poll_seconds must be a number above 0")
        if self.user_loader is not None and not callable(self.user_loader):
            raise ConfigurationConflictError("user_loader must be callable with the Token")
        if self.use_acl and not self.acl_claim:
            raise ConfigurationConflictError("use_acl needs an acl_claim name")


def normalize_locations(token_location: str | tuple[str, ...] | list[str]) -> tuple[str, ...]:
    names = (token_location,) if isinstance(token_location, str) else tuple(token_location)
    if not names:
        raise ConfigurationConflictError("token_location must name at least one location")
    try:
        return tuple(dict.fromkeys(_LOCATION_ALIASES[name] for name in names))
    except (KeyError, TypeError):
        raise ConfigurationConflictError(
            f"token_location {token_location!r} is not made of {sorted(_LOCATION_ALIASES)}"
        ) from None


@dataclass(frozen=True, slots=True)
class TokenKind:
    """What the options say about one token type, read once when initialising closes.

    Access and refresh tokens are found, checked and documented alike, each under its own
    names; code that needs one of those names asks the kind instead of the options.
    """

    type: TokenType
    header: str
    header_prefix: str
    cookie: str
    csrf_header: str
    lifetime: timedelta | Literal[False]

    @property
    def scheme(self) -> str:
        """The name of its OpenAPI security scheme, and the stem of its others'."""
        return f"{self.type}_token"

    @classmethod
    def access(cls, config: Config) -> TokenKind:
        return cls(
            "access",
            config.jwt_header_key,
            config.jwt_header_prefix,
            config.jwt_cookie,
            config.jwt_csrf_header,
            config.access_token_expires,
        )

    @classmethod
    def refresh(cls, config: Config) -> TokenKind:
        return cls(
            "refresh",
            config.refresh_jwt_header_key,
            config.refresh_jwt_header_prefix,
            config.refresh_jwt_cookie,
            config.refresh_jwt_csrf_header,
            config.refresh_token_expires,
        )
