"""The service's request class: what every request needs, done once, with no middleware.

Sanic runs each middleware through its signal machinery, a few microseconds apiece;
what every request of the service needs costs less done here, where Sanic already is:
at construction, which happens in the task that then runs the handler, and in
`respond`, which every answer goes through (a view's, an error handler's, a 404 before
any route).
"""

import re
from time import perf_counter
from typing import Any

from sanic import Request
from sanic.http import Http
from sanic.response import BaseHTTPResponse

from app.web.access_log import USER_ID, access_lines
from app.web.context import app_context_of
from app.web.errors import MalformedHead, UnreadableTarget

# What RFC 9112 says a server must refuse in a request head, and Sanic lets through:
# whitespace between a field name and its colon (section 5.1: a smuggling vector behind a
# proxy that reads the name without it), a control character other than the line ends
# (section 5.5: NUL and its kind), and a CR or LF alone. The head of every request goes
# through these, so each is a byte search or count in C; the regular expression, which
# tells a space before a name's colon from one in a value, runs only after a hit.
# Every control byte but the tab: in a good head, only the CR LFs of its line ends, so a
# head holds twice as many of them as it has fields.
_CONTROLS = bytes([*range(0x09), *range(0x0A, 0x20), 0x7F])
_SPACE_BEFORE_NAMES_COLON = re.compile(rb"(?m)^[^:\r\n]*[ \t]:")

# The method of the request Sanic makes up to answer one it could not read.
_SANICS_STAND_IN = "NONE"


def _check_framing(request: Request) -> None:
    head: bytes = request.head
    controls = len(head) - len(head.translate(None, _CONTROLS))
    space_before_colon = b" :" in head or b"\t:" in head
    # The head's CR LFs end its request line and every field line but the last.
    if controls != 2 * len(request.headers) or (
        space_before_colon and _SPACE_BEFORE_NAMES_COLON.search(head)
    ):
        raise MalformedHead("The request head is malformed (RFC 9112).")
    if request.version == "1.1" and len(request.headers.getall("host", [])) != 1:
        raise MalformedHead("An HTTP/1.1 request needs exactly one Host header.")


class ServiceRequest(Request):
    """A request that knows when it arrived, queries its own app's database, and logs.

    - `arrived`: the start of the duration in the access line, however the request ends.
    - The app's tortoise context is made current for the task serving the request, so
      every query of the handler resolves to this app's connections (see app.db). It
      is entered without a matching exit, as `Tortoise.init` does: the task serves only
      this connection, hence only this app, and setting a context variable costs less
      than a check of which routes query the database would.
    - A head that RFC 9112 says must be refused is a 400: bad framing (above), and an
      HTTP/1.1 request without exactly one `Host` (section 3.2).
    - `respond` sets the headers every answer carries and writes the access line, with
      the status actually sent. Once the app's KEEP_ALIVE is off (the server is
      stopping: see server.py), it closes the connection after the answer.
    """

    __slots__ = ("_logged", "arrived")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.arrived = perf_counter()
        self._logged = False
        try:
            super().__init__(*args, **kwargs)
        except UnreadableTarget:
            # Sanic's message holds the target, query string (and a `?jwt=`) included.
            if kwargs.get("method") != _SANICS_STAND_IN:
                raise MalformedHead("The request target is malformed.") from None
            # Sanic builds its stand-in for a request it could not read from the same
            # target, which fails again: uncaught, and the target in the traceback.
            super().__init__(*args, **(kwargs | {"url_bytes": b"*"}))
        if self.head:  # a head Sanic read off a socket (not ASGI's, nor its error stand-in)
            _check_framing(self)
        app_context_of(self.app).orm.__enter__()

    async def respond(
        self, response: BaseHTTPResponse | None = None, **options: Any
    ) -> BaseHTTPResponse:
        final: BaseHTTPResponse = await super().respond(response, **options)
        # Browsers must not guess another type than the one every answer declares.
        final.headers["X-Content-Type-Options"] = "nosniff"
        app = self.app
        if not app.config.KEEP_ALIVE and isinstance(self.stream, Http):
            self.stream.keep_alive = False
        if not self._logged and app_context_of(app).settings.access_log:
            self._logged = True
            access_lines.write(
                self.method,
                self.path,
                final.status,
                (perf_counter() - self.arrived) * 1000,
                getattr(self.ctx, USER_ID, None),
            )
        return final
