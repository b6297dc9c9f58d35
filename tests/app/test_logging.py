"""The logs: one access line per request, text or JSON, and nothing secret in them."""

from __future__ import annotations

import asyncio
import io
import json
import logging
import re
import signal
from pathlib import Path
from typing import Any

import httpx
import pytest
from sanic import HTTPResponse, Request

from app.web.access_log import FLUSH_SECONDS, USER_ID, AccessLog, LogFormat
from app.web.logs import log_handler
from tests.app.helpers import PASSWORD, Api, LoggedIn, LogOutput, build_app, make_settings
from tests.app.live_server import IN_MEMORY_BLACKLIST_WARNING, READY, running, start_failing
from tests.helpers import bearer

ACCESS_FIELDS = {"method", "path", "status", "duration_ms", USER_ID}
# The text line: method, path, status, duration, user (or "-" for none).
TEXT_ACCESS_LINE = re.compile(r" app\.access: (\S+) (\S+) (\d{3}) \d+\.\dms user=(\S+)$")


def access_entry(output: LogOutput, line: str) -> dict[str, Any]:
    """The fields of one access line, whichever format wrote it."""
    if output.log_format == "json":
        entry: dict[str, Any] = json.loads(line)
        return {key: entry[key] for key in ACCESS_FIELDS}
    match = TEXT_ACCESS_LINE.search(line)
    assert match is not None, line
    method, path, status, user = match.groups()
    return {"method": method, "path": path, "status": int(status), USER_ID: user}


def only_access_entry(output: LogOutput) -> dict[str, Any]:
    """The one access line a single request wrote."""
    lines = output.access_lines()
    assert len(lines) == 1, output.lines()
    return access_entry(output, lines[0])


def anonymous(output: LogOutput) -> str | None:
    """How each format writes "no verified token"."""
    return None if output.log_format == "json" else "-"


async def test_a_protected_request_names_its_user(
    api: Api, user: LoggedIn, log_output: LogOutput
) -> None:
    response = await api.call("GET", "/me", headers=user.headers)
    assert response.status_code == 200
    entry = only_access_entry(log_output)
    assert entry == entry | {"method": "GET", "path": "/me", "status": 200}
    assert entry[USER_ID] == str(response.json["id"])


async def test_an_anonymous_request_names_no_one(api: Api, log_output: LogOutput) -> None:
    assert (await api.call("GET", "/stores")).status_code == 200
    entry = only_access_entry(log_output)
    assert entry == entry | {"method": "GET", "path": "/stores", "status": 200}
    assert entry[USER_ID] == anonymous(log_output)


async def test_a_client_error_is_logged_with_its_status(api: Api, log_output: LogOutput) -> None:
    assert (await api.call("GET", "/items")).status_code == 401
    assert (await api.call("GET", "/no/such/route")).status_code == 404
    statuses = [access_entry(log_output, line)["status"] for line in log_output.access_lines()]
    assert statuses == [401, 404]


async def test_a_verified_token_refused_for_its_role_still_names_its_user(
    api: Api, user: LoggedIn, log_output: LogOutput
) -> None:
    me = (await api.call("GET", "/me", headers=user.headers)).json
    log_output.clear()
    assert (await api.call("DELETE", "/items/1", headers=user.headers)).status_code == 403
    lines = [line for line in log_output.access_lines() if "/items/1" in line]
    assert [access_entry(log_output, line)[USER_ID] for line in lines] == [str(me["id"])]


async def test_a_server_error_is_logged_once_as_access_and_once_as_error(
    api: Api, log_output: LogOutput
) -> None:
    async def broken(request: Request) -> HTTPResponse:
        raise RuntimeError("a bug")

    api.app.add_route(broken, "/broken")
    assert (await api.call("GET", "/broken")).status_code == 500
    assert only_access_entry(log_output)["status"] == 500
    errors = [line for line in log_output.lines() if "Unhandled error on GET /broken" in line]
    assert len(errors) == 1
    if log_output.log_format == "json":
        error = json.loads(errors[0])
        assert error["level"] == "ERROR"
        assert "RuntimeError: a bug" in error["exc_info"]


