"""Request heads that RFC 9112 says a server must refuse, sent over a real socket: each a
400 `{"msg"}` with the connection closed, and nothing of the request in the log."""

from __future__ import annotations

import json
import signal
import socket
from collections.abc import Iterator

import pytest

from tests.app.helpers import live_env
from tests.app.live_server import LiveServer, running

TOKEN = "a-token-sent-in-the-query-string"
REFUSED = {
    "whitespace before a colon": b"POST /health HTTP/1.1\r\nHost: t\r\nContent-Length : 5\r\n\r\n"
    b"GET /",
    "two Host headers": b"GET /health HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",
    "no Host on HTTP/1.1": b"GET /health HTTP/1.1\r\n\r\n",
    "a NUL in a header value": b"GET /health HTTP/1.1\r\nHost: t\r\nX-Note: a\x00b\r\n\r\n",
    "a bare LF in a header value": b"GET /health HTTP/1.1\r\nHost: t\r\nX-Note: a\nb\r\n\r\n",
    "a control byte in the target": (
        f"GET /health?jwt={TOKEN}\x01 HTTP/1.1\r\nHost: t\r\n\r\n".encode()
    ),
}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    folder = tmp_path_factory.mktemp("framing")
    env = live_env(f"sqlite://{folder}/stores.sqlite3")
    with running(env, folder) as started:
        yield started
        assert started.stop(signal.SIGTERM) == 0
    assert TOKEN not in "".join(started.output)
    assert "Traceback" not in "".join(started.output)


def exchange(server: LiveServer, head: bytes) -> tuple[bytes, dict[str, str], bytes]:
    """The status line, headers and body answered to `head`, read until the server closes."""
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as connection:
        connection.sendall(head)
        answer = b"".join(iter(lambda: connection.recv(65536), b""))
    top, _, body = answer.partition(b"\r\n\r\n")
    status, *lines = top.split(b"\r\n")
    headers = {
        name.decode().lower(): value.decode().strip()
        for name, _, value in (line.partition(b":") for line in lines)
    }
    return status, headers, body


@pytest.mark.parametrize("head", REFUSED.values(), ids=REFUSED.keys())
def test_a_head_rfc_9112_refuses_is_a_400_that_closes_the_connection(
    server: LiveServer, head: bytes
) -> None:
    status, headers, body = exchange(server, head)
    assert status == b"HTTP/1.1 400 Bad Request"
    assert headers["connection"] == "close"
    assert set(json.loads(body)) == {"msg"}


def test_a_method_the_route_lacks_is_a_405_naming_those_it_has(server: LiveServer) -> None:
    head = b"TRACE /me HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n"
    status, headers, _ = exchange(server, head)
    assert status == b"HTTP/1.1 405 Method Not Allowed"
    assert set(headers["allow"].split(", ")) == {"GET", "HEAD"}


def test_a_well_formed_head_is_served(server: LiveServer) -> None:
    # A space before a colon inside a value, and a tab in one, are a value's business.
    head = b"GET /health HTTP/1.1\r\nHost: t\r\nX-Note: a :b\tc\r\nConnection: close\r\n\r\n"
    status, _, _ = exchange(server, head)
    assert status == b"HTTP/1.1 200 OK"
