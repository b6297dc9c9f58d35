"""What the views of one app share, kept by Sanic as `app.ctx`."""

from dataclasses import dataclass, field
from typing import cast

from sanic import Request
from tortoise.context import TortoiseContext

from app.accounts.passwords import Passwords
from app.settings import Settings
from sanic_jwt_extended.blacklist import BlacklistABC


@dataclass
class AppContext:
    """Per-app state; nothing of it is global, so apps with other settings can coexist."""

    settings: Settings
    passwords: Passwords
    # Set once the JWT extension is initialised, for the health check to ping.
    blacklist: BlacklistABC = field(init=False)
    # Replaced by an open context when the server starts (see app.db).
    orm: TortoiseContext = field(default_factory=TortoiseContext)


def app_context(request: Request) -> AppContext:
    """The typed `ctx` of the app serving `request`."""
    return cast(AppContext, request.app.ctx)
