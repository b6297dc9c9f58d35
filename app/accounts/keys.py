"""The service's signing keys: read from the settings, checked, and set as the extension's ring.

An HS* service signs with `secret_key` and verifies with `previous_secret_keys` too; an
asymmetric one signs with the PEM private key of `signing_key_file` and verifies with
the keys of `verify_key_files` too. Files are read and parsed when an app is built (and
by the command line), never per request: the extension prepares the ring once from what
is set here. Each key of the ring keeps the setting it came from, for `keys list`.

The server checks the ring before it touches the database (`key_ring`), so that a bad key
file refuses the start in one line: a file that is missing, unreadable or not a PEM key
always, and in production also a private key that group or others may read, or an RSA
key under 2048 bits (anyone able to read the one, or to factor the other, forges tokens).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, rsa
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
    load_pem_private_key,
    load_pem_public_key,
)

from app.settings import Settings
from sanic_jwt_extended.config import Config
from sanic_jwt_extended.exceptions import ConfigurationConflictError
from sanic_jwt_extended.keys import KeyRing, RingKey

GeneratedAlgorithm = Literal["ES256", "RS256", "EdDSA"]

# The key types of the JWT algorithms (RS*, PS*, ES*, EdDSA); cryptography reads others.
PrivateKey = (
    rsa.RSAPrivateKey
    | ec.EllipticCurvePrivateKey
    | ed25519.Ed25519PrivateKey
    | ed448.Ed448PrivateKey
)
PublicKey = (
    rsa.RSAPublicKey | ec.EllipticCurvePublicKey | ed25519.Ed25519PublicKey | ed448.Ed448PublicKey
)

# NIST SP 800-57 and RFC 7518 3.3: 2048 bits is the least an RSA key may have.
MIN_RSA_BITS = 2048
# What `keys generate` makes for RS256: NIST SP 800-57's size for use beyond 2030.
GENERATED_RSA_BITS = 3072
# The bits of a file's mode that let its group or others touch it.
GROUP_OR_OTHERS = 0o077

# What each algorithm signs with: a test of the key, and its name for the error.
_SIGNING_KEYS: dict[str, tuple[Callable[[PrivateKey | PublicKey], bool], str]] = {
    "RS256": (lambda key: isinstance(key, rsa.RSAPrivateKey), "an RSA private key"),
    "ES256": (
        lambda key: (
            isinstance(key, ec.EllipticCurvePrivateKey) and isinstance(key.curve, ec.SECP256R1)
        ),
        "a P-256 EC private key",
    ),
    "EdDSA": (
        lambda key: isinstance(key, ed25519.Ed25519PrivateKey | ed448.Ed448PrivateKey),
        "an Ed25519 or Ed448 private key",
    ),
}


class KeyFileError(Exception):
    """A key the service cannot use, or may not in production; the text is one line that
    names the setting and the file."""


@dataclass(frozen=True)
class _KeyFile:
    """One key file, read and parsed: its PEM text, and the key it holds (private or
    public, as the file holds)."""

    setting: str
    path: str
    pem: bytes
    key: PrivateKey | PublicKey

    @property
    def where(self) -> str:
        return f"{self.setting} {self.path}"

    @property
    def private(self) -> bool:
        return isinstance(self.key, PrivateKey)

    def public_pem(self) -> bytes:
        """The public half, as PEM: what the ring verifies with, never the private part."""
        key = self.key.public_key() if isinstance(self.key, PrivateKey) else self.key
        return key.public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo)


def configure_keys(config: Config, settings: Settings) -> list[str]:
    """Set the extension's algorithm, signing key and verify-only keys from `settings`.

    Returns where each key of the ring comes from, in the ring's order (the signing key
    first): its file, or the setting that holds a secret. KeyFileError for a file that
    cannot be used.
    """
    config.algorithm = settings.algorithm
    if not settings.asymmetric:
        config.secret_key = settings.secret
        config.verify_only_keys = [key.get_secret_value() for key in settings.previous_secret_keys]
        previous = [f"previous_secret_keys[{n}]" for n in range(len(settings.previous_secret_keys))]
        return ["secret_key", *previous]
    production = settings.env == "production"
    signing = _read("signing_key_file", settings.signing_key_file, production)
    signs, description = _SIGNING_KEYS[settings.algorithm]
    if not signs(signing.key):
        raise KeyFileError(
            f"{signing.where} does not hold {description}, as {settings.algorithm} needs"
        )
    verifying = [
        _read(f"verify_key_files[{number}]", path, production)
        for number, path in enumerate(settings.verify_key_files)
    ]
    config.private_key = signing.pem
    config.public_key = signing.public_pem()
    config.verify_only_keys = [key.public_pem() for key in verifying]
    return [key.path for key in (signing, *verifying)]


def key_ring(settings: Settings) -> list[tuple[RingKey, str]]:
    """The ring `settings` configure, each key with where it comes from, the signing key
    first; KeyFileError for a key the extension refuses too (say, one listed twice)."""
    config = Config()
    sources = configure_keys(config, settings)
    try:
        ring = KeyRing.from_config(config)
    except ConfigurationConflictError as error:
        raise KeyFileError(str(error)) from None
    return list(zip(ring.keys, sources, strict=True))


def _read(setting: str, path: str, production: bool) -> _KeyFile:
    """The key in the file at `path`, with production's checks; KeyFileError otherwise.

    The mode is read from the open file, so it is the mode of the very file read.
    """
    try:
        with open(path, "rb") as file:
            mode = os.fstat(file.fileno()).st_mode
            data = file.read()
    except FileNotFoundError:
        raise KeyFileError(f"{setting} {path} does not exist") from None
    except OSError as error:
        raise KeyFileError(f"{setting} {path} cannot be read: {error.strerror}") from None
    key_file = _KeyFile(setting, path, data, _parse(data, f"{setting} {path}"))
    if production:
        _check_for_production(key_file, mode)
    return key_file


def _parse(data: bytes, where: str) -> PrivateKey | PublicKey:
    """The private or public key a PEM file holds, if a JWT algorithm can use it."""
    try:
        key: object = load_pem_private_key(data, password=None)
    except TypeError:  # it needs a password, which a server cannot type
        raise KeyFileError(
            f"{where} holds an encrypted private key; store it unencrypted"
        ) from None
    except (ValueError, UnsupportedAlgorithm):
        try:
            key = load_pem_public_key(data)
        except (ValueError, UnsupportedAlgorithm):
            raise KeyFileError(f"{where} is not a PEM private or public key") from None
    if not isinstance(key, PrivateKey | PublicKey):
        raise KeyFileError(
            f"{where} holds a {type(key).__name__}: no JWT algorithm signs with it (use an "
            "RSA, EC, Ed25519 or Ed448 key)"
        )
    return key


def _check_for_production(key_file: _KeyFile, mode: int) -> None:
    if key_file.private and mode & GROUP_OR_OTHERS:
        raise KeyFileError(
            f"{key_file.where} holds a private key that group or others may read (mode "
            f"{mode & 0o777:04o}); chmod 600 it"
        )
    key = key_file.key
    if isinstance(key, rsa.RSAPrivateKey | rsa.RSAPublicKey) and key.key_size < MIN_RSA_BITS:
        raise KeyFileError(
            f"{key_file.where} holds a {key.key_size}-bit RSA key; at least {MIN_RSA_BITS} "
            "bits are needed"
        )


def generate_key(algorithm: GeneratedAlgorithm, out: Path) -> str:
    """Write a new PKCS#8 PEM private key for `algorithm` to `out`; return its `kid`.

    The file is created with mode 0600 in the same call that creates it, so it never
    exists readable by others, and never replaces an existing file (FileExistsError).
    The `kid` is the one the extension gives the key: its RFC 7638 thumbprint.
    """
    private: PrivateKey
    if algorithm == "RS256":
        private = rsa.generate_private_key(public_exponent=65537, key_size=GENERATED_RSA_BITS)
    elif algorithm == "ES256":
        private = ec.generate_private_key(ec.SECP256R1())
    else:
        private = ed25519.Ed25519PrivateKey.generate()
    pem = private.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption())
    public = private.public_key().public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo)
    ring = KeyRing.from_config(Config(algorithm=algorithm, private_key=pem, public_key=public))
    descriptor = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(descriptor, "wb") as file:
            file.write(pem)
    except OSError:
        out.unlink()  # no half-written key for a server to choke on
        raise
    return ring.signing_kid
