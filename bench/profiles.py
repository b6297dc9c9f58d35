"""Reading py-spy's collapsed stacks: which functions, and which parts of the service,
the sampled time went to."""

import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass

from bench.results import markdown

# A frame: either the `process PID:"command line"` that py-spy puts above each process's
# stacks (a command line may hold a `;` itself), or a function, up to the next `;`.
_FRAME = re.compile(r'process \d+:".*?"(?=;|$)|[^;]+')

# The parts of a request's time, in the order of the table.
SANIC = "Sanic and the event loop"
MIDDLEWARE = "our middleware"
ACCESS_LOG = "access log"
ORM_CONTEXT = "ORM context"
ORM = "ORM and driver"
VIEW = "view"
RESPONSE = "response"
TOKEN = "token check"
OTHER = "other"
PARTS = (SANIC, MIDDLEWARE, ACCESS_LOG, ORM_CONTEXT, ORM, VIEW, RESPONSE, TOKEN, OTHER)


# Which part a frame's file belongs to: the part of the first prefix the file starts
# with. A file is named as py-spy names it: its path under site-packages, the project or
# the standard library (`sanic/app.py`, `app/web/guards.py`, `threading.py`). Frames of
# no prefix (the standard library's json, logging, copy, asyncio...) are work done for
# the frame that called them.
_PREFIXES = (
    ("app/web/logs", ACCESS_LOG),
    ("app/web/access", ACCESS_LOG),  # access.py, access_log.py
    ("sanic_jwt_extended/", TOKEN),
    ("jwt/", TOKEN),  # PyJWT: under the extension, or in a peer's decorator
    ("tortoise/context.py", ORM_CONTEXT),
    ("tortoise/", ORM),
    ("aiosqlite/", ORM),
    ("asyncpg/", ORM),
    ("pypika", ORM),  # pypika/ and tortoise's pypika_tortoise/
    ("app/web/routes/", VIEW),
    ("bench/routes.py", VIEW),
    ("bench/peers/", VIEW),
    ("pydantic", RESPONSE),  # pydantic/ and pydantic_core/
    ("app/web/payloads.py", RESPONSE),
    ("sanic/response/", RESPONSE),
    ("app/web/", MIDDLEWARE),  # the request class, guards, error handlers
    ("server.py", MIDDLEWARE),  # its response middleware
    # Sanic's code is Sanic's time, whoever calls it (our request class, its subclass).
    ("sanic/", SANIC),
    ("sanic_routing/", SANIC),
)

# The event loop's own files: a stack of no part that runs on the loop is the loop's
# time (Sanic's worker runs its loop from sanic/, which has a part anyway).
_LOOP = ("asyncio/", "uvloop/")

# Waiting threads, by the file and function (the last part of its qualified name) of
# their innermost frame. py-spy leaves out the samples of idle threads, yet many come
# through all the same: a sixth to a third of a profile of ours, from the threads of
# Sanic's worker manager, the thread that waits for signals, aiosqlite's between two
# queries. The blocking call itself is C code, unseen: a sample shows its Python caller.
_WAITS = {
    ("threading.py", "wait"),
    ("signal.py", "sigwait"),
    ("socket.py", "accept"),
    ("selectors.py", "select"),
    ("multiprocessing/connection.py", "_recv"),
    ("multiprocessing/connection.py", "_poll"),
    ("concurrent/futures/thread.py", "_worker"),
    ("aiosqlite/core.py", "_connection_worker_thread"),
}


def _stacks(collapsed: str) -> Iterator[tuple[list[str], int]]:
    """Each stack of py-spy's collapsed output: its frames, outermost first, and its count.

    A line is the frames joined by `;`, then a space and its number of samples; the
    `process` frames of --subprocesses are left out.
    """
    for line in collapsed.splitlines():
        stack, _, samples = line.rpartition(" ")
        if stack and samples.isdigit():
            frames = [frame for frame in _FRAME.findall(stack) if not frame.startswith("process ")]
            yield frames, int(samples)


def hottest(collapsed: str, count: int = 20) -> list[tuple[str, float, float]]:
    """The `count` functions with the largest share of samples, with their own share.

    A function's share counts every sample it is on the stack of (once, even when
    recursive); its own share, those where it is the innermost frame.
    """
    inclusive: Counter[str] = Counter()
    own: Counter[str] = Counter()
    total = 0
    for frames, samples in _stacks(collapsed):
        total += samples
        inclusive.update(dict.fromkeys(frames, samples))
        if frames:
            own[frames[-1]] += samples
    if not total:
        return []
    return [
        (frame, samples / total, own[frame] / total)
        for frame, samples in inclusive.most_common(count)
    ]


@dataclass(frozen=True)
class Breakdown:
    """Microseconds per request of each part at a rate of requests, and the share of
    samples left out as idle."""

    micros: dict[str, float]
    requests_per_s: float
    idle: float


def breakdown(collapsed: str, requests_per_s: float) -> Breakdown:
    """Where the time of one request goes, part by part, from a profile of its server.

    Each sample goes to the part of its innermost frame that has one, so that json
    encoding for the access log is the access log's; a stack of no part goes to Sanic
    if it runs on the event loop, else to "other". Samples of waiting threads are left
    out. The server, one worker pinned to one core that wrk saturates, spends
    1e6 / requests_per_s microseconds per request, shared among the parts as their
    samples are.
    """
    counted: Counter[str] = Counter()
    idle = 0
    for frames, samples in _stacks(collapsed):
        if frames and _waits(frames[-1]):
            idle += samples
        else:
            counted[_part(frames)] += samples
    total = sum(counted.values())
    per_sample = 1e6 / requests_per_s / total if total else 0.0
    return Breakdown(
        {part: counted[part] * per_sample for part in PARTS},
        requests_per_s,
        idle / (idle + total) if idle else 0.0,
    )


def _part(frames: list[str]) -> str:
    """The part of the innermost frame that has one; else Sanic's on the loop, or other."""
    for frame in reversed(frames):
        function, path = _function_and_file(frame)
        if path == function.rpartition(".")[2]:
            # Sanic compiles the methods it touches up (sanic/touchup) anew, under
            # their own name as file: `handle_request (handle_request:1)`.
            return SANIC
        for prefix, part in _PREFIXES:
            if path.startswith(prefix):
                return part
    if any(_function_and_file(frame)[1].startswith(_LOOP) for frame in frames):
        return SANIC
    return OTHER


def _waits(frame: str) -> bool:
    function, path = _function_and_file(frame)
    return (path, function.rpartition(".")[2]) in _WAITS


def _function_and_file(frame: str) -> tuple[str, str]:
    """`Class.method (path/to/file.py:12)`, as py-spy writes a frame, as its two names."""
    function, _, location = frame.rpartition(" (")
    location = location.removesuffix(")")
    path, colon, line = location.rpartition(":")
    return function, path if colon and line.isdigit() else location


def render_breakdown(scenario: str, parts: Breakdown) -> str:
    """The breakdown as a Markdown table, under a line that says what it is of."""
    rows = [[part, f"{parts.micros[part]:.1f}"] for part in PARTS]
    rows.append(["total", f"{sum(parts.micros.values()):.1f}"])
    return (
        f"{scenario}: a request's time by part, at the rounds' {parts.requests_per_s:,.0f} req/s "
        f"({parts.idle:.0%} of the samples, of waiting threads, left out):\n"
        + markdown(["part", "µs per request"], rows, "lr")
    )
