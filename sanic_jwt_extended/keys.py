"""The key ring: the key that signs, the keys that verify, each named by a `kid`.

Parsing a PEM key costs far more than verifying a signature, so every key is parsed and
prepared here once, when `JWT.initialize` closes, never per request. The signing key
and the `verify_only_keys` form one ring, which rotates keys without logging anyone
out: a token names its key by the `kid` in its header, which only selects among these
keys (a dictionary lookup, never a key loaded from the token); a token without `kid`,
from before the ring, is tried against each key, the signing key first.

A `kid` is the RFC 7638 thumbprint of an asymmetric key, which any holder of the public
key can recompute, and for a secret an HMAC of a fixed label under it: it tells the
secrets apart and reveals nothing about them.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import jwt
from jwt.algorithms import HMACAlgorithm, get_default_algorithms
from jwt.utils import base64url_encode

from .config import Config
from .exceptions import ConfigurationConflictError

if TYPE_CHECKING:
    # cryptography is the `crypto` extra's: asymmetric keys exist only where it is, and
    # the functions that meet one import it.
    from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, rsa

    PublicKey = (
        rsa.RSAPublicKey
        | ec.EllipticCurvePublicKey
        | ed25519.Ed25519PublicKey
        | ed448.Ed448PublicKey
    )

HMAC_ALGORITHMS = frozenset({"HS256", "HS384", "HS512"})
# Every algorithm PyJWT implements, except "none", which would accept unsigned tokens.
SUPPORTED_ALGORITHMS = frozenset(get_default_algorithms()) - {"none"}

_RSA_ALGORITHMS = frozenset({"RS256", "RS384", "RS512", "PS256", "PS384", "PS512"})
_EC_CURVES = {
    "ES256": "secp256r1",
    "ES384": "secp384r1",
    "ES512": "secp521r1",
    "ES256K": "secp256k1",
}
# RFC 7638 3.2: the members a thumbprint is computed over, for each key type.
_THUMBPRINT_MEMBERS = {
    "RSA": ("e", "kty", "n"),
    "EC": ("crv", "kty", "x", "y"),
    "OKP": ("crv", "kty", "x"),
}
_SECRET_KID_LABEL = b"sanic-jwt-extended key id"


@dataclass(frozen=True)
class RingKey:
    """One key of the ring, prepared for verifying the algorithms it can serve."""

    kid: str
    algorithms: tuple[str, ...]
    verification_key: Any
    signing: bool
    # The public JWK (RFC 7517) of an asymmetric key; None for a secret.
    public_jwk: dict[str, str] | None
    # PyJWT, knowing only this key's algorithms, each bound to the prepared key.
    decoder: jwt.PyJWT = field(repr=False, compare=False)


@dataclass(frozen=True)
class KeyRing:
    """The key that signs new tokens, and every key that verifies them, by `kid`."""

    algorithm: str
    signing_key: Any
    decode_algorithms: tuple[str, ...]
    keys: tuple[RingKey, ...]  # the signing key first
    by_kid: dict[str, RingKey] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "by_kid", {key.kid: key for key in self.keys})

    @property
    def signing_kid(self) -> str:
        return self.keys[0].kid

    @property
    def symmetric(self) -> bool:
        return self.algorithm in HMAC_ALGORITHMS

    def decode(self, raw_jwt: str, **checks: Any) -> dict[str, Any]:
        """PyJWT's `decode_complete` of `raw_jwt` with the key its `kid` names.

        An unknown or ill-typed `kid` is refused as a bad signature is; without a `kid`,
        each key is tried, the signing key first. `checks` are PyJWT's options.
        """
        header = jwt.get_unverified_header(raw_jwt)
        if "kid" in header:
            kid = header["kid"]
            key = self.by_kid.get(kid) if isinstance(kid, str) else None
            if key is None:
                # As a bad signature is: no key of ours signed it.
                raise jwt.InvalidSignatureError("Signature verification failed")
            return _decode_with(key, raw_jwt, checks)
        refusal: jwt.InvalidTokenError | None = None
        for key in self.keys:
            try:
                return _decode_with(key, raw_jwt, checks)
            except (jwt.InvalidSignatureError, jwt.InvalidAlgorithmError) as error:
                refusal = error
        assert refusal is not None  # a ring holds at least its signing key
        raise refusal

    def jwks(self) -> dict[str, list[dict[str, str]]]:
        """The public keys of an asymmetric ring as a JWK Set (RFC 7517 5), signing first."""
        if self.symmetric:
            raise ConfigurationConflictError(
                f"{self.algorithm} keys are secrets: there is no public key to publish"
            )
        return {
            "keys": [
                {**(key.public_jwk or {}), "kid": key.kid, "alg": key.algorithms[0], "use": "sig"}
                for key in self.keys
            ]
        }

    @classmethod
    def from_config(cls, config: Config) -> KeyRing:
        algorithm = _supported_algorithm(config.algorithm)
        symmetric = algorithm in HMAC_ALGORITHMS
        signing_key: Any
        signing_public: bytes | PublicKey
        if symmetric:
            signing_key, signing_public = _signing_secret(config, algorithm)
        else:
            signing_key, signing_public = _signing_pair(config, algorithm)
        verify_only = [_verify_only_key(key, symmetric) for key in config.verify_only_keys]
        decode_algorithms = _decode_algorithms(config, algorithm, verify_only)
        prepared = [signing_public, *verify_only]
        keys = tuple(
            _ring_key(key, decode_algorithms, signing=index == 0, first=algorithm)
            for index, key in enumerate(prepared)
        )
        if useless := [key.kid for key in keys[1:] if not key.algorithms]:
            raise ConfigurationConflictError(
                f"verify_only_keys {useless} fit none of decode_algorithms "
                f"{list(decode_algorithms)}"
            )
        served = {name for key in keys for name in key.algorithms}
        if unserved := [name for name in decode_algorithms if name not in served]:
            raise ConfigurationConflictError(
                f"decode_algorithms {unserved} fit no key of the ring: every token of them "
                "would be refused"
            )
        if algorithm not in keys[0].algorithms:
            raise ConfigurationConflictError(
                f"the signing key cannot verify {algorithm!r}: the app would refuse its own tokens"
            )
        kids = [key.kid for key in keys]
        if len(set(kids)) != len(kids):
            raise ConfigurationConflictError("the key ring holds the same key twice")
        if not symmetric:
            _check_pair(signing_key, keys[0])
        return cls(algorithm, signing_key, decode_algorithms, keys)


def _decode_with(key: RingKey, raw_jwt: str, checks: dict[str, Any]) -> dict[str, Any]:
    decoded: dict[str, Any] = key.decoder.decode_complete(
        raw_jwt, key.verification_key, algorithms=list(key.algorithms), **checks
    )
    return decoded


# --------------------------------------------------------------------------- parsing


def _signing_secret(config: Config, algorithm: str) -> tuple[bytes, bytes]:
    if not config.secret_key:
        raise ConfigurationConflictError(f"{algorithm} needs secret_key")
    secret = _prepare_secret(config.secret_key, "secret_key")
    return secret, secret


def _signing_pair(config: Config, algorithm: str) -> tuple[Any, PublicKey]:
    if not (config.private_key and config.public_key):
        raise ConfigurationConflictError(f"{algorithm} needs both private_key and public_key")
    private = _prepare(algorithm, config.private_key, "private_key")
    public = _prepare(algorithm, config.public_key, "public_key")
    if hasattr(public, "private_bytes"):  # PyJWT takes a private key for EC and OKP
        raise ConfigurationConflictError("public_key holds a private key")
    return private, public


def _verify_only_key(key: Any, symmetric: bool) -> bytes | PublicKey:
    """A verify-only key of the ring: a secret, or the public half of a PEM key."""
    if symmetric:  # PyJWT refuses a PEM key as a secret: a ring never mixes the two
        return _prepare_secret(key, "verify_only_keys")
    return _public_key(key)


def _public_key(key: Any) -> PublicKey:
    """The public key of a PEM (public or private) or key object; never its private part."""
    from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, rsa
    from cryptography.hazmat.primitives.serialization import (
        load_pem_private_key,
        load_pem_public_key,
    )

    if isinstance(key, str):
        key = key.encode()
    if isinstance(key, bytes):
        try:
            key = load_pem_private_key(key, password=None)
        except (ValueError, TypeError):
            try:
                key = load_pem_public_key(key)
            except (ValueError, TypeError) as error:
                raise ConfigurationConflictError(
                    "verify_only_keys of an asymmetric ring are PEM keys (a secret cannot "
                    f"verify {type(error).__name__}: {error})"
                ) from error
    if hasattr(key, "public_key"):
        key = key.public_key()
    public_types = (
        rsa.RSAPublicKey,
        ec.EllipticCurvePublicKey,
        ed25519.Ed25519PublicKey,
        ed448.Ed448PublicKey,
    )
    if not isinstance(key, public_types):
        raise ConfigurationConflictError(f"verify_only_keys holds an unusable key: {type(key)}")
    return key


def _prepare_secret(secret: Any, option: str) -> bytes:
    try:
        prepared: bytes = HMACAlgorithm(HMACAlgorithm.SHA256).prepare_key(secret)
    except (jwt.InvalidKeyError, ValueError, TypeError) as error:
        raise ConfigurationConflictError(f"{option} cannot be used as a secret: {error}") from error
    return prepared


def _prepare(algorithm: str, key: Any, option: str) -> Any:
    try:
        return jwt.get_algorithm_by_name(algorithm).prepare_key(key)
    except (jwt.InvalidKeyError, ValueError, TypeError) as error:
        raise ConfigurationConflictError(
            f"{option} cannot be used with {algorithm}: {error}"
        ) from error


def _supported_algorithm(name: str) -> str:
    if name not in SUPPORTED_ALGORITHMS and name in jwt.algorithms.requires_cryptography:
        raise ConfigurationConflictError(
            f"{name} needs the cryptography package: pip install 'sanic-jwt-extended-ng[crypto]'"
        )
    if name not in SUPPORTED_ALGORITHMS:
        raise ConfigurationConflictError(
            f"unknown algorithm {name!r}; choose one of {sorted(SUPPORTED_ALGORITHMS)}"
        )
    return name


# --------------------------------------------------------------------------- algorithms


def _decode_algorithms(
    config: Config, algorithm: str, verify_only: list[bytes | PublicKey]
) -> tuple[str, ...]:
    """The configured decode algorithms; by default the signing one and each verify-only
    key's own."""
    if config.decode_algorithms:
        names = tuple(_supported_algorithm(name) for name in config.decode_algorithms)
        if algorithm not in names:
            raise ConfigurationConflictError(
                f"decode_algorithms {list(names)} must include algorithm {algorithm!r}, or "
                "the app would refuse its own tokens"
            )
    else:
        names = tuple(
            dict.fromkeys([algorithm, *(_natural(key, algorithm) for key in verify_only)])
        )
    if len({name in HMAC_ALGORITHMS for name in names}) > 1:
        raise ConfigurationConflictError(
            "decode_algorithms cannot mix HS* with asymmetric algorithms, nor differ "
            f"in kind from algorithm {algorithm!r}: a public key must never be "
            "usable as an HMAC secret"
        )
    return names


