"""What a token costs per request: creating one, verifying one, and a whole decorator check.

Run with `.venv/bin/python benchmarks/token_costs.py`. It prints a table of microseconds
per operation (best of several rounds, to damp the noise of a small shared machine), for
each algorithm family, and the decorator's checks with and without a blacklist, all
measured side by side in one run.
"""

from __future__ import annotations

import asyncio
import time
import uuid
import warnings
from collections.abc import Callable
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from sanic import Sanic

from sanic_jwt_extended import JWT, jwt_required
from sanic_jwt_extended.blacklist import InMemoryBlacklist
from sanic_jwt_extended.decorators import verify_jwt_in_request
from sanic_jwt_extended.tokens import Token

ROUNDS, CALLS = 5, 2_000


def pem_pair(private: Any) -> dict[str, str]:
    return {
        "private_key": private.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ).decode(),
        "public_key": private.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode(),
    }


def initialise(**options: Any) -> Sanic[Any, Any]:
    app: Sanic[Any, Any] = Sanic(f"bench-{uuid.uuid4().hex[:8]}")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with JWT.initialize(app) as manager:
            for name, value in options.items():
                setattr(manager.config, name, value)

    @app.get("/")
    @jwt_required
    async def view(request: Any, token: Token) -> None: ...

    return app


def best_microseconds(operation: Callable[[], object]) -> float:
    best = float("inf")
    for _ in range(ROUNDS):
        start = time.perf_counter()
        for _ in range(CALLS):
            operation()
        best = min(best, (time.perf_counter() - start) / CALLS)
    return best * 1e6


def fake_request(app: Sanic[Any, Any], raw: str) -> Any:
    request = app.request_class(b"/", {"authorization": f"Bearer {raw}"}, "1.1", "GET", None, app)
    request.app = app
    return request


def main() -> None:
    algorithms = {
        "HS256": {"secret_key": "s" * 64},
        "RS256 (2048)": {"algorithm": "RS256", **pem_pair(rsa.generate_private_key(65537, 2048))},
        "ES256": {"algorithm": "ES256", **pem_pair(ec.generate_private_key(ec.SECP256R1()))},
        "EdDSA": {"algorithm": "EdDSA", **pem_pair(ed25519.Ed25519PrivateKey.generate())},
    }
    rows = []
    for name, options in algorithms.items():
        initialise(**options)
        raw = JWT.create_access_token("alice", private_claims={"uid": 1})
        rows.append(
            (
                name,
                best_microseconds(lambda: JWT.create_access_token("alice")),
                best_microseconds(lambda raw=raw: Token(raw)),
            )
        )
    print(f"{'algorithm':<14}{'create (us)':>14}{'verify (us)':>14}")
    for name, create, verify in rows:
        print(f"{name:<14}{create:>14.1f}{verify:>14.1f}")

    print(f"\n{'decorator check, HS256':<34}{'us':>8}")
    loop = asyncio.new_event_loop()
    for label, options in [
        ("no blacklist", {}),
        ("InMemoryBlacklist", {"use_blacklist": True, "blacklist_class": InMemoryBlacklist}),
    ]:
        app = initialise(secret_key="s" * 64, **options)
        request = fake_request(app, JWT.create_access_token("alice"))
        check = lambda request=request: loop.run_until_complete(  # noqa: E731
            verify_jwt_in_request(request)
        )
        print(f"{label:<34}{best_microseconds(check):>8.1f}")
    loop.close()


if __name__ == "__main__":
    main()
