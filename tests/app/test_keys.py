"""The service's key ring: rotation without logging anyone out, the JWK Set, verifiers
that are not ours, the `keys` commands, and what production refuses.

A rotation moves through four rings over one database, each an app (or a server) of its
own, as a deployment restarts with new settings: A signs; A signs and B is published as
verify-only; B signs and A verifies only; B alone.
"""

from __future__ import annotations

import json
import os
import signal
import stat
from collections.abc import Callable
from pathlib import Path
from typing import Literal

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
    load_pem_private_key,
)
from joserfc import jwt as jose_jwt
from joserfc.jwk import Key, KeySet, import_key
from joserfc.jws import JWSRegistry
from joserfc.registry import HeaderParameter

from tests.app.helpers import (
    SECRET,
    Api,
    JwksVerifier,
    KeyAlgorithm,
    build_app,
    key_settings,
    kid_of,
    new_key,
    refusal,
)
from tests.app.live_server import free_port, run_command, running, start_failing

JWKS = "/.well-known/jwks.json"
CREDENTIALS = {"username": "alice", "password": "correct horse battery"}
PRIVATE_MEMBERS = {"d", "p", "q", "dp", "dq", "qi"}
# The public members of each key type (RFC 7518 6), besides kty, kid, alg and use.
PUBLIC_MEMBERS = {"EC": {"crv", "x", "y"}, "RSA": {"n", "e"}, "OKP": {"crv", "x"}}
# joserfc refuses header parameters it does not know, beyond RFC 7515 (which has them
# ignored unless listed in `crit`): it is told of the 1.0 header naming the token's type.
JOSE_REGISTRY = JWSRegistry(
    header_registry={"class": HeaderParameter("sanic-jwt-extended's token type", "str")}
)
KEY_TYPES: dict[str, Literal["EC", "RSA", "OKP"]] = {"ES256": "EC", "RS256": "RSA", "EdDSA": "OKP"}


def jose_key(path: str, algorithm: str) -> Key:
    """The key in the PEM file at `path`, as joserfc reads it."""
    return import_key(Path(path).read_bytes(), KEY_TYPES[algorithm])


def thumbprint(path: str, algorithm: str) -> str:
    """The key's RFC 7638 thumbprint as joserfc computes it: not our code."""
    return jose_key(path, algorithm).thumbprint()


def public_key_file(private_path: str, path: Path) -> str:
    """A PEM file holding only the public half of the key at `private_path`."""
    private = load_pem_private_key(Path(private_path).read_bytes(), password=None)
    path.write_bytes(
        private.public_key().public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo)
    )
    return str(path)


# --------------------------------------------------------------------------- rotation


@pytest.mark.parametrize("algorithm", ["HS256", "ES256"])
async def test_a_rotation_logs_no_one_out(
    database_url: str, tmp_path: Path, algorithm: KeyAlgorithm
) -> None:
    a, b = new_key(algorithm, tmp_path, "a"), new_key(algorithm, tmp_path, "b")

    def api_with(signing: str, *verifying: str) -> Api:
        return Api(
            build_app(key_settings(algorithm, signing, *verifying, database_url=database_url))
        )

    only_a = api_with(a)
    await only_a.register("alice")
    from_a = await only_a.login("alice")
    kid_a = kid_of(from_a.access)
    assert kid_of(from_a.refresh) == kid_a

    # B published, verify-only: A still signs.
    b_published = api_with(a, b)
    assert kid_of((await b_published.login("alice")).access) == kid_a
    assert (await b_published.call("GET", "/me", headers=from_a.headers)).status_code == 200
    if algorithm == "ES256":
        published = (await b_published.call("GET", JWKS)).json["keys"]
        assert [key["kid"] for key in published] == [kid_a, thumbprint(b, algorithm)]

    # B signs, A verifies only: A's access and refresh tokens still work; new tokens are B's.
    b_signs = api_with(b, a)
    assert (await b_signs.call("GET", "/me", headers=from_a.headers)).status_code == 200
    refreshed = await b_signs.refresh(from_a.refresh)
    assert refreshed.status_code == 200, refreshed.text
    kid_b = kid_of(refreshed.json["access_token"])
    assert kid_b != kid_a
    from_b = await b_signs.login("alice")
    assert kid_of(from_b.access) == kid_of(from_b.refresh) == kid_b

    # A removed: A's tokens are refused, B's work.
    only_b = api_with(b)
    refused = [
        await only_b.call("GET", "/me", headers=from_a.headers),
        await only_b.refresh(from_a.refresh),
    ]
    assert [refusal(response) for response in refused] == [(401, "invalid_token")] * 2
    assert all(set(response.json) == {"msg"} for response in refused)
    assert (await only_b.call("GET", "/me", headers=from_b.headers)).status_code == 200
    assert (await only_b.refresh(from_b.refresh)).status_code == 200


