"""The service's logs: one format for every record, and the access lines in it too.

Every record of the process (Sanic's, ours, the JWT extension's, tortoise's, Python's
warnings) goes to stderr through one handler, as text or as one JSON object per line;
the access lines (app.web.access_log) go there in the same format, without a record.
The command line's own messages ("error: ...") keep the words they always had.
"""

import logging
import sys
from typing import TextIO

from pythonjsonlogger.json import JsonFormatter

from app.web.access_log import LogFormat, access_lines

# What server.py says to whoever ran it: a start-up warning, the reason it stopped.
command_log = logging.getLogger("server")

TEXT_FORMAT = "%(asctime)s [%(process)d] %(levelname)s %(name)s: %(message)s"
JSON_FIELDS = "%(process)d %(levelname)s %(name)s %(message)s"
JSON_NAMES = {"process": "pid", "levelname": "level", "name": "logger"}


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
    access_lines.configure(log_format, sys.stderr)
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
