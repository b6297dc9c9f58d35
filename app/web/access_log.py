"""The access log: one line per request, formatted by hand and written in batches.

A line goes through none of `logging`'s per-record machinery (record, handler lock,
formatter): the request appends its line to a buffer, and the buffer is written in one
`write` at most `FLUSH_SECONDS` later. Nothing a request does waits on the log. A write
per turn of the event loop would not do: on a route that waits on its database, about
one response ends per turn, and a write and flush per line cost as much as the rest of
the line. Stopping the server writes what is left (see `register_access_log`), and so
does the end of the process; only a killed process loses its last lines.

The lines are those `logging` would write with the process's formatter (app.web.logs):
the same text line, the same JSON object, each field's control characters escaped in the
text format so that no request can forge, overwrite or colour a line of the log.
"""

import asyncio
import atexit
import json
import os
import time
from typing import Any, Literal, TextIO

from sanic import Request, Sanic

from sanic_jwt_extended.exceptions import TokenRefusedError

LogFormat = Literal["text", "json"]

LOGGER_NAME = "app.access"
# Where the views' hook leaves the subject of the token the extension verified.
USER_ID = "user_id"

# How long a line may wait in the buffer: what a reader of the live log lags by.
FLUSH_SECONDS = 0.05

# C0 controls, DEL and C1 controls, as \xNN: what a terminal or a log viewer acts on.
_CONTROLS = {code: f"\\x{code:02x}" for code in [*range(0x20), *range(0x7F, 0xA0)]}


def _escaped(field: str) -> str:
    """`field` with its control characters escaped; most fields have none (a C check)."""
    return field if field.isprintable() else field.translate(_CONTROLS)


class AccessLog:
    """The process's access lines, in its log format, to its log stream.

    Unconfigured (as in a test that did not ask for the log), it writes nothing.
    """

    def __init__(self) -> None:
        self._stream: TextIO | None = None
        self._format: LogFormat = "text"
        self._pending: list[str] = []
        # The loop a flush is scheduled on, if any: a loop closed before its flush ran
        # (a test's, a stopped server's) must not keep the next loop from scheduling one.
        self._flush_loop: asyncio.AbstractEventLoop | None = None
        self._pid = os.getpid()
        self._text_prefix = ""
        # The formatted second of the last line, reused for every line of that second.
        self._second = -1
        self._second_text = ""

    def configure(self, log_format: LogFormat, stream: TextIO | None) -> None:
        """Write to `stream` in `log_format` from now on (None: write nothing)."""
        self.flush()
        self._stream, self._format = stream, log_format
        self._second = -1
        self._pid = os.getpid()
        self._text_prefix = f" [{self._pid}] INFO {LOGGER_NAME}: "

    def write(
        self, method: str, path: str, status: int, milliseconds: float, user_id: str | None
    ) -> None:
        """Queue the line of one response; it is written within `FLUSH_SECONDS`."""
        if self._stream is None:
            return
        method, path = _escaped(method), _escaped(path)
        message = f"{method} {path} {status} {milliseconds:.1f}ms user={user_id or '-'}"
        now = time.time()
        if self._format == "json":
            line = self._json_line(now, message, method, path, status, milliseconds, user_id)
        else:
            line = f"{self._local_second(now)},{int(now % 1 * 1000):03d}{self._text_prefix}"
            line += message
        self._pending.append(line)
        loop = asyncio.get_running_loop()
        if self._flush_loop is not loop:
            self._flush_loop = loop
            loop.call_later(FLUSH_SECONDS, self.flush)

    def flush(self) -> None:
        """Write every queued line now, in one write."""
        self._flush_loop = None
        if not self._pending or self._stream is None:
            return
        lines, self._pending = self._pending, []
        self._stream.write("\n".join(lines) + "\n")
        self._stream.flush()

    def _local_second(self, now: float) -> str:
        """`logging`'s asctime without its milliseconds, formatted once a second."""
        second = int(now)
        if second != self._second:
            self._second = second
            self._second_text = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(second))
        return self._second_text

    def _json_line(
        self,
        now: float,
        message: str,
        method: str,
        path: str,
        status: int,
        milliseconds: float,
        user_id: str | None,
    ) -> str:
        """The object python-json-logger writes for the access record, keys in its order."""
        second = int(now)
        if second != self._second:
            self._second = second
            self._second_text = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(second))
        entry: dict[str, Any] = {
            "pid": self._pid,
            "level": "INFO",
            "logger": LOGGER_NAME,
            "message": message,
            "method": method,
            "path": path,
            "status": status,
            "duration_ms": round(milliseconds, 2),
            USER_ID: user_id,
            "time": f"{self._second_text}.{int(now % 1 * 1_000_000):06d}+00:00",
        }
        return json.dumps(entry)


# One per process, as its log stream is; configured with the process's logging.
access_lines = AccessLog()
atexit.register(access_lines.flush)


def note_user(request: Request, identity: str) -> None:
    """Name, in the access line of `request`, the user whose verified token it carries."""
    setattr(request.ctx, USER_ID, identity)


def register_access_log(app: Sanic[Any, Any]) -> None:
    """Name refused tokens' users in the access lines of `app`; write the rest at its stop.

    The lines themselves are written by the service's request class (app.web.request),
    in place of Sanic's own access log.
    """
    app.config.ACCESS_LOG = False
    app.signal("http.lifecycle.exception")(_note_refused_user)
    app.after_server_stop(_flush_at_stop)


async def _note_refused_user(request: Request, exception: BaseException) -> None:
    """A token refused after it verified (revoked, wrong role...) still names its user."""
    if isinstance(exception, TokenRefusedError) and exception.token is not None:
        note_user(request, exception.token.identity)


async def _flush_at_stop(app: Sanic[Any, Any]) -> None:
    access_lines.flush()