# --------------------------------------------------------------------------- the JWK Set


async def test_the_jwk_set_publishes_every_key_of_the_ring_and_nothing_private(
    sqlite_database: str, tmp_path: Path
) -> None:
    signing = new_key("ES256", tmp_path, "signing")
    older_rsa = new_key("RS256", tmp_path, "older-rsa")  # a private key file: its public half
    older_ed = public_key_file(new_key("EdDSA", tmp_path, "older-ed"), tmp_path / "ed.pub.pem")
    settings = key_settings(
        "ES256",
        signing,
        older_rsa,
        older_ed,
        database_url=sqlite_database,
        jwks_max_age_seconds=120,
    )
    api = Api(build_app(settings))

    response = await api.call("GET", JWKS)
    assert response.status_code == 200
    assert response.headers["cache-control"] == "public, max-age=120"
    keys = response.json["keys"]
    assert set(response.json) == {"keys"}
    assert [(key["kid"], key["alg"], key["kty"]) for key in keys] == [
        (thumbprint(signing, "ES256"), "ES256", "EC"),
        (thumbprint(older_rsa, "RS256"), "RS256", "RSA"),
        (thumbprint(older_ed, "EdDSA"), "EdDSA", "OKP"),
    ]
    for key in keys:
        assert set(key) == {"kty", "kid", "alg", "use"} | PUBLIC_MEMBERS[key["kty"]]
        assert key["use"] == "sig"
        assert PRIVATE_MEMBERS.isdisjoint(key)
    head = await api.call("HEAD", JWKS)
    assert (head.status_code, head.content) == (200, b"")
    assert head.headers["cache-control"] == "public, max-age=120"


async def test_an_hs256_service_publishes_no_jwk_set(sqlite_database: str) -> None:
    api = Api(build_app(key_settings("HS256", SECRET, database_url=sqlite_database)))
    response = await api.call("GET", JWKS)
    assert response.status_code == 404
    assert set(response.json) == {"msg"}
    assert "cache-control" not in response.headers


# --------------------------------------------------------------------------- interop


