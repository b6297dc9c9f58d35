"""Encoding tokens, and `Token`: a decoded, verified token as handed to views.

Both work from the `JWTState` they are given; only `Token`'s default, when none is given,
looks up the app serving the current request (or initialised last).
"""

from __future__ import annotations

import asyncio
import math
import re
import secrets
import time
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from functools import cached_property
from typing import Any, Literal, TypedDict

import jwt
from jwt.exceptions import InvalidJTIError, InvalidSubjectError

from .claims import claims_to_store, read_private_claims, read_public_claims
from .exceptions import (
    ConfigurationConflictError,
    ExpiredSignatureError,
    InvalidTokenError,
    JWTDecodeError,
)
from .revocation import schedule_revocation
from .state import JWTState, current_state

TokenType = Literal["access", "refresh"]

# The compact JWS form: three unpadded base64url segments. Checked first, so that padding,
# non-ASCII text or bytes that are not UTF-8 never reach the JSON and base64 decoders.
_COMPACT_JWS = re.compile(r"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+")
# RFC 8725 3.10: a token must not choose the key that verifies it.
_KEY_CHOOSING_HEADERS = frozenset({"jku", "jwk", "x5u", "x5c"})
# Claim errors PyJWT reports that the 1.0 API calls decode errors (missing or ill-typed).
_CLAIM_ERRORS = (
    jwt.MissingRequiredClaimError,
    InvalidSubjectError,
    InvalidJTIError,
)


class TokenOptions(TypedDict, total=False):
    """The keyword-only options of `JWT.create_access_token` and `create_refresh_token`."""

    expires_delta: timedelta | Literal[False] | None
    public_claims: Mapping[str, Any] | None
    private_claims: Mapping[str, Any] | None
    iss: str | None
    aud: str | list[str] | None
    nbf: datetime | float | None
    issued_at: datetime | float | None


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
        headers={"class": token_type},
        json_encoder=config.json_encoder,
    )


def _lifetime(
    state: JWTState, token_type: TokenType, expires_delta: timedelta | Literal[False] | None
) -> timedelta | Literal[False]:
    if expires_delta is None:
        if token_type == "access":
            return state.config.access_token_expires
        return state.config.refresh_token_expires
    if expires_delta is not False and not isinstance(expires_delta, timedelta):
        raise TypeError(
            "expires_delta must be a timedelta, or False for a token that never expires"
        )
    return expires_delta


