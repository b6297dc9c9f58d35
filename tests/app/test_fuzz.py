"""The running service, fuzzed from its own OpenAPI document by schemathesis.

Every operation of `/docs/openapi.json`, every check schemathesis has (no server error,
status codes, content types and response bodies as documented, positive and negative
data, requests without or with ignored authentication, unsupported methods), with a
fixed seed and a bounded number of examples. Each case carries an admin's fresh tokens,
so that `/logout` or a session ended by one case cannot refuse the next.

What it found once is kept as a regular test where the behaviour lives: a 1,023-character
login name (test_auth.py), malformed tokens as 401 (test_auth.py), a trimmed store name
(test_stores.py).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.core.failures import FailureGroup
from schemathesis.core.result import Ok

from tests.app.helpers import PASSWORD, live_env, make_settings, promote
from tests.app.live_server import LiveServer, running

ADMIN = {"username": "root", "password": PASSWORD}
# Cases per operation and generation mode: with the seed fixed, the same every run.
EXAMPLES = 25
# A price's decimal places, as the document's `x-decimal-places` says.
PRICE_PLACES = 2


@pytest.fixture(scope="module")
def fuzzed_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """The real server, its docs on, with one admin; shared by every case of the module."""
    folder = tmp_path_factory.mktemp("fuzz")
    database_url = f"sqlite://{folder}/stores.sqlite3"
    env = live_env(database_url) | {
        "APP_DOCS": "true",
        # The fuzzer's wrong logins must not lock the admin out of the next cases.
        "APP_LOGIN_MAX_FAILURES": "1000000",
        "APP_LOGIN_MAX_FAILURES_PER_ADDRESS": "1000000",
    }
    with running(env, folder) as server:
        with httpx.Client(base_url=server.url) as client:
            assert client.post("/register", json=ADMIN).status_code == 201
        asyncio.run(promote(make_settings(database_url=database_url), ADMIN["username"]))
        yield server


def admin_headers(server: LiveServer) -> dict[str, str]:
    """A new session's tokens: access in Authorization, refresh in X-Refresh-Token."""
    tokens = httpx.post(f"{server.url}/login", json=ADMIN).json()
    return {
        "Authorization": f"Bearer {tokens['access_token']}",
        "X-Refresh-Token": f"Bearer {tokens['refresh_token']}",
    }


def fuzz(operation: Any, mode: GenerationMode, server: LiveServer) -> None:
    """Up to `EXAMPLES` cases of `operation` in `mode`, each checked by every check."""

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=EXAMPLES,
        derandomize=True,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def run(case: Any) -> None:
        headers = admin_headers(server)
        if operation.path == "/refresh":
            headers["Authorization"] = headers["X-Refresh-Token"]
        # A header the case sets itself (a generated X-Refresh-Token, say) is the case's.
        case.call_and_validate(headers=headers | dict(case.headers or {}))

    run()


def prices_to_documented_places(context: Any, body: Any) -> Any:
    """A valid case's price, rounded to the two decimal places the document gives it.

    JSON Schema has no keyword for decimal places that float-dividing validators read
    right (`multipleOf: 0.01` refuses 4.35 there), so the document says it as
    `x-decimal-places: 2`, which schemathesis does not know: left alone, its valid cases
    send prices the server rightly refuses (test_items.py covers those refusals).
    """
    price = body.get("price") if isinstance(body, dict) else None
    if isinstance(price, float):
        return body | {"price": round(price, PRICE_PLACES)}
    return body


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_every_operation_holds_to_its_document(
    fuzzed_server: LiveServer, mode: GenerationMode
) -> None:
    schema = schemathesis.openapi.from_url(f"{fuzzed_server.url}/docs/openapi.json")
    if mode is GenerationMode.POSITIVE:
        schema.hook("map_body")(prices_to_documented_places)
    results = list(schema.get_all_operations())
    assert all(isinstance(result, Ok) for result in results), results  # each one readable
    operations = [result.ok() for result in results if isinstance(result, Ok)]
    assert len(operations) >= 20  # the document lists every route
    failures = []
    for operation in operations:
        try:
            fuzz(operation, mode, fuzzed_server)
        except Unsatisfiable:
            # Nothing to make invalid: an operation without parameters or body (GET /health).
            assert mode is GenerationMode.NEGATIVE, operation.label
        except (Exception, FailureGroup) as failure:  # every operation's, then all at once
            failures.append(f"{operation.label}: {failure}")
    assert not failures, "\n\n".join(failures)
