"""Encoding tokens, and `Token`: a decoded, verified token as handed to views.

Both work from the `JWTState` they are given; only `Token`'s default, when none is given,
looks up the app serving the current request (or initialised last).
"""

from __future__ import annotations

import asyncio
import math
import secrets
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from functools import cached_property
from typing import Any, Literal, TypedDict

import jwt

from .claims import claims_to_store, read_private_claims, read_public_claims
from .clock import CLOCK
from .exceptions import ConfigurationConflictError
from .protocols import TokenType
from .state import JWTState, current_state

__all__ = ["Token", "TokenOptions", "TokenType", "encode_token", "new_family"]


class TokenOptions(TypedDict, total=False):
    """The keyword-only options of `JWT.create_access_token` and `create_refresh_token`."""

    expires_delta: timedelta | Literal[False] | None
    public_claims: Mapping[str, Any] | None
    private_claims: Mapping[str, Any] | None
    iss: str | None
    aud: str | list[str] | None
    nbf: datetime | float | None
    issued_at: datetime | float | None
    family: str | None


def new_family() -> str:
    """A new family id: random, and meaningless outside the tokens that carry it."""
    return secrets.token_urlsafe(16)


def encode_token(
    state: JWTState,
    token_type: TokenType,
    identity: Any,
    role: str | None,
    fresh: bool | None,
    *,
    expires_delta: timedelta | Literal[False] | None = None,
    public_claims: Mapping[str, Any] | None = None,
    private_claims: Mapping[str, Any] | None = None,
    iss: str | None = None,
    aud: str | list[str] | None = None,
    nbf: datetime | float | None = None,
    issued_at: datetime | float | None = None,
    family: str | None = None,
) -> str:
    """Build, sign and serialise one token; the JWT class methods are thin calls to this."""
    config = state.config
    assert state.keys is not None  # set when initialising closed
    payload = claims_to_store(
        private_claims,
        public_claims,
        prefix=config.private_claim_prefix,
        namespace=config.public_claim_namespace,
        reserved=state.reserved,
    )
    if role is not None:
        if not config.use_acl:
            raise ConfigurationConflictError("a role needs use_acl = True")
        payload[config.acl_claim] = role
    if fresh is not None:
        payload["fresh"] = bool(fresh)
    if state.uses_csrf:
        payload["csrf"] = secrets.token_urlsafe(16)
    if family is None and token_type == "refresh" and config.refresh_token_rotation:
        family = new_family()  # a refresh token outside any family starts one: a login
    if family is not None:
        payload["family"] = family
    now = _issue_moment(issued_at)
    payload.update(sub=str(identity), iat=now, nbf=now if nbf is None else _timestamp(nbf))
    payload["jti"] = uuid.uuid4().hex
    lifetime = _lifetime(state, token_type, expires_delta)
    if lifetime is not False:
        payload["exp"] = now + lifetime.total_seconds()
    iss = iss or config.default_iss
    aud = aud or config.default_aud
    if iss is not None:
        payload["iss"] = iss
    if aud is not None:
        payload["aud"] = aud
    return jwt.encode(
        payload,
        state.keys.signing_key,
        algorithm=state.keys.algorithm,
        headers={"class": token_type, "kid": state.keys.signing_kid},
        json_encoder=config.json_encoder,
    )


def _lifetime(
    state: JWTState, token_type: TokenType, expires_delta: timedelta | Literal[False] | None
) -> timedelta | Literal[False]:
    if expires_delta is None:
        return state.kinds[token_type].lifetime
    if expires_delta is not False and not isinstance(expires_delta, timedelta):
        raise TypeError(
            "expires_delta must be a timedelta, or False for a token that never expires"
        )
    return expires_delta


def _issue_moment(issued_at: datetime | float | None) -> float:
    """`iat`: now, or the earlier moment the caller read what the claims say.

    Microseconds in iat let revoke_all tell apart tokens issued within one second. Rounded
    down, never up: `moment * 1e6` can round up to the next whole microsecond, which would
    date the token after the moment (a revoke_all at that moment would miss it).
    """
    now = CLOCK.now()
    moment = now if issued_at is None else _timestamp(issued_at)
    if moment > now:
        raise ValueError("issued_at cannot be in the future")
    micros = math.floor(moment * 1e6)
    if micros / 1e6 > moment:
        micros -= 1
    return micros / 1e6


