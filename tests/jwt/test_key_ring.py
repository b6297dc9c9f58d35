"""The key ring: rotating keys without logging anyone out, `kid`, and the JWK Set.

Each rotation test walks the documented procedure: A signs; B is added as verify-only
(and published); B signs while A only verifies, so A's tokens still work and new ones
carry B's `kid`; A is removed, and only then are A's tokens refused.
"""

from __future__ import annotations

from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from sanic import Sanic

from sanic_jwt_extended import JWT, TokenManager
from sanic_jwt_extended.config import Config
from sanic_jwt_extended.exceptions import ConfigurationConflictError
from sanic_jwt_extended.keys import KeyRing, _thumbprint

from .helpers import (
    ABSENT,
    OTHER_SECRET,
    SECRET,
    AppFactory,
    bearer,
    claims,
    forge,
    header,
    key_pair,
    private_key,
)

PRIVATE_MEMBERS = {"d", "p", "q", "dp", "dq", "qi", "k"}


def hs_ring(signing: str, *verify_only: str) -> dict[str, Any]:
    return {"secret_key": signing, "verify_only_keys": list(verify_only)}


def es_ring(signing: int, *verify_only: int) -> dict[str, Any]:
    keys = key_pair("p256", signing)
    return {
        "algorithm": "ES256",
        "private_key": keys.private,
        "public_key": keys.public,
        "verify_only_keys": [key_pair("p256", number).public for number in verify_only],
    }


async def answer(app: Sanic[Any, Any], raw: str, route: str = "/protected") -> tuple[int, Any]:
    headers = {"X-Refresh-Token": f"Bearer {raw}"} if route == "/refresh" else bearer(raw)
    method = "post" if route == "/refresh" else "get"
    _, response = await getattr(app.asgi_client, method)(route, headers=headers)
    return response.status, response.json


def kid_of(raw: str) -> str:
    kid: str = jwt.get_unverified_header(raw)["kid"]
    return kid


@pytest.mark.parametrize(
    ("a_alone", "b_beside_a", "b_signing", "b_alone"),
    [
        pytest.param(
            hs_ring(SECRET),
            hs_ring(SECRET, OTHER_SECRET),
            hs_ring(OTHER_SECRET, SECRET),
            hs_ring(OTHER_SECRET),
            id="HS256",
        ),
        pytest.param(es_ring(0), es_ring(0, 1), es_ring(1, 0), es_ring(1), id="ES256"),
    ],
)
async def test_a_rotation_step_by_step(
    make_app: AppFactory,
    a_alone: dict[str, Any],
    b_beside_a: dict[str, Any],
    b_signing: dict[str, Any],
    b_alone: dict[str, Any],
) -> None:
    make_app(**a_alone)
    a_access, a_refresh = JWT.create_access_token("alice"), JWT.create_refresh_token("alice")
    kid_a = kid_of(a_access)

    # B published beside A: A still signs, both verify.
    app = make_app(**b_beside_a)
    assert kid_of(JWT.create_access_token("alice")) == kid_a
    assert (await answer(app, a_access))[0] == 200

    # B signs, A verifies only: nobody is logged out.
    app = make_app(**b_signing)
    b_access = JWT.create_access_token("alice")
    assert kid_of(b_access) != kid_a
    assert (await answer(app, a_access))[0] == 200
    assert (await answer(app, a_refresh, "/refresh"))[0] == 200
    assert (await answer(app, b_access))[0] == 200

    # A removed: its tokens are refused as a bad signature is, B's still work.
    app = make_app(**b_alone)
    assert await answer(app, a_access) == (422, {"msg": "Signature verification failed."})
    assert (await answer(app, a_refresh, "/refresh"))[0] == 422
    assert (await answer(app, b_access))[0] == 200


async def test_a_token_from_before_the_ring_is_tried_against_each_key(
    make_app: AppFactory,
) -> None:
    make_app(**es_ring(0))
    claims = jwt.decode(JWT.create_access_token("alice"), options={"verify_signature": False})
    legacy = jwt.encode(claims, private_key("p256", 0), "ES256", headers={"class": "access"})
    assert "kid" not in jwt.get_unverified_header(legacy)
    app = make_app(**es_ring(1, 0))  # A is now the verify-only key, tried after B
    assert (await answer(app, legacy))[0] == 200
    app = make_app(**es_ring(1))
    assert (await answer(app, legacy))[0] == 422


def forged(key: Any, algorithm: str, **head: Any) -> str:
    """An access token for mallory signed with `key`, its header changed by `head`."""
    signer = jwt.get_algorithm_by_name(algorithm)
    return forge(
        header(alg=algorithm, **head),
        claims(sub="mallory"),
        sign=lambda signing_input: signer.sign(signing_input, key),
    )


@pytest.mark.parametrize(
    "kid",
    [
        "no-such-key",
        "../../../../etc/passwd",
        "' OR '1'='1",
        "",
        42,
        None,
        ["x"],
        {"kid": "x"},
    ],
    ids=repr,
)
async def test_a_kid_that_names_no_key_of_the_ring_is_refused(
    make_app: AppFactory, kid: Any
) -> None:
    app = make_app(**es_ring(0))
    status, body = await answer(app, forged(private_key("p256", 0), "ES256", kid=kid))
    assert status == 422
    assert set(body) == {"msg"}


