"""The real `python server.py` as a process: start it, watch it, stop it, see what it left.

Tests reach a moment of the server's life by observing it (a line of its output, its port
accepting, an answer), never by sleeping, and check afterwards that every process it
started has ended: the server runs in a session of its own, which its workers and helper
processes share.
"""

from __future__ import annotations

import os
import queue
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import psutil

SERVER = Path(__file__).resolve().parents[2] / "server.py"
SERVER_PROGRAM = (sys.executable, str(SERVER))
READY = "Ready: serving on"
IN_MEMORY_BLACKLIST_WARNING = "InMemoryBlacklist is process-local"
STARTING_WORKER = "Starting worker"

# Sanic's GRACEFUL_SHUTDOWN_TIMEOUT: a stop must be over within it.
GRACEFUL_SHUTDOWN_SECONDS = 15.0
START_UP_SECONDS = 30.0
# How often a test looks again at a port or a route it is waiting for.
POLL_SECONDS = 0.01


def start_failing(env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run `python server.py` expecting it to refuse to start: its status and output."""
    return run_command(env, cwd)


def run_command(
    env: dict[str, str], cwd: Path, *arguments: str, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    """Run `python server.py ARGUMENTS...` to its end, `stdin` typed in: its status and
    output."""
    return subprocess.run(
        [sys.executable, str(SERVER), *arguments],
        input=stdin,
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=START_UP_SECONDS,
        check=False,
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class LiveServer:
    """A running `python server.py` (or `program`), with its merged output read line by
    line."""

    def __init__(
        self,
        env: dict[str, str],
        cwd: Path,
        *options: str,
        port: int | None = None,
        program: tuple[str, ...] = SERVER_PROGRAM,
    ) -> None:
        self.port = free_port() if port is None else port
        self.url = f"http://127.0.0.1:{self.port}"
        self.process = subprocess.Popen(
            [*program, "--port", str(self.port), *options],
            env=env,
            cwd=cwd,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
        self.output: list[str] = []
        self._lines: queue.Queue[str | None] = queue.Queue()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.output.append(line)
            self._lines.put(line)
        self._lines.put(None)

    def wait_for_line(self, text: str, timeout: float = START_UP_SECONDS) -> str:
        """The first line not read yet that contains `text`."""
        deadline = time.monotonic() + timeout
        while True:
            line = self._lines.get(timeout=max(0.0, deadline - time.monotonic()))
            if line is None:
                raise AssertionError(f"the server ended before printing {text!r}")
            if text in line:
                return line

    def wait_until_ready(self) -> None:
        self.wait_for_line(READY)

    def wait_until_accepting(self) -> None:
        """Return as soon as a TCP connection to the port succeeds."""
        self._poll(self._accepts)

    def wait_for_health(self) -> None:
        """Return as soon as `/health` first answers 200."""
        self._poll(self._healthy)

    def _accepts(self) -> bool:
        try:
            socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
        except OSError:
            return False
        return True

    def _healthy(self) -> bool:
        try:
            return httpx.get(f"{self.url}/health", timeout=5).status_code == 200
        except httpx.TransportError:
            return False

    def _poll(self, check: Callable[[], bool]) -> None:
        deadline = time.monotonic() + START_UP_SECONDS
        while not check():
            assert self.process.poll() is None, "the server ended during its start-up"
            assert time.monotonic() < deadline, "the server did not start in time"
            time.sleep(POLL_SECONDS)

    def send(self, signal_number: int) -> None:
        self.process.send_signal(signal_number)

    def send_to_every_process(self, signal_number: int) -> None:
        """What Ctrl-C in a terminal does: signal the main process and its workers at once."""
        os.killpg(self.process.pid, signal_number)

    def stop(self, signal_number: int) -> int:
        """Signal the server; its exit status, once it has ended within the graceful timeout."""
        self.send(signal_number)
        return self.wait()

    def wait(self) -> int:
        code = self.process.wait(timeout=GRACEFUL_SHUTDOWN_SECONDS)
        self._reader.join(timeout=GRACEFUL_SHUTDOWN_SECONDS)
        return code

    def leftovers(self, timeout: float = 10.0) -> list[psutil.Process]:
        """The processes of the server's session still alive after `timeout` seconds.

        Helper processes (multiprocessing's resource tracker) end on their own a moment
        after the main process; zombies waiting for a parent to reap them do not count.
        """
        deadline = time.monotonic() + timeout
        while True:
            alive = [process for process in self.session() if _running(process)]
            if not alive or time.monotonic() >= deadline:
                return alive
            psutil.wait_procs(alive, timeout=min(0.2, max(0.0, deadline - time.monotonic())))

    def session(self) -> Iterator[psutil.Process]:
        """Every process still in the server's session, zombies included."""
        for process in psutil.process_iter():
            try:
                if os.getsid(process.pid) == self.process.pid:
                    yield process
            except ProcessLookupError:
                continue

    def kill(self) -> None:
        """End whatever is left of the server's session (after a failed test)."""
        for process in self.session():
            try:
                process.kill()
            except psutil.NoSuchProcess:
                continue
        self.process.wait()

    def ignored_signals(self) -> set[signal.Signals]:
        """The signals the main process ignores (SIG_IGN), from Linux's /proc."""
        status = Path(f"/proc/{self.process.pid}/status").read_text()
        mask = int(
            next(line for line in status.splitlines() if line.startswith("SigIgn:")).split()[1], 16
        )
        return {number for number in signal.Signals if mask >> (number - 1) & 1}

    def count(self, text: str) -> int:
        """How many lines of the output so far contain `text`."""
        return sum(text in line for line in self.output)


def _running(process: psutil.Process) -> bool:
    try:
        return process.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


@contextmanager
def started(
    env: dict[str, str],
    cwd: Path,
    *options: str,
    port: int | None = None,
    program: tuple[str, ...] = SERVER_PROGRAM,
) -> Iterator[LiveServer]:
    """A server, killed with its whole session if the test leaves it running.

    Its output is printed at the end, which pytest shows when the test fails.
    """
    server = LiveServer(env, cwd, *options, port=port, program=program)
    try:
        yield server
    finally:
        if server.process.poll() is None or list(server.session()):
            server.kill()
        print("".join(server.output), end="")


@contextmanager
def running(
    env: dict[str, str], cwd: Path, *options: str, port: int | None = None
) -> Iterator[LiveServer]:
    """A server that has logged "Ready"; on `port` when given (a restart that clients
    reach at the same address), else on a free one."""
    with started(env, cwd, *options, port=port) as server:
        server.wait_until_ready()
        yield server
