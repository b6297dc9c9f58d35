"""Every signing algorithm end to end, and the key configurations that must not start.

Keys are generated here with `cryptography` (once per module: RSA is slow) and handed to
the extension as PEM strings, as a deployment would. Each family signs a token that
PyJWT alone verifies with the public key (so the tokens are standard JWS), and that the
app lets through its decorators; another key pair of the same algorithm is refused.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import jwt
import pytest
from sanic import Sanic
from sanic_testing import testing

from sanic_jwt_extended import JWT
from sanic_jwt_extended.exceptions import ConfigurationConflictError

from .helpers import OTHER_SECRET, SECRET, AppFactory, bearer, key_pair, new_app, private_key


def options(algorithm: str, kind: str | None, number: int = 0) -> dict[str, Any]:
    """Config options for `algorithm`: key pair `number` of `kind`, or for HS* (kind None)
    the helpers' SECRET (number 0) or another secret."""
    if kind is None:
        return {"algorithm": algorithm, "secret_key": SECRET if number == 0 else OTHER_SECRET}
    keys = key_pair(kind, number)
    return {"algorithm": algorithm, "private_key": keys.private, "public_key": keys.public}


def verification_key(kind: str | None) -> str:
    return SECRET if kind is None else key_pair(kind).public


def signing_key(kind: str | None, number: int) -> Any:
    if kind is None:
        return SECRET if number == 0 else OTHER_SECRET
    return private_key(kind, number)


def client(app: Sanic[Any, Any]) -> testing.SanicASGITestClient:
    """One test client per app, on an app that skips TOUCHUP: the test client starts the
    app for every request, and TOUCHUP's code rewriting is what makes that slow."""
    if not hasattr(app.ctx, "test_client"):
        app.config.TOUCHUP = False
        app.ctx.test_client = app.asgi_client
    return app.ctx.test_client


ALGORITHMS = [
    pytest.param("HS256", None, id="HS256"),
    pytest.param("HS384", None, id="HS384"),
    pytest.param("HS512", None, id="HS512"),
    pytest.param("RS256", "rsa", id="RS256"),
    pytest.param("RS384", "rsa", id="RS384"),
    pytest.param("RS512", "rsa", id="RS512"),
    pytest.param("PS256", "rsa", id="PS256"),
    pytest.param("PS384", "rsa", id="PS384"),
    pytest.param("PS512", "rsa", id="PS512"),
    pytest.param("ES256", "p256", id="ES256-P256"),
    pytest.param("ES384", "p384", id="ES384-P384"),
    pytest.param("ES512", "p521", id="ES512-P521"),
    pytest.param("ES256K", "secp256k1", id="ES256K-secp256k1"),
    pytest.param("EdDSA", "ed25519", id="EdDSA-Ed25519"),
    pytest.param("EdDSA", "ed448", id="EdDSA-Ed448"),
]


# --- each family, end to end ----------------------------------------------------------


@pytest.mark.parametrize(("algorithm", "kind"), ALGORITHMS)
async def test_each_algorithm_signs_and_verifies_end_to_end(
    make_app: AppFactory, algorithm: str, kind: str | None
) -> None:
    app = make_app(**options(algorithm, kind))
    access = JWT.create_access_token("alice", fresh=True)
    refresh = JWT.create_refresh_token("alice")

    # A standard JWS: the header names the algorithm and the key, and PyJWT alone verifies it.
    header = jwt.get_unverified_header(access)
    assert header == {"alg": algorithm, "typ": "JWT", "class": "access", "kid": header["kid"]}
    assert isinstance(header["kid"], str) and header["kid"]
    assert jwt.get_unverified_header(refresh)["alg"] == algorithm
    payload = jwt.decode(access, verification_key(kind), algorithms=[algorithm])
    assert payload["sub"] == "alice"
    assert payload["fresh"] is True
    assert uuid.UUID(hex=payload["jti"]).version == 4

    _, response = await client(app).post("/fresh", headers=bearer(access))
    assert response.status == 200, response.text
    assert response.json["identity"] == "alice"
    assert response.json["fresh"] is True
    _, response = await client(app).post(
        "/refresh", headers={"X-Refresh-Token": f"Bearer {refresh}"}
    )
    assert response.status == 200, response.text
    assert response.json["type"] == "refresh"


@pytest.mark.parametrize(("algorithm", "kind"), ALGORITHMS)
async def test_a_token_of_another_key_is_refused(
    make_app: AppFactory, algorithm: str, kind: str | None
) -> None:
    """The app's own token, signed again with another key pair of the same algorithm
    (another secret for HS*): only the key differs, and it is a 422."""
    app = make_app(**options(algorithm, kind))
    own = JWT.create_access_token("alice")
    header = jwt.get_unverified_header(own)
    claims = jwt.decode(own, verification_key(kind), algorithms=[algorithm])
    foreign = jwt.encode(claims, signing_key(kind, 1), algorithm, headers=header)
    assert foreign.split(".")[:2] == own.split(".")[:2]
    assert foreign != own

    _, response = await client(app).get("/protected", headers=bearer(foreign))
    assert response.status == 422, response.text
    assert set(response.json) == {"msg"}
    _, response = await client(app).get("/protected", headers=bearer(own))
    assert response.status == 200, response.text


