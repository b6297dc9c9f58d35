"""The service's logs: one access line per request, and one format for every record.

Every record of the process (Sanic's, ours, the JWT extension's, tortoise's, Python's
warnings) goes to stderr through one handler, as text or as one JSON object per line.
The command line's own messages ("error: ...") keep the words they always had.
"""

import logging
import sys
from time import perf_counter
from typing import Any, Literal, TextIO, cast

from pythonjsonlogger.json import JsonFormatter
from sanic import Request, Sanic
from sanic.response import BaseHTTPResponse

from sanic_jwt_extended.exceptions import TokenRefusedError

LogFormat = Literal["text", "json"]

access_log = logging.getLogger("app.access")
# What server.py says to whoever ran it: a start-up warning, the reason it stopped.
command_log = logging.getLogger("server")

TEXT_FORMAT = "%(asctime)s [%(process)d] %(levelname)s %(name)s: %(message)s"
JSON_FIELDS = "%(process)d %(levelname)s %(name)s %(message)s"
JSON_NAMES = {"process": "pid", "levelname": "level", "name": "logger"}

# Where the views' hook leaves the subject of the token the extension verified.
USER_ID = "user_id"


class TimedRequest(Request):
    """A request that knows when it arrived, however it ends (even refused unrouted)."""

    __slots__ = ("arrived",)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.arrived = perf_counter()
        super().__init__(*args, **kwargs)


def note_user(request: Request, identity: str) -> None:
    """Name, in the access line of `request`, the user whose verified token it carries."""
    setattr(request.ctx, USER_ID, identity)


def register_access_log(app: Sanic[Any, Any]) -> None:
    """Write one line per response of `app`, in place of Sanic's own access log.

    Registered before any other response middleware, it runs after them (Sanic runs
    response middleware in reverse order), so it logs the status actually sent. It needs
    the app to be made with `request_class=TimedRequest`.
    """
    app.config.ACCESS_LOG = False
    app.register_middleware(_log_access, "response")
    app.signal("http.lifecycle.exception")(_note_refused_user)


async def _log_access(request: Request, response: BaseHTTPResponse) -> None:
    """One line: method, path, status, duration and user; nothing else the client sent.

    The path goes without its query string, where a client may send a token (`?jwt=`).
    """
    if not access_log.isEnabledFor(logging.INFO):
        return
    milliseconds = (perf_counter() - cast(TimedRequest, request).arrived) * 1000
    user_id = getattr(request.ctx, USER_ID, None)
    access_log.info(
        "%s %s %d %.1fms user=%s",
        request.method,
        request.path,
        response.status,
        milliseconds,
        user_id or "-",
        extra={
            "method": request.method,
            "path": request.path,
            "status": response.status,
            "duration_ms": round(milliseconds, 2),
            USER_ID: user_id,
        },
    )


async def _note_refused_user(request: Request, exception: BaseException) -> None:
    """A token refused after it verified (revoked, wrong role...) still names its user."""
    if isinstance(exception, TokenRefusedError) and exception.token is not None:
        note_user(request, exception.token.identity)


def log_handler(log_format: LogFormat, stream: TextIO | None = None) -> logging.Handler:
    """A handler writing to `stream` (stderr by default) in `log_format`."""
    handler = logging.StreamHandler(stream if stream is not None else sys.stderr)
    handler.setFormatter(_formatter(log_format))
    return handler


def _formatter(log_format: LogFormat) -> logging.Formatter:
    if log_format == "json":
        return JsonFormatter(JSON_FIELDS, rename_fields=JSON_NAMES, timestamp="time")
    return logging.Formatter(TEXT_FORMAT)


class CommandFormatter(logging.Formatter):
    """`warning: <message>`, `error: <message>`: what the command line prints as text."""

    def format(self, record: logging.LogRecord) -> str:
        return f"{record.levelname.lower()}: {record.getMessage()}"


def configure_logging(log_format: LogFormat) -> None:
    """Send the process's records at INFO and above to stderr, in `log_format`.

    Called again, it replaces what it set: the command line calls it first as text, to
    report invalid settings, then with the format the settings name.
    """
    root = logging.getLogger()
    root.handlers = [log_handler(log_format)]
    root.setLevel(logging.INFO)
    command = log_handler(log_format)
    if log_format == "text":
        command.setFormatter(CommandFormatter())
    command_log.handlers = [command]
    command_log.propagate = False
    logging.captureWarnings(True)
    logging.getLogger("py.warnings").filters = [_without_source_line]


def _without_source_line(record: logging.LogRecord) -> bool:
    """Python's warnings come as `file:line: Category: message`, then the source line and
    a newline: keep the first line, as every other record is one line."""
    record.msg = record.getMessage().partition("\n")[0]
    record.args = ()
    return True