async def test_a_kid_naming_a_key_of_another_algorithm_is_refused(make_app: AppFactory) -> None:
    """An ES256 ring that still verifies an old RS256 key: a token claiming ES256 under the
    RSA key's kid (or RS256 under the EC key's) matches neither."""
    rsa_keys = key_pair("rsa")
    app = make_app(**es_ring(0) | {"verify_only_keys": [rsa_keys.public]})
    ring = TokenManager.of(app).jwks()["keys"]
    ec_kid, rsa_kid = ring[0]["kid"], ring[1]["kid"]
    for token in (
        forged(private_key("p256", 0), "ES256", kid=rsa_kid),
        forged(private_key("rsa"), "RS256", kid=ec_kid),
    ):
        assert (await answer(app, token))[0] == 422
    # The controls: each key with its own kid and algorithm is accepted.
    for token in (
        forged(private_key("p256", 0), "ES256", kid=ec_kid),
        forged(private_key("rsa"), "RS256", kid=rsa_kid),
    ):
        assert (await answer(app, token))[0] == 200


async def test_the_public_key_used_as_an_hmac_secret_is_refused(make_app: AppFactory) -> None:
    """Algorithm confusion through the ring: HS256 "signed" with a published key."""
    rsa_keys = key_pair("rsa")
    app = make_app(**es_ring(0) | {"verify_only_keys": [rsa_keys.public]})
    for kid in [*(key["kid"] for key in TokenManager.of(app).jwks()["keys"]), ABSENT]:
        for public in (key_pair("p256", 0).public, rsa_keys.public):
            token = forge(header(kid=kid), claims(sub="mallory"), key=public)
            assert (await answer(app, token))[0] == 422


# ------------------------------------------------------------------------ the JWK Set


def test_the_jwk_set_holds_every_public_key_and_nothing_private(make_app: AppFactory) -> None:
    rsa_keys = key_pair("rsa")
    make_app(**es_ring(0, 1) | {"verify_only_keys": [key_pair("p256", 1).private, rsa_keys.public]})
    keys = JWT.jwks()["keys"]
    assert [(key["kty"], key["alg"], key["use"]) for key in keys] == [
        ("EC", "ES256", "sig"),
        ("EC", "ES256", "sig"),
        ("RSA", "RS256", "sig"),
    ]
    assert all(PRIVATE_MEMBERS.isdisjoint(key) for key in keys)
    assert kid_of(JWT.create_access_token("alice")) == keys[0]["kid"]
    # Each is a key PyJWT reads, and verifies the app's own tokens with.
    signing = jwt.PyJWK(keys[0])
    token = JWT.create_access_token("alice")
    assert jwt.decode(token, signing.key, algorithms=["ES256"])["sub"] == "alice"


def test_an_hmac_ring_publishes_nothing(make_app: AppFactory) -> None:
    make_app()
    with pytest.raises(ConfigurationConflictError, match="secret"):
        JWT.jwks()


def test_the_kid_of_an_asymmetric_key_is_its_rfc_7638_thumbprint() -> None:
    """The RFC's own example (section 3.1): this key's thumbprint is given there."""
    n = (
        "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1"
        "L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4"
        "QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbO"
        "pbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csF"
        "Cur-kEgU8awapJzKnqDKgw"
    )
    jwk = {"kty": "RSA", "n": n, "e": "AQAB", "alg": "RS256", "kid": "2011-04-29"}
    assert _thumbprint(jwk) == "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"
    # And the ring names a key by exactly that.
    public = jwt.PyJWK(jwk).key
    assert isinstance(public, rsa.RSAPublicKey)
    config = Config(
        algorithm="RS256",
        private_key=key_pair("rsa").private,
        public_key=key_pair("rsa").public,
        verify_only_keys=[_pem(public)],
    )
    ring = KeyRing.from_config(config)
    assert ring.keys[1].kid == "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"


def test_the_kid_of_a_secret_reveals_nothing_of_it(make_app: AppFactory) -> None:
    make_app()
    kid = kid_of(JWT.create_access_token("alice"))
    assert SECRET not in kid and kid not in SECRET
    make_app(secret_key=OTHER_SECRET)
    assert kid_of(JWT.create_access_token("alice")) != kid


# ------------------------------------------------------------- rings that cannot work


@pytest.mark.parametrize(
    ("options", "reason"),
    [
        (hs_ring(SECRET, key_pair("p256").public), "asymmetric"),
        (es_ring(0) | {"verify_only_keys": [OTHER_SECRET]}, "PEM"),
        (es_ring(0, 0), "same key twice"),
        (
            es_ring(0)
            | {"verify_only_keys": [key_pair("rsa").public], "decode_algorithms": ["ES256"]},
            "fit none",
        ),
        (es_ring(0) | {"verify_only_keys": ["-----BEGIN PUBLIC KEY-----\nnot a key\n"]}, "PEM"),
    ],
    ids=["pem-in-hs-ring", "secret-in-es-ring", "twice", "useless", "unparsable"],
)
def test_a_ring_that_cannot_work_is_refused(
    make_app: AppFactory, options: dict[str, Any], reason: str
) -> None:
    with pytest.raises(ConfigurationConflictError, match=reason):
        make_app(**options)


def _pem(public: rsa.RSAPublicKey) -> str:
    from cryptography.hazmat.primitives import serialization

    return public.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode()