async def test_decode_algorithms_may_add_algorithms_of_the_same_key(
    make_app: AppFactory,
) -> None:
    """An RS256 app that also accepts PS256 (e.g. while moving to it) verifies both."""
    app = make_app(**options("RS256", "rsa"), decode_algorithms=["RS256", "PS256"])
    own = JWT.create_access_token("alice")
    claims = jwt.decode(own, key_pair("rsa").public, algorithms=["RS256"])
    pss = jwt.encode(claims, private_key("rsa"), "PS256", headers={"class": "access"})
    for token in (own, pss):
        _, response = await client(app).get("/protected", headers=bearer(token))
        assert response.status == 200, response.text


# --- configurations that must not start ----------------------------------------------


def _initialise(app: Sanic[Any, Any], settings: dict[str, Any], progress: list[str]) -> None:
    with JWT.initialize(app) as manager:
        for name, value in settings.items():
            setattr(manager.config, name, value)
        progress.append("options set")


def assert_refused_when_closing(**settings: Any) -> None:
    """Setting the options is accepted; closing the `with JWT.initialize(app)` block
    raises ConfigurationConflictError."""
    progress: list[str] = []
    with pytest.raises(ConfigurationConflictError):
        _initialise(new_app(), settings, progress)
    assert progress == ["options set"]


def mixed(
    algorithm: str, kind: str, private: int = 0, public: int = 1, **extra: Any
) -> dict[str, Any]:
    """Private key `private` and public key `public` of `kind`: two pairs unless equal."""
    return {
        "algorithm": algorithm,
        "private_key": key_pair(kind, private).private,
        "public_key": key_pair(kind, public).public,
        **extra,
    }


@pytest.mark.parametrize(
    ("algorithm", "kind"),
    [
        ("RS256", "rsa"),
        ("PS512", "rsa"),
        ("ES256", "p256"),
        ("ES384", "p384"),
        ("ES512", "p521"),
        ("EdDSA", "ed25519"),
        ("EdDSA", "ed448"),
    ],
)
def test_keys_that_are_not_a_pair_are_refused(algorithm: str, kind: str) -> None:
    assert_refused_when_closing(**mixed(algorithm, kind))


@pytest.mark.parametrize(
    ("algorithm", "kind"),
    [
        ("RS256", "p256"),
        ("RS256", "ed25519"),
        ("PS256", "p384"),
        ("ES256", "rsa"),
        ("ES256", "ed25519"),
        # ECDSA fixes the curve: ES256 is P-256, ES384 P-384, ES512 P-521.
        ("ES256", "p384"),
        ("ES256", "secp256k1"),
        ("ES384", "p256"),
        ("ES512", "p384"),
        ("EdDSA", "rsa"),
        ("EdDSA", "p256"),
    ],
    ids=lambda value: value,
)
def test_a_key_pair_of_the_wrong_kind_is_refused(algorithm: str, kind: str) -> None:
    assert_refused_when_closing(**mixed(algorithm, kind, public=0))


@pytest.mark.parametrize(
    "settings",
    [
        # An asymmetric key (or a certificate-like PEM) is never an HMAC secret.
        pytest.param(lambda: {"secret_key": key_pair("rsa").public}, id="HS256-rsa-public-pem"),
        pytest.param(lambda: {"secret_key": key_pair("rsa").private}, id="HS256-rsa-private-pem"),
        pytest.param(
            lambda: {"algorithm": "HS512", "secret_key": key_pair("p256").public},
            id="HS512-ec-public-pem",
        ),
        pytest.param(lambda: {"secret_key": ""}, id="HS256-empty-secret"),
        # PEM text that holds no key.
        pytest.param(
            lambda: {"algorithm": "RS256", "private_key": "not a key", "public_key": "nor this"},
            id="RS256-not-pem",
        ),
        pytest.param(
            lambda: {
                "algorithm": "ES256",
                "private_key": key_pair("p256").private,
                "public_key": "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n",
            },
            id="ES256-broken-public-pem",
        ),
        # The private key where the public one goes is refused here...
        pytest.param(
            lambda: (
                mixed("RS256", "rsa", private=0, public=0) | {"public_key": key_pair("rsa").private}
            ),
            id="RS256-private-as-public",
        ),
        # ...and the public key where the private one goes, for every family.
        pytest.param(
            lambda: mixed("RS256", "rsa", public=0) | {"private_key": key_pair("rsa").public},
            id="RS256-public-as-private",
        ),
        pytest.param(
            lambda: mixed("ES256", "p256", public=0) | {"private_key": key_pair("p256").public},
            id="ES256-public-as-private",
        ),
        pytest.param(
            lambda: (
                mixed("EdDSA", "ed25519", public=0) | {"private_key": key_pair("ed25519").public}
            ),
            id="EdDSA-public-as-private",
        ),
        # Only one key of the pair.
        pytest.param(
            lambda: {"algorithm": "RS256", "private_key": key_pair("rsa").private},
            id="RS256-private-only",
        ),
        pytest.param(
            lambda: {"algorithm": "ES256", "public_key": key_pair("p256").public},
            id="ES256-public-only",
        ),
    ],
)
def test_a_key_that_cannot_serve_the_algorithm_is_refused(
    settings: Callable[[], dict[str, Any]],
) -> None:
    assert_refused_when_closing(**settings())


