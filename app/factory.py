"""The application factory: everything an app needs, built from its settings alone."""

from typing import Any

from sanic import Sanic
from sanic.log import logger
from sanic_ext import Extend
from sanic_ext.extensions.base import Extension
from sanic_ext.extensions.http.extension import HTTPExtension
from sanic_ext.extensions.openapi.extension import OpenAPIExtension

from app.accounts.passwords import Passwords
from app.accounts.throttle import login_throttle
from app.db import prepare_schema, register_database
from app.development_secret import signs_with_sample, with_development_secret
from app.settings import Settings
from app.web.access_log import register_access_log
from app.web.context import AppContext
from app.web.docs import docs_config, serve_docs
from app.web.errors import register_error_handlers
from app.web.guards import initialise_jwt
from app.web.request import ServiceRequest
from app.web.routes import BLUEPRINTS
from sanic_jwt_extended.blacklist import redis_client

APP_NAME = "stores_api"
# A listener priority above every other's (Sanic runs higher priorities first).
FIRST = 1_000


def create_app(*, settings: Settings | None = None) -> Sanic[Any, AppContext]:
    """A new app for `settings`; two of them with different settings can share a process.

    Without settings, it is an app for Sanic's own command line (`sanic app:create_app
    --factory`, `--dev` for auto-reload): see `_for_sanics_command_line`. That command
    line first offers the factory its own arguments, which the keyword-only parameter
    refuses, and then calls it with none.
    """
    if settings is None:
        return _for_sanics_command_line()
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
            # Not all of sanic-ext: _extend turns on the parts the settings ask for.
            "AUTO_EXTEND": False,
        }
    )
    register_access_log(app)
    _extend(app, settings)  # before the extension's initialisation, which documents it
    register_database(app, settings.database_url)
    app.ctx.jwt = initialise_jwt(app, settings, app.ctx.redis)
    app.register_listener(_close_redis, "after_server_stop")
    register_error_handlers(app)
    for blueprint in BLUEPRINTS:
        app.blueprint(blueprint)
    return app


def _extend(app: Sanic[Any, AppContext], settings: Settings) -> None:
    """sanic-ext's parts that the settings turn on, and no other: its OpenAPI part for the
    docs, its HTTP part for CORS. The HTTP part answers OPTIONS on every route, which CORS
    preflights need; its automatic HEAD (the routes have their own) and TRACE stay off."""
    extensions: list[type[Extension] | Extension] = []
    config: dict[str, Any] = {"OAS": settings.docs}
    if settings.docs:
        extensions.append(OpenAPIExtension)
        config |= docs_config()
    if settings.cors_origins:
        extensions.append(HTTPExtension)
        config |= _cors_config(settings.cors_origins)
    if not extensions:
        return
    Extend(app, extensions=extensions, built_in_extensions=False, config=config)
    if settings.docs:
        serve_docs(app)


def _cors_config(origins: list[str]) -> dict[str, Any]:
    """sanic-ext's CORS for `origins`: a browser's preflight from one of them may send a
    token (Authorization, which a `*` would not allow, RFC 6750) and a JSON body; answers
    let it read the 401's challenge and the 429's and 503's Retry-After."""
    return {
        "CORS_ORIGINS": origins,
        "CORS_ALLOW_HEADERS": ["authorization", "content-type", "x-refresh-token"],
        "CORS_EXPOSE_HEADERS": ["www-authenticate", "retry-after"],
        "HTTP_AUTO_HEAD": False,
        "HTTP_AUTO_TRACE": False,
        "HTTP_AUTO_OPTIONS": True,
    }


async def _close_redis(app: Sanic[Any, AppContext]) -> None:
    if app.ctx.redis is not None:
        await app.ctx.redis.aclose()


def _for_sanics_command_line() -> Sanic[Any, AppContext]:
    """The app as `python server.py` would serve it, for a server that Sanic starts.

    The settings are read from settings.toml and the environment, with the development
    secret where server.py would sign with it; each worker brings the database's schema
    up to date before anything reads it, as server.py does before serving (the migration
    lock makes the workers take turns). Logging stays Sanic's.
    """
    settings = Settings()
    if signs_with_sample(settings):
        settings = with_development_secret(settings)
    app = create_app(settings=settings)

    async def prepare_database(app: Sanic[Any, AppContext]) -> None:
        for line in await prepare_schema(settings.database_url):
            logger.info(line)

    app.register_listener(prepare_database, "before_server_start", priority=FIRST)
    return app
