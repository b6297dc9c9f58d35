"""Starting and stopping the servers under test, and pinning processes to CPUs."""

import json
import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

PROJECT = Path(__file__).resolve().parent.parent

READY_TIMEOUT_SECONDS = 60
STOP_TIMEOUT_SECONDS = 30
# A server is idle when it uses at most IDLE_TICKS clock ticks (10 ms each, usually) of
# CPU in IDLE_PROBE_SECONDS; it is waited for no longer than IDLE_TIMEOUT_SECONDS.
IDLE_TICKS = 1
IDLE_PROBE_SECONDS = 0.25
IDLE_TIMEOUT_SECONDS = 15


@dataclass(frozen=True)
class Pinning:
    """The CPU of the servers and the CPU of the load; None: both unpinned (one CPU)."""

    server: int | None
    load: int | None

    @classmethod
    def detect(cls) -> "Pinning":
        """The first two CPUs this process may use, when there are two or more."""
        cpus = sorted(os.sched_getaffinity(0))
        return cls(cpus[0], cpus[1]) if len(cpus) >= 2 else cls(None, None)

    def server_command(self, command: list[str]) -> list[str]:
        return _pinned(self.server, command)

    def load_command(self, command: list[str]) -> list[str]:
        return _pinned(self.load, command)

    def describe(self) -> str:
        if self.server is None:
            return "one CPU: server and wrk unpinned"
        return f"server on CPU {self.server}, wrk on CPU {self.load}"


def _pinned(cpu: int | None, command: list[str]) -> list[str]:
    return command if cpu is None else ["taskset", "-c", str(cpu), *command]


def free_port() -> int:
    """A TCP port nothing listens on now, for the next server to take."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass(frozen=True)
class Process:
    """A server the kit started, leading its own process group (with its workers)."""

    name: str
    popen: "subprocess.Popen[bytes]"
    url: str
    log: Path

    @property
    def pid(self) -> int:
        return self.popen.pid


def start(
    stack: ExitStack, name: str, command: list[str], *, env: dict[str, str], url: str, log: Path
) -> Process:
    """Start `command` in the project, stopped when `stack` closes, logging to `log`."""
    with log.open("wb") as output:
        popen = subprocess.Popen(
            command,
            cwd=PROJECT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    process = Process(name, popen, url, log)
    stack.callback(stop, process)
    return process


def stop(process: Process) -> None:
    """SIGTERM the process's group (its workers too); SIGKILL it if it will not end."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            return
        try:
            process.popen.wait(STOP_TIMEOUT_SECONDS)
            return
        except subprocess.TimeoutExpired:
            continue


def wait_until_ready(process: Process, path: str) -> None:
    """Return once GET `path` answers 200; fail, with the log, if the server dies first."""
    deadline = time.monotonic() + READY_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if process.popen.poll() is not None:
            break
        try:
            with urllib.request.urlopen(process.url + path, timeout=5) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError):
            pass
        time.sleep(0.2)  # polling a starting server; nothing here is a test of timing
    raise RuntimeError(
        f"{process.name} did not become ready at {process.url}{path}; its log "
        f"({process.log}) ends with:\n{_tail(process.log)}"
    )


def wait_until_idle(pid: int) -> None:
    """Return once the process and its descendants stop using the CPU (or after a while).

    A scenario can leave work behind when wrk stops: password hashes still running in
    their threads would otherwise slow down the next scenario on the same CPU.
    """
    deadline = time.monotonic() + IDLE_TIMEOUT_SECONDS
    used = _cpu_ticks(pid)
    while time.monotonic() < deadline:
        time.sleep(IDLE_PROBE_SECONDS)
        before, used = used, _cpu_ticks(pid)
        if used - before <= IDLE_TICKS:
            return


def _cpu_ticks(pid: int) -> int:
    """User and system CPU time, in clock ticks, of `pid` and all its descendants."""
    process = Path(f"/proc/{pid}")
    try:
        fields = (process / "stat").read_text().rpartition(")")[2].split()
        children = [
            int(child)
            for task in (process / "task").iterdir()
            for child in (task / "children").read_text().split()
        ]
    except OSError:  # it has exited: it uses nothing more
        return 0
    # utime and stime, of all its threads, are the 14th and 15th fields of stat; the
    # first two (pid and name) are cut off above.
    own = int(fields[11]) + int(fields[12])
    return own + sum(_cpu_ticks(child) for child in children)


def post_json(url: str, body: dict[str, Any]) -> Any:
    """POST `body` as JSON, return the decoded JSON answer (an HTTP error raises)."""
    request = urllib.request.Request(
        url,
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.load(response)


def _tail(log: Path, lines: int = 20) -> str:
    return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])