async def test_no_token_password_or_cookie_value_is_ever_logged(
    api: Api, user: LoggedIn, log_output: LogOutput
) -> None:
    cookie_value = "a-session-cookie-value-nobody-may-read"
    secrets = [user.access, user.refresh, PASSWORD, cookie_value]
    cookies = f"access_token_cookie={user.access}; session={cookie_value}"
    everywhere: dict[str, Any] = {
        "headers": bearer(user.access)
        | {"X-Refresh-Token": f"Bearer {user.refresh}"}
        | {"Cookie": cookies},
        "params": {"jwt": user.access, "password": PASSWORD, "session": cookie_value},
    }
    credentials = {"username": "alice", "password": PASSWORD}
    for method, path in [("GET", "/me"), ("POST", "/refresh"), ("GET", "/no/such/route")]:
        await api.call(method, path, **everywhere)
    await api.call("POST", "/login", json=credentials, **everywhere)
    await api.call("POST", "/login", json=credentials | {"password": f"not {PASSWORD}"})
    await api.call("POST", "/register", json=credentials | {"token": user.refresh})
    await api.call("POST", "/logout", **everywhere)
    await api.call("GET", "/me", **everywhere)  # now revoked: refused, yet logged
    output = log_output.text()
    assert len(log_output.access_lines()) == 8
    assert [secret for secret in secrets if secret in output] == []


async def test_one_access_line_per_request_each_a_json_object(
    api: Api, user: LoggedIn, log_output: LogOutput
) -> None:
    log_output.clear()
    for path in ("/me", "/stores", "/items?limit=1&offset=0"):
        await api.call("GET", path, headers=user.headers)
    lines = log_output.access_lines()
    assert len(lines) == 3
    if log_output.log_format != "json":
        return
    entries = [json.loads(line) for line in lines]
    assert [entry["path"] for entry in entries] == ["/me", "/stores", "/items"]
    for entry in entries:
        assert set(entry) >= ACCESS_FIELDS
        assert entry["level"] == "INFO"
        assert isinstance(entry["duration_ms"], float)
        assert entry["duration_ms"] >= 0


def test_the_server_writes_only_json_lines_in_json_mode(
    env: dict[str, str], tmp_path: Path
) -> None:
    json_env = env | {"APP_LOG_FORMAT": "json"}
    credentials = {"username": "alice", "password": PASSWORD}
    with running(json_env, tmp_path) as server, httpx.Client(base_url=server.url) as client:
        assert client.post("/register", json=credentials).status_code == 201
        token = client.post("/login", json=credentials).json()["access_token"]
        me = client.get("/me", headers=bearer(token)).json()
        assert client.get("/no/such/route").status_code == 404
        assert server.stop(signal.SIGTERM) == 0
    entries = [json.loads(line) for line in server.output]  # every line, from the first
    assert any(READY in entry["message"] for entry in entries)
    [warning] = [entry for entry in entries if IN_MEMORY_BLACKLIST_WARNING in entry["message"]]
    assert warning["level"] == "WARNING"
    access = [entry for entry in entries if entry["logger"] == "app.access"]
    assert [(entry["path"], entry["status"]) for entry in access] == [
        ("/register", 201),
        ("/login", 200),
        ("/me", 200),
        ("/no/such/route", 404),
    ]
    assert [entry[USER_ID] for entry in access] == [None, None, str(me["id"]), None]


def test_the_command_line_reports_a_failure_as_json_in_json_mode(
    env: dict[str, str], tmp_path: Path
) -> None:
    (tmp_path / "a-directory.sqlite3").mkdir()
    broken = {
        "APP_LOG_FORMAT": "json",
        "APP_DATABASE_URL": f"sqlite://{tmp_path}/a-directory.sqlite3",
    }
    result = start_failing(env | broken, tmp_path)
    assert result.returncode == 1
    [line] = result.stderr.splitlines()
    entry = json.loads(line)
    assert entry["level"] == "ERROR"
    assert entry["message"].startswith("database: ")


