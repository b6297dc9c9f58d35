"""Command line of the service.

    python server.py [--host H] [--port P] [--workers N]    serve the API
    python server.py create-admin NAME                      create or promote an admin

Settings come from settings.toml and APP_<KEY> variables; the options above win over both.
"""

import argparse
import asyncio
import getpass
import multiprocessing
import sys
from functools import partial
from typing import Any

from pydantic import ValidationError
from sanic import Request, Sanic
from sanic.http import Http
from sanic.log import logger
from sanic.response import BaseHTTPResponse
from sanic.worker.loader import AppLoader
from tortoise.exceptions import BaseORMException

from app import create_app
from app.admin import create_admin
from app.schemas import Credentials
from app.settings import Settings
from sanic_jwt_extended.exceptions import BlacklistUnavailableError

# How long the first worker waits, once serving, before logging that the server is ready.
MANAGER_SETTLE_SECONDS = 0.5


def main(argv: list[str] | None = None) -> int:
    """Run the command named by `argv`; failures end as one line on stderr and status 1."""
    args = _parser().parse_args(argv)
    overrides = {key: getattr(args, key) for key in ("host", "port", "workers")}
    try:
        settings = Settings(**{key: value for key, value in overrides.items() if value is not None})
    except ValidationError as error:
        return _fail(f"invalid settings: {_one_line(error)}")
    if args.command == "create-admin":
        return _create_admin(settings, args.name)
    serve(settings)
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description="The stores-and-items REST service.")
    parser.add_argument("--host", help="interface to listen on (settings: host)")
    parser.add_argument("--port", type=int, help="TCP port to listen on (settings: port)")
    parser.add_argument("--workers", type=int, help="worker processes (settings: workers)")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    create_admin = commands.add_parser(
        "create-admin",
        help="create user NAME as an admin, or promote it; the password comes from stdin "
        "when it is not a terminal, else from a prompt",
    )
    create_admin.add_argument("name", metavar="NAME")
    return parser


def serve(settings: Settings) -> None:
    """Serve until SIGINT or SIGTERM; each worker process builds its own app."""
    loader = AppLoader(factory=partial(_served_app, settings))
    app = loader.load()
    app.prepare(host=settings.host, port=settings.port, workers=settings.workers, motd=False)
    Sanic.serve(primary=app, app_loader=loader)


def _served_app(settings: Settings) -> Sanic[Any, Any]:
    """The app plus what only a real server needs: the one "ready" line in the log."""
    app = create_app(settings)
    app.main_process_start(_share_ready_flag)
    app.after_server_start(_announce_ready)
    _close_connections_once_stopping(app)
    return app


def _close_connections_once_stopping(app: Sanic[Any, Any]) -> None:
    """Answer with `Connection: close` once the server has begun to stop.

    On stopping, Sanic closes the connections that are idle and waits for the others. A
    keep-alive connection whose request was in flight would otherwise stay open, idle,
    after its response, and Sanic would wait for it until the graceful-shutdown timeout
    and then fail to exit. Closing it with its last response lets the worker end at once.
    """
    stopping = False

    async def begin_stopping(app: Sanic[Any, Any]) -> None:
        nonlocal stopping
        stopping = True

    async def close_after_response(request: Request, response: BaseHTTPResponse) -> None:
        if stopping and isinstance(request.stream, Http):
            request.stream.keep_alive = False

    app.before_server_stop(begin_stopping)
    app.register_middleware(close_after_response, "response")


async def _share_ready_flag(app: Sanic[Any, Any]) -> None:
    app.shared_ctx.announced = multiprocessing.get_context("spawn").Value("b", 0)


async def _announce_ready(app: Sanic[Any, Any]) -> None:
    """Log once, from whichever worker is first able to answer requests.

    Sanic's manager notices a worker's start-up only when it next polls (every 0.1 s),
    and a SIGTERM that arrives before it has noticed leaves it waiting 30 s for an
    acknowledgement that will never come, then exiting with status 1. Waiting a few
    polls before saying "ready" keeps a client that stops us at once from hitting that.
    """
    await asyncio.sleep(MANAGER_SETTLE_SECONDS)
    announced = app.shared_ctx.announced
    with announced.get_lock():
        if announced.value:
            return
        announced.value = 1
    settings = app.ctx.settings
    logger.info(
        "Ready: serving on http://%s:%d with %d worker(s)",
        settings.host,
        settings.port,
        settings.workers,
    )


def _create_admin(settings: Settings, name: str) -> int:
    try:
        credentials = Credentials(username=name, password=_read_password())
    except ValidationError as error:
        return _fail(_one_line(error))
    except ValueError as error:
        return _fail(str(error))
    try:
        created = asyncio.run(create_admin(settings, credentials))
    except (BaseORMException, OSError) as error:
        return _fail(f"database: {error}")
    except BlacklistUnavailableError as error:
        return _fail(f"blacklist: {error}")
    print(f"{'Created' if created else 'Promoted'} admin {name!r}.")
    return 0


def _read_password() -> str:
    """One line of stdin when piped; otherwise a prompt, twice, without echo."""
    if not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\r\n")
    password = getpass.getpass("Password: ")
    if getpass.getpass("Repeat password: ") != password:
        raise ValueError("the passwords do not match")
    return password


def _one_line(error: ValidationError) -> str:
    """pydantic's report, which spans lines, as `where: what; ...`."""
    problems = []
    for detail in error.errors():
        where = ".".join(str(part) for part in detail["loc"])
        what = str(detail.get("ctx", {}).get("error", detail["msg"]))
        problems.append(f"{where}: {what}" if where else what)
    return "; ".join(problems)


def _fail(reason: str) -> int:
    print(f"error: {reason}", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