def test_verifiers_that_are_not_ours_follow_a_rotation(
    es256_env: dict[str, str], tmp_path: Path
) -> None:
    """PyJWT's PyJWKClient in a process of its own, and joserfc, verify the service's
    tokens from its JWK Set alone; the client, which cached the set before the rotation,
    fetches it again for the new key's `kid`."""
    port = free_port()  # the verifier knows one URL: the restarted server keeps it
    key_a = es256_env["APP_SIGNING_KEY_FILE"]
    rotated = es256_env | {
        "APP_SIGNING_KEY_FILE": new_key("ES256", tmp_path, "b"),
        "APP_VERIFY_KEY_FILES": json.dumps([key_a]),
    }
    with JwksVerifier(f"http://127.0.0.1:{port}{JWKS}") as verifier:
        with (
            running(es256_env, tmp_path, port=port) as server,
            httpx.Client(base_url=server.url) as client,
        ):
            user_id = client.post("/register", json=CREDENTIALS).json()["id"]
            token_a = client.post("/login", json=CREDENTIALS).json()["access_token"]
            before = client.get(JWKS).json()
            assert verifier.verify(token_a) == f"valid {user_id} {thumbprint(key_a, 'ES256')}"
            assert server.stop(signal.SIGTERM) == 0

        with (
            running(rotated, tmp_path, port=port) as server,
            httpx.Client(base_url=server.url) as client,
        ):
            token_b = client.post("/login", json=CREDENTIALS).json()["access_token"]
            kid_b = kid_of(token_b)
            assert kid_b not in {key["kid"] for key in before["keys"]}  # news to the verifier
            assert verifier.verify(token_b) == f"valid {user_id} {kid_b}"
            assert verifier.verify(token_a) == f"valid {user_id} {thumbprint(key_a, 'ES256')}"
            after = client.get(JWKS).json()
            assert server.stop(signal.SIGTERM) == 0

    for jwk_set, token in ((before, token_a), (after, token_a), (after, token_b)):
        key_set = KeySet.import_key_set(jwk_set)
        decoded = jose_jwt.decode(token, key_set, algorithms=["ES256"], registry=JOSE_REGISTRY)
        assert decoded.claims["sub"] == str(user_id)


# --------------------------------------------------------------------------- commands


@pytest.mark.parametrize("algorithm", ["ES256", "RS256", "EdDSA"])
def test_keys_generate_writes_a_key_only_its_owner_reads_and_prints_its_kid(
    env: dict[str, str], tmp_path: Path, algorithm: str
) -> None:
    out = tmp_path / "new.pem"
    result = run_command(
        env, tmp_path, "keys", "generate", "--algorithm", algorithm, "--out", str(out)
    )
    assert result.returncode == 0, result.stderr
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    pem = out.read_bytes()
    assert pem.startswith(b"-----BEGIN PRIVATE KEY-----")  # PKCS#8
    assert result.stdout.split()[-1] == thumbprint(str(out), algorithm)
    private = load_pem_private_key(pem, password=None)
    if isinstance(private, rsa.RSAPrivateKey):
        assert private.key_size == 3072


def test_keys_generate_never_overwrites_a_file(env: dict[str, str], tmp_path: Path) -> None:
    out = tmp_path / "kept.pem"
    out.write_text("what was there\n")
    result = run_command(
        env, tmp_path, "keys", "generate", "--algorithm", "ES256", "--out", str(out)
    )
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        f"error: keys: {out} exists; it is never overwritten (choose another path)"
    ]
    assert out.read_text() == "what was there\n"


def test_keys_list_names_each_key_of_the_ring_and_nothing_private(
    es256_env: dict[str, str], tmp_path: Path
) -> None:
    signing = es256_env["APP_SIGNING_KEY_FILE"]
    older = new_key("RS256", tmp_path, "older")
    env = es256_env | {"APP_VERIFY_KEY_FILES": json.dumps([older])}
    result = run_command(env, tmp_path, "keys", "list")
    assert result.returncode == 0, result.stderr
    assert [line.split() for line in result.stdout.splitlines()] == [
        [thumbprint(signing, "ES256"), "ES256", "signing", signing],
        [thumbprint(older, "RS256"), "RS256", "verify", older],
    ]
    assert "PRIVATE KEY" not in result.stdout
    for path, algorithm in ((signing, "ES256"), (older, "RS256")):
        members = jose_key(path, algorithm).as_dict(private=True)
        private = [str(members[name]) for name in PRIVATE_MEMBERS & set(members)]
        assert private and not any(value in result.stdout for value in private)