def _issue_moment(issued_at: datetime | float | None) -> float:
    """`iat`: now, or the earlier moment the caller read what the claims say.

    Microseconds in iat let revoke_all tell apart tokens issued within one second.
    """
    now = time.time()
    moment = now if issued_at is None else _timestamp(issued_at)
    if moment > now:
        raise ValueError("issued_at cannot be in the future")
    return math.floor(moment * 1e6) / 1e6


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
    """

    raw_jwt: str
    raw_data: dict[str, Any]
    type: TokenType
    role: str | None
    fresh: bool | None
    csrf: str | None
    iss: str | None
    sub: str
    aud: str | list[str] | None
    exp: datetime | None
    nbf: datetime | None
    iat: datetime
    jti: uuid.UUID

    def __init__(self, raw_jwt: str, *, state: JWTState | None = None) -> None:
        self._state = state or current_state()
        header, payload = _verify(raw_jwt, self._state)
        self.raw_jwt = raw_jwt
        self.raw_data = payload
        self.type = header["class"]
        self.role = _claim(payload, self._state.config.acl_claim, str)
        self.fresh = _claim(payload, "fresh", bool)
        self.csrf = _claim(payload, "csrf", str)
        self.iss = _claim(payload, "iss", str)
        self.sub = payload["sub"]
        self.aud = _audience(payload)
        self.exp = _time_claim(payload, "exp")
        self.nbf = _time_claim(payload, "nbf")
        self.iat = _time_claim(payload, "iat")
        self.jti = _uuid(payload["jti"])
        _check_lifetime(self, self._state.config.leeway)

    @property
    def identity(self) -> str:
        """The subject (`sub`) of the token: the identity it was created for."""
        return self.sub

    @property
    def issued_at(self) -> float:
        """`iat` as a POSIX timestamp, with the microseconds it was written with."""
        return float(self.raw_data["iat"])

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
            self.raw_data,
            prefix=config.private_claim_prefix,
            namespace=config.public_claim_namespace,
            reserved=self._state.reserved,
        )

    @cached_property
    def public_claims(self) -> dict[str, Any]:
        """Public claims as the creator passed them: nested again, without the namespace."""
        return read_public_claims(
            self.raw_data, namespace=self._state.config.public_claim_namespace
        )

    def revoke(self) -> asyncio.Task[None]:
        """Put this token on the blacklist of its app.

        The revocation starts at once; awaiting the result waits for it and raises its
        errors (BlacklistUnavailableError when the store cannot be written). Inside a
        protected view, the response also waits for it. Raises ConfigurationConflictError
        at once when the app has no blacklist (`use_blacklist` off).
        """
        return schedule_revocation(self._state.require_blacklist(), self)

    def __repr__(self) -> str:
        return f"<Token {self.type} sub={self.sub!r} jti={self.jti.hex}>"


def _verify(raw_jwt: str, state: JWTState) -> tuple[dict[str, Any], dict[str, Any]]:
    """Check form, signature, algorithm, required claims and iss/aud; return header and payload.

    Time claims are checked by `_check_lifetime` once their types are known to be right:
    PyJWT would read `"exp": true` as 1970 and answer "expired" instead of "ill-typed".
    """
    config, keys = state.config, state.keys
    assert keys is not None  # set when initialising closed
    if not isinstance(raw_jwt, str) or not _COMPACT_JWS.fullmatch(raw_jwt):
        raise InvalidTokenError("Not a JWT: expected three base64url segments")
    try:
        decoded = jwt.api_jwt.decode_complete(
            raw_jwt,
            keys.verification_key,
            algorithms=list(keys.decode_algorithms),
            options={
                # nbf may be absent (valid at once); the rest are needed to identify,
                # revoke and revoke_all a token.
                "require": ["sub", "iat", "jti"],
                "verify_aud": config.default_aud is not None,
                "verify_exp": False,
                "verify_nbf": False,
                "verify_iat": False,
            },
            audience=config.default_aud,
            issuer=config.default_iss,
        )
    except _CLAIM_ERRORS as error:
        raise JWTDecodeError(str(error)) from error
    header: dict[str, Any] = decoded["header"]
    if not _KEY_CHOOSING_HEADERS.isdisjoint(header):
        raise InvalidTokenError("Tokens that name their own key (jku, jwk, x5u, x5c) are refused")
    if header.get("class") not in ("access", "refresh"):
        raise JWTDecodeError("The token class (access or refresh) is missing or unknown")
    return header, decoded["payload"]


def _check_lifetime(token: Token, leeway: timedelta) -> None:
    now = datetime.now(UTC)
    if token.exp is not None and token.exp <= now - leeway:
        raise ExpiredSignatureError("Signature has expired")
    if token.nbf is not None and token.nbf > now + leeway:
        raise jwt.ImmatureSignatureError("The token is not yet valid (nbf)")
    if token.iat > now + leeway:
        raise jwt.ImmatureSignatureError("The token is not yet valid (iat)")


def _claim(payload: Mapping[str, Any], name: str, kind: type) -> Any:
    value = payload.get(name)
    if value is not None and not isinstance(value, kind):
        raise JWTDecodeError(f"Claim {name!r} must be of type {kind.__name__}")
    return value


def _audience(payload: Mapping[str, Any]) -> str | list[str] | None:
    aud = payload.get("aud")
    if aud is None or isinstance(aud, str):
        return aud
    if isinstance(aud, list) and all(isinstance(item, str) for item in aud):
        return aud
    raise JWTDecodeError("Claim 'aud' must be a string or a list of strings")


def _time_claim(payload: Mapping[str, Any], name: str) -> Any:
    if name not in payload:  # exp and nbf may be absent; iat is required
        return None
    value = payload[name]
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise JWTDecodeError(f"Claim {name!r} must be a number of seconds")
    try:
        return datetime.fromtimestamp(value, tz=UTC)
    except (OverflowError, OSError, ValueError) as error:
        raise JWTDecodeError(f"Claim {name!r} is out of range") from error


def _uuid(value: str) -> uuid.UUID:
    try:
        return uuid.UUID(hex=value)
    except ValueError as error:
        raise JWTDecodeError("Claim 'jti' must be a UUID") from error
