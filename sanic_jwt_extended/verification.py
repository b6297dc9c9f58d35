"""Verifying a raw token: what holds for good once checked, and what is checked every time.

Form, signature, algorithm, header, `iss`/`aud` and the types of the claims never change
for a given raw token, so an app's `Verifier` checks them once and remembers the result,
keyed by the exact raw token, for the last `verified_token_cache_size` tokens. Time claims
depend on the clock: they are checked on every call, cached or not. A token that fails
is never remembered. Revocation, token class, CSRF, role and freshness are the guard's.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from typing import TYPE_CHECKING, Any

import jwt
from jwt.exceptions import InvalidJTIError, InvalidSubjectError

from .clock import CLOCK
from .exceptions import ExpiredSignatureError, InvalidTokenError, JWTDecodeError

if TYPE_CHECKING:
    from functools import _CacheInfo

    from jwt.types import Options

    from .config import Config
    from .keys import KeyRing
    from .protocols import TokenType

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
# A token whose header or payload is not JSON text (bytes that are not UTF-8, say): PyJWT
# raises DecodeError with Python's own words ("Invalid header string: 'utf-8' codec ..."),
# which the API answers in these instead.
NOT_JSON = "Not a JWT: its header and payload must be JSON objects in UTF-8"
# The POSIX times a datetime can hold, so that reading a time claim later cannot fail.
_EARLIEST = datetime.min.replace(tzinfo=UTC).timestamp()
_AFTER_LATEST = datetime.max.replace(tzinfo=UTC).timestamp()


def clock() -> float:
    """Now, as a POSIX timestamp: the time that time claims are checked against."""
    return CLOCK.now()


@dataclass(frozen=True, slots=True)
class VerifiedClaims:
    """What a raw token was verified to say, with the type of each claim read checked.

    Times are POSIX timestamps; `payload` is the decoded payload, not to be changed.
    """

    type: TokenType
    payload: dict[str, Any]
    role: str | None
    fresh: bool | None
    csrf: str | None
    family: str | None
    iss: str | None
    sub: str
    aud: str | list[str] | None
    exp: float | None
    nbf: float | None
    iat: float
    jti: uuid.UUID


class Verifier:
    """One app's token verification, remembering the tokens that verified (see above)."""

    def __init__(self, config: Config, keys: KeyRing) -> None:
        self._keys = keys
        self._algorithms = list(keys.decode_algorithms)
        self._audience = config.default_aud
        self._issuer = config.default_iss
        self._acl_claim = config.acl_claim
        self._leeway = config.leeway.total_seconds()
        self._options: Options = {
            # nbf may be absent (valid at once); the rest are needed to identify,
            # revoke and revoke_all a token.
            "require": ["sub", "iat", "jti"],
            "verify_aud": config.default_aud is not None,
            # Checked by `_check_lifetime` on every call, and only once their types are
            # known to be right: PyJWT would read `"exp": true` as 1970 and answer
            # "expired" instead of "ill-typed".
            "verify_exp": False,
            "verify_nbf": False,
            "verify_iat": False,
        }
        # lru_cache never stores a call that raised: a failure is verified again.
        self._verified_once = lru_cache(maxsize=config.verified_token_cache_size)(self._verify_once)

    def verify(self, raw_jwt: str) -> VerifiedClaims:
        """The claims of `raw_jwt`, or the error that refuses it (expired, tampered, ...)."""
        if not isinstance(raw_jwt, str):  # before the cache, which needs a hashable key
            raise InvalidTokenError("Not a JWT: expected three base64url segments")
        claims = self._verified_once(raw_jwt)
        _check_lifetime(claims, clock(), self._leeway)
        return claims

    def cache_info(self) -> _CacheInfo:
        """Hits, misses, bound and current size of the cache of verified tokens."""
        return self._verified_once.cache_info()

    def _verify_once(self, raw_jwt: str) -> VerifiedClaims:
        header, payload = self._decode(raw_jwt)
        return VerifiedClaims(
            type=header["class"],
            payload=payload,
            role=_claim(payload, self._acl_claim, str),
            fresh=_claim(payload, "fresh", bool),
            csrf=_claim(payload, "csrf", str),
            family=_claim(payload, "family", str),
            iss=_claim(payload, "iss", str),
            sub=payload["sub"],
            aud=_audience(payload),
            exp=_time_claim(payload, "exp"),
            nbf=_time_claim(payload, "nbf"),
            iat=_time_claim(payload, "iat"),
            jti=_uuid(payload["jti"]),
        )

    def _decode(self, raw_jwt: str) -> tuple[dict[str, Any], dict[str, Any]]:
        """Check form, signature, algorithm, required claims and iss/aud; return both parts."""
        if not _COMPACT_JWS.fullmatch(raw_jwt):
            raise InvalidTokenError("Not a JWT: expected three base64url segments")
        try:
            decoded = self._keys.decode(
                raw_jwt,
                options=self._options,
                audience=self._audience,
                issuer=self._issuer,
            )
        except _CLAIM_ERRORS as error:
            raise JWTDecodeError(str(error)) from error
        except jwt.InvalidSignatureError:  # a DecodeError too, in words of its own
            raise
        except jwt.DecodeError as error:
            raise InvalidTokenError(NOT_JSON) from error
        header: dict[str, Any] = decoded["header"]
        if not _KEY_CHOOSING_HEADERS.isdisjoint(header):
            raise InvalidTokenError(
                "Tokens that name their own key (jku, jwk, x5u, x5c) are refused"
            )
        if header.get("class") not in ("access", "refresh"):
            raise JWTDecodeError("The token class (access or refresh) is missing or unknown")
        return header, decoded["payload"]


def _check_lifetime(claims: VerifiedClaims, now: float, leeway: float) -> None:
    if claims.exp is not None and claims.exp <= now - leeway:
        raise ExpiredSignatureError("Signature has expired")
    if claims.nbf is not None and claims.nbf > now + leeway:
        raise jwt.ImmatureSignatureError("The token is not yet valid (nbf)")
    if claims.iat > now + leeway:
        raise jwt.ImmatureSignatureError("The token is not yet valid (iat)")


def _claim(payload: dict[str, Any], name: str, kind: type) -> Any:
    value = payload.get(name)
    if value is not None and not isinstance(value, kind):
        raise JWTDecodeError(f"Claim {name!r} must be of type {kind.__name__}")
    return value


def _audience(payload: dict[str, Any]) -> str | list[str] | None:
    aud = payload.get("aud")
    if aud is None or isinstance(aud, str):
        return aud
    if isinstance(aud, list) and all(isinstance(item, str) for item in aud):
        return aud
    raise JWTDecodeError("Claim 'aud' must be a string or a list of strings")


def _time_claim(payload: dict[str, Any], name: str) -> Any:
    if name not in payload:  # exp and nbf may be absent; iat is required
        return None
    value = payload[name]
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise JWTDecodeError(f"Claim {name!r} must be a number of seconds")
    if not _EARLIEST <= value < _AFTER_LATEST:  # NaN fails this too
        raise JWTDecodeError(f"Claim {name!r} is out of range")
    return float(value)


def _uuid(value: str) -> uuid.UUID:
    try:
        return uuid.UUID(hex=value)
    except ValueError as error:
        raise JWTDecodeError("Claim 'jti' must be a UUID") from error