@pytest.mark.parametrize(
    ("algorithm", "kind"),
    [
        pytest.param("ES256", "p256"),
        pytest.param("EdDSA", "ed25519"),
        pytest.param("PS256", "rsa"),
    ],
)
def test_the_private_key_is_not_a_public_key_for_any_family(algorithm: str, kind: str) -> None:
    """public_key is what may be handed to every verifier; a private PEM there is a
    misconfiguration whatever the family (RS256 is in the table above)."""
    assert_refused_when_closing(
        algorithm=algorithm,
        private_key=key_pair(kind).private,
        public_key=key_pair(kind).private,
    )


@pytest.mark.parametrize(
    "settings",
    [
        {"algorithm": "HS1024"},
        {"algorithm": "hs256"},
        {"algorithm": "HS256 "},
        {"algorithm": ""},
        {"algorithm": "RSA-OAEP"},  # a JWE key-management algorithm, not a signature
        {"algorithm": "none"},
        {"algorithm": "None"},
        {"algorithm": "NONE"},
        {"decode_algorithms": ["HS256", "none"]},
        {"decode_algorithms": ["HS256", "None"]},
        {"decode_algorithms": ["HS256", "HS1024"]},
        {"decode_algorithms": "HS256"},  # a string is not a list of names
    ],
    ids=repr,
)
def test_unknown_algorithm_names_and_none_are_refused(settings: dict[str, Any]) -> None:
    assert_refused_when_closing(secret_key=SECRET, **settings)


@pytest.mark.parametrize(
    "settings",
    [
        {"algorithm": "HS256", "decode_algorithms": ["HS256", "RS256"]},
        {"algorithm": "HS256", "decode_algorithms": ["RS256"]},
        {"algorithm": "RS256", "decode_algorithms": ["RS256", "HS256"]},
        {"algorithm": "RS256", "decode_algorithms": ["HS256"]},
        {"algorithm": "ES256", "decode_algorithms": ["ES256", "HS512"]},
        {"algorithm": "EdDSA", "decode_algorithms": ["EdDSA", "HS384"]},
    ],
    ids=lambda settings: f"{settings['algorithm']}+{','.join(settings['decode_algorithms'])}",
)
def test_decode_algorithms_never_mix_hmac_with_asymmetric(settings: dict[str, Any]) -> None:
    """Every key is supplied, so nothing but the mix can be at fault."""
    kind = {"HS256": "rsa", "RS256": "rsa", "ES256": "p256", "EdDSA": "ed25519"}[
        settings["algorithm"]
    ]
    keys = key_pair(kind)
    assert_refused_when_closing(
        secret_key=SECRET, private_key=keys.private, public_key=keys.public, **settings
    )


def test_decode_algorithms_of_another_key_type_are_refused() -> None:
    """An RSA pair cannot verify ES256: refused at start-up rather than 422s forever."""
    assert_refused_when_closing(**options("RS256", "rsa"), decode_algorithms=["RS256", "ES256"])


@pytest.mark.parametrize(
    "settings",
    [
        {"algorithm": "HS256", "decode_algorithms": ["HS256", "HS512"]},
        {"algorithm": "RS256", "decode_algorithms": ["RS256", "PS256", "RS512"]},
        {"algorithm": "ES256", "decode_algorithms": ["ES256"]},
    ],
    ids=lambda settings: "+".join(settings["decode_algorithms"]),
)
def test_the_controls_of_the_refusals_above_start(settings: dict[str, Any]) -> None:
    """The same kind of settings, consistent: initialising closes without error."""
    kind = {"HS256": "rsa", "RS256": "rsa", "ES256": "p256"}[settings["algorithm"]]
    keys = key_pair(kind)
    progress: list[str] = []
    _initialise(
        new_app(),
        {"secret_key": SECRET, "private_key": keys.private, "public_key": keys.public} | settings,
        progress,
    )
    assert progress == ["options set"]
    assert JWT.config.decode_algorithms == settings["decode_algorithms"]


# --- a new app signs with its own keys -----------------------------------------------


async def test_an_app_initialised_after_a_request_to_another_signs_with_its_own_key(
    make_app: AppFactory,
) -> None:
    """The README: outside a request, tokens are created for the app initialised last."""
    old = make_app(**options("RS256", "rsa"))
    _, response = await client(old).get(
        "/protected", headers=bearer(JWT.create_access_token("alice"))
    )
    assert response.status == 200

    new = make_app(**options("ES256", "p256"))
    token = JWT.create_access_token("alice")
    assert jwt.get_unverified_header(token)["alg"] == "ES256"
    _, response = await client(new).get("/protected", headers=bearer(token))
    assert response.status == 200, response.text
