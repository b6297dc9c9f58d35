"""Signing and verification keys, parsed once when `JWT.initialize` closes.

Parsing a PEM key costs far more than verifying a signature, so it is done here once
rather than on every request. Every lookup of a key goes through `KeyRing`, which is
where a key ring selected by `kid` (key rotation) would plug in.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import jwt
from jwt.algorithms import HMACAlgorithm, get_default_algorithms

from .config import Config
from .exceptions import ConfigurationConflictError

HMAC_ALGORITHMS = frozenset({"HS256", "HS384", "HS512"})
# Every algorithm PyJWT implements, except "none", which would accept unsigned tokens.
SUPPORTED_ALGORITHMS = frozenset(get_default_algorithms()) - {"none"}


@dataclass(frozen=True)
class KeyRing:
    """The key that signs new tokens and the key and algorithms that verify them."""

    algorithm: str
    signing_key: Any
    verification_key: Any
    decode_algorithms: tuple[str, ...]
    # PyJWT, knowing only the decode algorithms, each bound to the verification key.
    decoder: jwt.PyJWT = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "decoder", _decoder(self.decode_algorithms, self.verification_key))

    @classmethod
    def from_config(cls, config: Config) -> KeyRing:
        algorithm = _supported_algorithm(config.algorithm)
        decode_algorithms = tuple(
            _supported_algorithm(name) for name in (config.decode_algorithms or [algorithm])
        )
        if algorithm not in decode_algorithms:
            raise ConfigurationConflictError(
                f"decode_algorithms {list(decode_algorithms)} must include algorithm "
                f"{algorithm!r}, or the app would refuse its own tokens"
            )
        families = {name in HMAC_ALGORITHMS for name in (algorithm, *decode_algorithms)}
        if len(families) > 1:
            raise ConfigurationConflictError(
                "decode_algorithms cannot mix HS* with asymmetric algorithms, nor differ "
                f"in kind from algorithm {algorithm!r}: a public key must never be "
                "usable as an HMAC secret"
            )
        if algorithm in HMAC_ALGORITHMS:
            return cls._hmac(config, algorithm, decode_algorithms)
        return cls._asymmetric(config, algorithm, decode_algorithms)

    @classmethod
    def _hmac(cls, config: Config, algorithm: str, decode_algorithms: tuple[str, ...]) -> KeyRing:
        if not config.secret_key:
            raise ConfigurationConflictError(f"{algorithm} needs secret_key")
        secret = _prepare(algorithm, config.secret_key, "secret_key")
        return cls(algorithm, secret, secret, decode_algorithms)

    @classmethod
    def _asymmetric(
        cls, config: Config, algorithm: str, decode_algorithms: tuple[str, ...]
    ) -> KeyRing:
        if not (config.private_key and config.public_key):
            raise ConfigurationConflictError(f"{algorithm} needs both private_key and public_key")
        private = _prepare(algorithm, config.private_key, "private_key")
        public = _prepare(algorithm, config.public_key, "public_key")
        if hasattr(public, "private_bytes"):  # PyJWT takes a private key for EC and OKP
            raise ConfigurationConflictError("public_key holds a private key")
        # A probe signature proves the two keys are a pair and fit every decode algorithm,
        # so a mismatch fails at start-up rather than as 422s on every request.
        for name in decode_algorithms:
            implementation = jwt.get_algorithm_by_name(name)
            try:
                probe = implementation.sign(b"probe", _prepare(name, private, "private_key"))
                matches = implementation.verify(b"probe", public, probe)
            except (TypeError, ValueError, AttributeError) as error:
                matches, reason = False, f" ({error})"
            else:
                reason = ""
            if not matches:
                raise ConfigurationConflictError(
                    f"private_key and public_key are not a {name} key pair{reason}"
                )
        return cls(algorithm, private, public, decode_algorithms)


class _PreparedSecret(HMACAlgorithm):
    """HMAC that takes the secret prepared when initialising as it is.

    PyJWT prepares the key on every decode, and for HMAC that means trying to read the
    secret as a PEM, DER and JWK key each time: most of a decode's cost. The secret was
    prepared (and so checked) once by `_prepare`; any other key is prepared as usual.
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


def _supported_algorithm(name: str) -> str:
    if name not in SUPPORTED_ALGORITHMS:
        raise ConfigurationConflictError(
            f"unknown algorithm {name!r}; choose one of {sorted(SUPPORTED_ALGORITHMS)}"
        )
    return name


def _prepare(algorithm: str, key: Any, option: str) -> Any:
    try:
        return jwt.get_algorithm_by_name(algorithm).prepare_key(key)
    except (jwt.InvalidKeyError, ValueError, TypeError) as error:
        raise ConfigurationConflictError(
            f"{option} cannot be used with {algorithm}: {error}"
        ) from error