def _natural(key: bytes | PublicKey, signing_algorithm: str) -> str:
    """The algorithm a verify-only key is used with unless decode_algorithms says more."""
    candidates = _fitting(key, SUPPORTED_ALGORITHMS)
    if signing_algorithm in candidates:
        return signing_algorithm
    preferred = ("RS256", "ES256", "ES384", "ES512", "ES256K", "EdDSA")
    return next(name for name in preferred if name in candidates)


def _fitting(key: bytes | PublicKey, algorithms: Iterable[str]) -> tuple[str, ...]:
    """Those of `algorithms` that `key` can verify, by its type (and an EC key's curve)."""
    return tuple(name for name in algorithms if _fits(key, name))


def _fits(key: bytes | PublicKey, algorithm: str) -> bool:
    if isinstance(key, bytes):
        return algorithm in HMAC_ALGORITHMS
    from cryptography.hazmat.primitives.asymmetric import ec, rsa

    if isinstance(key, rsa.RSAPublicKey):
        return algorithm in _RSA_ALGORITHMS
    if isinstance(key, ec.EllipticCurvePublicKey):
        return _EC_CURVES.get(algorithm) == key.curve.name
    return algorithm == "EdDSA"


# --------------------------------------------------------------------------- the ring


def _ring_key(
    key: bytes | PublicKey, decode_algorithms: tuple[str, ...], *, signing: bool, first: str
) -> RingKey:
    """`key` prepared for the decode algorithms it fits, `first` first if among them (the
    signing algorithm: what the JWK Set names as the key's `alg`)."""
    fitting = _fitting(key, decode_algorithms)
    algorithms = tuple(sorted(fitting, key=lambda name: name != first))
    if isinstance(key, bytes):
        kid = _secret_kid(key)
        public_jwk = None
    else:
        public_jwk = _public_jwk(key)
        kid = _thumbprint(public_jwk)
    return RingKey(kid, algorithms, key, signing, public_jwk, _decoder(algorithms, key))


