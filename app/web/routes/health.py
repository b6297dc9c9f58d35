"""Liveness that means something: the database answers and the blacklist is reachable."""

import asyncio
from collections.abc import Awaitable

from sanic import Blueprint, HTTPResponse, Request

from app.db import ping
from app.schemas import Health, HealthUnavailable
from app.web.context import app_context
from app.web.docs import operation
from app.web.payloads import read_route, respond

bp = Blueprint("health")

# A dependency that takes longer than this is as good as down for a health probe.
CHECK_TIMEOUT_SECONDS = 3.0


async def _status(check: Awaitable[None]) -> str:
    try:
        async with asyncio.timeout(CHECK_TIMEOUT_SECONDS):
            await check
    except Exception:
        return "unavailable"
    return "ok"


@read_route(bp, "/health")
@operation(
    "health",
    "Check health",
    "Whether the database and the token blacklist answer: 200 when both do, 503 naming "
    "the part that does not.",
    responses={
        200: (Health, "The database and the blacklist answer."),
        503: (HealthUnavailable, "A part does not answer."),
    },
    database=False,
)
async def health(request: Request) -> HTTPResponse:
    """200 when both parts answer; 503 naming the part that does not."""
    context = app_context(request)
    blacklist = context.jwt.blacklist
    assert blacklist is not None  # the service always has one
    parts = {
        "database": await _status(ping(context.orm)),
        "blacklist": await _status(blacklist.ping()),
    }
    failing = [name for name, status in parts.items() if status != "ok"]
    if not failing:
        return respond(Health(status="ok", **parts))
    message = f"Unavailable: {', '.join(failing)}."
    return respond(HealthUnavailable(msg=message, status="unavailable", **parts), status=503)
