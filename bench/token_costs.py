"""What a token costs per request: creating one, verifying one, and a whole decorator check.

Run with `.venv/bin/python -m bench.token_costs`. It prints a table of microseconds
per operation (best of several rounds, to damp the noise of a small shared machine), for
each algorithm family, and the decorator's checks with and without a blacklist, for a
token verified before (a cache hit), for distinct tokens that miss the cache, and with
the cache off, next to a bare `jwt.decode` for scale: all measured side by side in one run.
"""

from __future__ import annotations

import asyncio
import itertools
import time
import uuid
import warnings
from collections.abc import Callable, Iterator
from functools import partial
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from sanic import Sanic

from sanic_jwt_extended import JWT, jwt_required
from sanic_jwt_extended.blacklist import InMemoryBlacklist
from sanic_jwt_extended.decorators import verify_jwt_in_request
from sanic_jwt_extended.tokens import Token

ROUNDS, CALLS = 5, 2_000
SECRET = "s" * 64
# More distinct tokens than the cache holds, sent in turn: every check is a miss.
DISTINCT_TOKENS, SMALL_CACHE = 2_000, 1_000
BATCH = 100


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


def best_microseconds(operation: Callable[[], object], calls: int = CALLS) -> float:
    best = float("inf")
    for _ in range(ROUNDS):
        start = time.perf_counter()
        for _ in range(calls):
            operation()
        best = min(best, (time.perf_counter() - start) / calls)
    return best * 1e6


async def check_in_turn(requests: Iterator[Any], count: int) -> None:
    for _ in range(count):
        await verify_jwt_in_request(next(requests))


def fake_request(app: Sanic[Any, Any], raw: str) -> Any:
    # A request that no connection carries: Sanic's types want a real one's transport.
    request_class: Callable[..., Any] = app.request_class
    request = request_class(b"/", {"authorization": f"Bearer {raw}"}, "1.1", "GET", None, app)
    request.app = app
    return request


def algorithm_rows() -> list[tuple[str, float, float, float]]:
    """Create, verify once (cache off) and verify again (cache hit), per algorithm."""
    algorithms = {
        "HS256": {"secret_key": SECRET},
        "RS256 (2048)": {"algorithm": "RS256", **pem_pair(rsa.generate_private_key(65537, 2048))},
        "ES256": {"algorithm": "ES256", **pem_pair(ec.generate_private_key(ec.SECP256R1()))},
        "EdDSA": {"algorithm": "EdDSA", **pem_pair(ed25519.Ed25519PrivateKey.generate())},
    }
    rows = []
    for name, options in algorithms.items():
        initialise(verified_token_cache_size=0, **options)
        raw = JWT.create_access_token("alice", private_claims={"uid": 1})
        create = best_microseconds(lambda: JWT.create_access_token("alice"))
        verify = best_microseconds(partial(Token, raw))
        initialise(**options)
        rows.append((name, create, verify, best_microseconds(partial(Token, raw))))
    return rows


def decorator_rows() -> list[tuple[str, float, float, float, float]]:
    """The decorator's checks, without a blacklist and with the in-memory one.

    Checks are awaited BATCH at a time in one coroutine, so that starting the event loop
    is not counted. `jwt.decode` of the same kind of token is what a naive decorator costs.
    """
    loop = asyncio.new_event_loop()
    rows: list[tuple[str, float, float, float, float]] = []
    for label, options in [
        ("no blacklist", {}),
        ("InMemoryBlacklist", {"use_blacklist": True, "blacklist_class": InMemoryBlacklist}),
    ]:
        costs = []
        for cache_size, tokens in [(0, 1), (SMALL_CACHE, DISTINCT_TOKENS), (10_000, 1)]:
            app = initialise(secret_key=SECRET, verified_token_cache_size=cache_size, **options)
            raws = [JWT.create_access_token("alice") for _ in range(tokens)]
            requests = itertools.cycle([fake_request(app, raw) for raw in raws])

            def batch(requests: Iterator[Any] = requests) -> None:
                loop.run_until_complete(check_in_turn(requests, BATCH))

            costs.append(best_microseconds(batch, CALLS // BATCH) / BATCH)
        naive = best_microseconds(partial(jwt.decode, raws[0], SECRET, algorithms=["HS256"]))
        off, miss, hit = costs
        rows.append((label, naive, off, miss, hit))
    loop.close()
    return rows


def main() -> None:
    print(f"{'algorithm':<14}{'create':>10}{'verify':>10}{'verify again':>14}   (us)")
    for name, create, verify, again in algorithm_rows():
        print(f"{name:<14}{create:>10.1f}{verify:>10.1f}{again:>14.1f}")

    print(f"\n{'decorator check, HS256':<22}{'jwt.decode':>12}{'cache off':>11}", end="")
    print(f"{'cache miss':>12}{'cache hit':>11}   (us)")
    for label, reference, off, miss, hit in decorator_rows():
        print(f"{label:<22}{reference:>12.1f}{off:>11.1f}{miss:>12.1f}{hit:>11.1f}")


if __name__ == "__main__":
    main()
