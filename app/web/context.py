"""What the views of one app share, kept by Sanic as `app.ctx`."""

from dataclasses import dataclass, field
from typing import Any, cast

from redis.asyncio import Redis
from sanic import Request, Sanic
from tortoise.context import TortoiseContext

from app.accounts.passwords import Passwords
from app.accounts.throttle import LoginThrottle
from app.settings import Settings
from sanic_jwt_extended import TokenManager


@dataclass
class AppContext:
    """Per-app state; nothing of it is global, so apps with other settings can coexist."""

    settings: Settings
    passwords: Passwords
    # The process's Redis client when `redis_url` is set: the blacklist's, and the
    # login throttle's.
    redis: Redis | None
    # Counts failed logins, shared through `redis` when there is one.
    throttle: LoginThrottle
    # Set once the JWT extension is initialised: what views create and revoke tokens with.
    jwt: TokenManager = field(init=False)
    # Replaced by an open context when the server starts (see app.db).
    orm: TortoiseContext = field(default_factory=TortoiseContext)


def app_context(request: Request) -> AppContext:
    """The typed `ctx` of the app serving `request`."""
    return app_context_of(request.app)


def app_context_of(app: Sanic[Any, Any]) -> AppContext:
    """The typed `ctx` of `app`."""
    return cast(AppContext, app.ctx)