def test_keys_list_of_an_hs256_ring_names_the_settings_not_the_secrets(
    env: dict[str, str], tmp_path: Path
) -> None:
    previous = new_key("HS256", tmp_path, "previous")
    env = env | {"APP_PREVIOUS_SECRET_KEYS": json.dumps([previous])}
    result = run_command(env, tmp_path, "keys", "list")
    assert result.returncode == 0, result.stderr
    lines = [line.split() for line in result.stdout.splitlines()]
    assert [line[1:] for line in lines] == [
        ["HS256", "signing", "secret_key"],
        ["HS256", "verify", "previous_secret_keys[0]"],
    ]
    assert SECRET not in result.stdout and previous not in result.stdout


@pytest.mark.parametrize("command", [(), ("keys", "list")])
def test_a_key_file_that_is_missing_is_one_line_outside_production_too(
    es256_env: dict[str, str], tmp_path: Path, command: tuple[str, ...]
) -> None:
    missing = tmp_path / "missing.pem"
    result = run_command(es256_env | {"APP_SIGNING_KEY_FILE": str(missing)}, tmp_path, *command)
    assert result.returncode == 1
    assert result.stderr.splitlines() == [f"error: keys: signing_key_file {missing} does not exist"]


def missing_file(tmp_path: Path, env: dict[str, str]) -> dict[str, str]:
    return env | {"APP_SIGNING_KEY_FILE": str(tmp_path / "missing.pem")}


def not_a_key(tmp_path: Path, env: dict[str, str]) -> dict[str, str]:
    path = tmp_path / "garbage.pem"
    path.write_text("-----BEGIN PRIVATE KEY-----\nbm90IGEga2V5\n-----END PRIVATE KEY-----\n")
    os.chmod(path, 0o600)
    return env | {"APP_SIGNING_KEY_FILE": str(path)}


def signing_key_readable_by_others(tmp_path: Path, env: dict[str, str]) -> dict[str, str]:
    os.chmod(env["APP_SIGNING_KEY_FILE"], 0o644)
    return env


def private_verify_key_readable_by_group(tmp_path: Path, env: dict[str, str]) -> dict[str, str]:
    older = new_key("ES256", tmp_path, "older")
    os.chmod(older, 0o640)
    return env | {"APP_VERIFY_KEY_FILES": json.dumps([older])}


def rsa_key_of_1024_bits(tmp_path: Path, env: dict[str, str]) -> dict[str, str]:
    path = tmp_path / "weak.pem"
    weak = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    path.write_bytes(weak.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()))
    os.chmod(path, 0o600)
    return env | {"APP_ALGORITHM": "RS256", "APP_SIGNING_KEY_FILE": str(path)}


@pytest.mark.parametrize(
    ("setup", "reason"),
    [
        (missing_file, "does not exist"),
        (not_a_key, "is not a PEM private or public key"),
        (signing_key_readable_by_others, "group or others may read (mode 0644); chmod 600 it"),
        (private_verify_key_readable_by_group, "group or others may read (mode 0640)"),
        (rsa_key_of_1024_bits, "holds a 1024-bit RSA key; at least 2048 bits are needed"),
    ],
)
def test_production_refuses_a_key_file_it_cannot_trust_in_one_line(
    es256_env: dict[str, str],
    tmp_path: Path,
    setup: Callable[[Path, dict[str, str]], dict[str, str]],
    reason: str,
) -> None:
    result = start_failing(setup(tmp_path, es256_env | {"APP_ENV": "production"}), tmp_path)
    assert result.returncode == 1
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: keys: ")
    assert reason in lines[0]


def test_production_accepts_key_files_only_their_owner_reads(
    es256_env: dict[str, str], tmp_path: Path
) -> None:
    """The refusals above are production's rules, not a refusal of every key file: a
    public key may be read by anyone."""
    older = public_key_file(new_key("ES256", tmp_path, "older"), tmp_path / "older.pub.pem")
    os.chmod(older, 0o644)
    env = es256_env | {"APP_ENV": "production", "APP_VERIFY_KEY_FILES": json.dumps([older])}
    result = run_command(env, tmp_path, "keys", "list")
    assert result.returncode == 0, result.stderr
    assert [line.split()[2] for line in result.stdout.splitlines()] == ["signing", "verify"]