def _secret_kid(secret: bytes) -> str:
    digest = hmac.new(secret, _SECRET_KID_LABEL, hashlib.sha256).digest()
    return base64url_encode(digest[:16]).decode()


def _public_jwk(key: PublicKey) -> dict[str, str]:
    """The key's public JWK, as PyJWT writes it: from a public key, so nothing private."""
    from cryptography.hazmat.primitives.asymmetric import ec, rsa

    if isinstance(key, rsa.RSAPublicKey):
        jwk = jwt.algorithms.RSAAlgorithm.to_jwk(key, as_dict=True)
    elif isinstance(key, ec.EllipticCurvePublicKey):
        jwk = jwt.algorithms.ECAlgorithm.to_jwk(key, as_dict=True)
    else:
        jwk = jwt.algorithms.OKPAlgorithm.to_jwk(key, as_dict=True)
    return {name: str(value) for name, value in jwk.items()}


def _thumbprint(jwk: dict[str, str]) -> str:
    """RFC 7638: SHA-256 over the required members, sorted, without whitespace."""
    members = {name: jwk[name] for name in _THUMBPRINT_MEMBERS[jwk["kty"]]}
    canonical = json.dumps(members, separators=(",", ":"), sort_keys=True).encode()
    return base64url_encode(hashlib.sha256(canonical).digest()).decode()


