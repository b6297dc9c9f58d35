"""The service's request class: what every request needs, done once, with no middleware.

Sanic runs each middleware through its signal machinery, a few microseconds apiece;
the three things every request of the service needs cost less done here, where Sanic
already is: at construction, which happens in the task that then runs the handler, and
in `respond`, which every answer goes through (a view's, an error handler's, a 404
before any route).
"""

from time import perf_counter
from typing import Any

from sanic import Request
from sanic.http import Http
from sanic.response import BaseHTTPResponse

from app.web.access_log import USER_ID, access_lines
from app.web.context import app_context_of


class ServiceRequest(Request):
    """A request that knows when it arrived, queries its own app's database, and logs.

    - `arrived`: the start of the duration in the access line, however the request ends.
    - The app's tortoise context is made current for the task serving the request, so
      every query of the handler resolves to this app's connections (see app.db). It
      is entered without a matching exit, as `Tortoise.init` does: the task serves only
      this connection, hence only this app, and setting a context variable costs less
      than a check of which routes query the database would.
    - `respond` sets the headers every answer carries and writes the access line, with
      the status actually sent. Once the app's KEEP_ALIVE is off (the server is
      stopping: see server.py), it closes the connection after the answer.
    """

    __slots__ = ("_logged", "arrived")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.arrived = perf_counter()
        self._logged = False
        super().__init__(*args, **kwargs)
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