def test_a_clean_stop_right_after_a_burst_loses_no_access_line(
    env: dict[str, str], tmp_path: Path
) -> None:
    burst = 300

    async def fire(url: str) -> list[int]:
        limits = httpx.Limits(max_connections=30)
        async with httpx.AsyncClient(base_url=url, limits=limits) as client:
            responses = await asyncio.gather(*(client.get("/stores") for _ in range(burst)))
        return [response.status_code for response in responses]

    with running(env, tmp_path) as server:
        assert asyncio.run(fire(server.url)) == [200] * burst
        assert server.stop(signal.SIGTERM) == 0
    access = [line for line in server.output if TEXT_ACCESS_LINE.search(line.rstrip("\n"))]
    assert len(access) == burst


@pytest.mark.parametrize("log_format", ["text", "json"])
async def test_an_access_line_is_the_line_the_log_formatter_writes(log_format: LogFormat) -> None:
    """The access log skips `logging`, not its format: the same line, but for the time."""
    fields = {"method": "GET", "path": "/me", "status": 200, "duration_ms": 1.23, USER_ID: "7"}
    by_hand, by_logging = io.StringIO(), io.StringIO()
    writer = AccessLog()
    writer.configure(log_format, by_hand)
    writer.write("GET", "/me", 200, 1.234, "7")
    writer.flush()
    logger = logging.getLogger("app.access")
    handler = log_handler(log_format, by_logging)
    logger.addHandler(handler)
    logger.propagate = False
    try:
        logger.warning("GET /me 200 1.2ms user=7", extra=fields)
    finally:
        logger.removeHandler(handler)
        logger.propagate = True
    expected = by_logging.getvalue().replace("WARNING", "INFO")
    if log_format == "json":
        written, wanted = json.loads(by_hand.getvalue()), json.loads(expected)
        assert list(written) == list(wanted)  # the same keys, in the same order
        assert written | {"time": None} == wanted | {"time": None}
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}\+00:00", written["time"])
    else:
        time_of_day = len("2026-12-01 21:50:41,298")
        assert by_hand.getvalue()[time_of_day:] == expected[time_of_day:]
        assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}", by_hand.getvalue()[:23])


async def test_control_characters_in_a_request_are_escaped_in_the_text_log() -> None:
    """A newline would forge a line, a carriage return hide one, an escape colour one."""
    output = io.StringIO()
    writer = AccessLog()
    writer.configure("text", output)
    writer.write("GET\r\nFAKE", "/items/\x1b[31m\x7f\x85é", 404, 0.5, None)
    writer.flush()
    [line] = output.getvalue().splitlines()
    assert line.endswith(" GET\\x0d\\x0aFAKE /items/\\x1b[31m\\x7f\\x85é 404 0.5ms user=-")


async def test_with_the_access_log_off_only_warnings_and_errors_are_logged(
    sqlite_database: str, log_output: LogOutput
) -> None:
    api = Api(build_app(make_settings(database_url=sqlite_database, access_log=False)))

    async def broken(request: Request) -> HTTPResponse:
        raise RuntimeError("a bug")

    api.app.add_route(broken, "/broken")
    assert (await api.call("GET", "/stores")).status_code == 200
    assert (await api.call("GET", "/broken")).status_code == 500
    assert log_output.access_lines() == []
    assert any("Unhandled error on GET /broken" in line for line in log_output.lines())


def test_a_loop_closed_before_its_flush_does_not_hold_back_the_next_loops_lines() -> None:
    output = io.StringIO()
    writer = AccessLog()
    writer.configure("text", output)

    async def write(path: str, wait: float) -> None:
        writer.write("GET", path, 200, 0.5, None)
        await asyncio.sleep(wait)

    asyncio.run(write("/first", 0))  # its loop ends before the flush it scheduled
    asyncio.run(write("/second", FLUSH_SECONDS * 3))
    assert [line.split()[-4] for line in output.getvalue().splitlines()] == ["/first", "/second"]