def _check_pair(private: Any, signing: RingKey) -> None:
    """A probe signature proves the two keys are a pair for every algorithm the signing
    key serves, so a mismatch fails at start-up rather than as 422s on every request."""
    for name in signing.algorithms:
        implementation = jwt.get_algorithm_by_name(name)
        try:
            probe = implementation.sign(b"probe", _prepare(name, private, "private_key"))
            matches = implementation.verify(b"probe", signing.verification_key, probe)
        except (TypeError, ValueError, AttributeError) as error:
            matches, reason = False, f" ({error})"
        else:
            reason = ""
        if not matches:
            raise ConfigurationConflictError(
                f"private_key and public_key are not a {name} key pair{reason}"
            )


class _PreparedSecret(HMACAlgorithm):
    """HMAC that takes the secret prepared when initialising as it is.

    PyJWT prepares the key on every decode, and for HMAC that means trying to read the
    secret as a PEM, DER and JWK key each time: most of a decode's cost. The secret was
    prepared (and so checked) once by `_prepare_secret`; any other key is prepared as usual.
    """

    def __init__(self, algorithm: HMACAlgorithm, secret: bytes) -> None:
        super().__init__(algorithm.hash_alg)
        self._secret = secret

    def prepare_key(self, key: str | bytes) -> bytes:
        if key is self._secret:
            return self._secret
        return super().prepare_key(key)


def _decoder(algorithms: tuple[str, ...], verification_key: Any) -> jwt.PyJWT:
    """A PyJWT decoder for `algorithms` only, with HMAC bound to its prepared secret.

    Asymmetric keys need nothing: PyJWT takes a parsed key object as it is.
    """
    jws = jwt.PyJWS(algorithms=list(algorithms))
    for name in algorithms:
        implementation = jws.get_algorithm_by_name(name)
        if isinstance(implementation, HMACAlgorithm):
            jws.unregister_algorithm(name)
            jws.register_algorithm(name, _PreparedSecret(implementation, verification_key))
    decoder = jwt.PyJWT()
    # PyJWT offers no public way to give its JWT layer another JWS; were this attribute
    # renamed, decoding would stay correct (the default JWS), only slower, and
    # tests/jwt/test_cache.py would say so.
    decoder._jws = jws
    return decoder