def _timestamp(moment: datetime | float) -> float:
    if isinstance(moment, datetime):
        # A naive datetime is taken as UTC, as PyJWT does.
        return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp()
    return float(moment)


class Token:
    """A token whose signature and claims have been verified.

    `Token(raw_jwt)` decodes and verifies `raw_jwt` (the compact JWS text, without any
    `Bearer ` prefix), raising the errors the view decorators answer with 401, 422 and so
    on. It uses the configuration of `state` when given (the decorators pass their app's),
    else of the app serving the current request, else of the app initialised last.

    A token sent again is not decoded again (see `verification.py`), but each `Token` is
    its own: what one view does with its token cannot reach another request's.
    """

    raw_jwt: str

    def __init__(self, raw_jwt: str, *, state: JWTState | None = None) -> None:
        self._state = state or current_state()
        assert self._state.verifier is not None  # set when initialising closed
        self._claims = self._state.verifier.verify(raw_jwt)
        self.raw_jwt = raw_jwt

    @cached_property
    def raw_data(self) -> dict[str, Any]:
        """The decoded payload; a copy of its own, as a view may change it."""
        return dict(self._claims.payload)

    @property
    def type(self) -> TokenType:
        """`access` or `refresh`, from the JOSE header's `class`."""
        return self._claims.type

    @property
    def role(self) -> str | None:
        """The role, in the configured `acl_claim`."""
        return self._claims.role

    @property
    def fresh(self) -> bool | None:
        return self._claims.fresh

    @property
    def family(self) -> str | None:
        """The family (login session) the token belongs to; None when it has none."""
        return self._claims.family

    @property
    def csrf(self) -> str | None:
        """The value a cookie-borne token's CSRF header must repeat."""
        return self._claims.csrf

    @property
    def iss(self) -> str | None:
        return self._claims.iss

    @property
    def sub(self) -> str:
        return self._claims.sub

    @property
    def aud(self) -> str | list[str] | None:
        return self._claims.aud

    @property
    def jti(self) -> uuid.UUID:
        return self._claims.jti

    @cached_property
    def exp(self) -> datetime | None:
        """When the token expires (UTC); None: never."""
        return _datetime(self._claims.exp)

    @cached_property
    def nbf(self) -> datetime | None:
        """Before when the token is refused (UTC); None: it was valid at once."""
        return _datetime(self._claims.nbf)

    @cached_property
    def iat(self) -> datetime:
        """When the token was issued (UTC)."""
        return datetime.fromtimestamp(self._claims.iat, tz=UTC)

    @property
    def identity(self) -> str:
        """The subject (`sub`) of the token: the identity it was created for."""
        return self._claims.sub

    @property
    def issued_at(self) -> float:
        """`iat` as a POSIX timestamp, with the microseconds it was written with."""
        return self._claims.iat

    @property
    def refused_after(self) -> datetime | None:
        """When this token stops being accepted (`exp` plus leeway); None: never.

        A blacklist need not remember a revocation past this moment.
        """
        return None if self.exp is None else self.exp + self._state.config.leeway

    @cached_property
    def private_claims(self) -> dict[str, Any]:
        """Private claims as the creator passed them, without `private_claim_prefix`."""
        config = self._state.config
        return read_private_claims(
            self._claims.payload,
            prefix=config.private_claim_prefix,
            namespace=config.public_claim_namespace,
            reserved=self._state.reserved,
        )

    @cached_property
    def public_claims(self) -> dict[str, Any]:
        """Public claims as the creator passed them: nested again, without the namespace."""
        return read_public_claims(
            self._claims.payload,
            namespace=self._state.config.public_claim_namespace,
            reserved=self._state.reserved,
        )

    def revoke(self) -> asyncio.Task[None]:
        """Put this token on the blacklist of its app.

        The revocation starts at once; awaiting the result waits for it and raises its
        errors (BlacklistUnavailableError when the store cannot be written). Inside a
        protected view, the response also waits for it. Raises ConfigurationConflictError
        at once when the app has no blacklist (`use_blacklist` off).
        """
        return self._state.require_revocations().schedule(self)

    def __repr__(self) -> str:
        return f"<Token {self.type} sub={self.sub!r} jti={self.jti.hex}>"


def _datetime(timestamp: float | None) -> datetime | None:
    return None if timestamp is None else datetime.fromtimestamp(timestamp, tz=UTC)
