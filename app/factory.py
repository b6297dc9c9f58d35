"""The application factory: everything an app needs, built from its settings alone."""

from typing import Any

from sanic import Sanic

from app.accounts.passwords import Passwords
from app.accounts.throttle import login_throttle
from app.db import register_database
from app.settings import Settings
from app.web.access_log import register_access_log
from app.web.context import AppContext
from app.web.docs import enable_docs
from app.web.errors import register_error_handlers
from app.web.guards import initialise_jwt
from app.web.request import ServiceRequest
from app.web.routes import BLUEPRINTS
from sanic_jwt_extended.blacklist import redis_client

APP_NAME = "stores_api"


def create_app(settings: Settings) -> Sanic[Any, AppContext]:
    """A new app for `settings`; two of them with different settings can share a process."""
    redis = redis_client(settings.redis_url) if settings.redis_url else None
    app: Sanic[Any, AppContext] = Sanic(
        APP_NAME,
        ctx=AppContext(
            settings=settings,
            passwords=Passwords(settings),
            redis=redis,
            throttle=login_throttle(settings, redis),
        ),
        request_class=ServiceRequest,
        # Logging is the process's, set up by the command line (app.web.logs), not each app's.
        configure_logging=False,
    )
    app.config.update(
        {
            "REQUEST_MAX_SIZE": settings.request_max_size,
            # Every error is JSON, including those raised before a route is found.
            "FALLBACK_ERROR_FORMAT": "json",
            # Not all of sanic-ext: enable_docs turns on its OpenAPI part alone.
            "AUTO_EXTEND": False,
        }
    )
    register_access_log(app)
    enable_docs(app, settings)  # before the extension's initialisation, which documents it
    register_database(app, settings.database_url)
    app.ctx.jwt = initialise_jwt(app, settings, app.ctx.redis)
    app.register_listener(_close_redis, "after_server_stop")
    register_error_handlers(app)
    for blueprint in BLUEPRINTS:
        app.blueprint(blueprint)
    return app


async def _close_redis(app: Sanic[Any, AppContext]) -> None:
    if app.ctx.redis is not None:
        await app.ctx.redis.aclose()
