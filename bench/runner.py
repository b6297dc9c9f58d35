"""Driving the servers with wrk: one scenario at a time, its loads at once."""

import os
import shutil
import signal
import subprocess
import sysconfig
from dataclasses import dataclass
from pathlib import Path

from bench.processes import Pinning, wait_until_idle
from bench.results import Measurement, Round, WrkError, parse_wrk_output
from bench.scenarios import Load, Scenario, Server
from bench.servers import Target

WRK_DIR = Path(__file__).resolve().parent / "wrk"

# wrk's default of 2 s would count as errors the logins that queue behind real hashes.
WRK_TIMEOUT = "30s"

# Samples per second of the profiler; py-spy's default of 100 is coarse for 10 s.
PROFILE_RATE = 250


def py_spy() -> str | None:
    """The py-spy installed with the bench extra, else one on PATH."""
    beside_python = Path(sysconfig.get_path("scripts")) / "py-spy"
    return str(beside_python) if beside_python.exists() else shutil.which("py-spy")


@dataclass(frozen=True)
class Driver:
    """Runs scenarios against the started servers, wrk pinned to the load's CPU."""

    targets: dict[Server, Target]
    pinning: Pinning

    def run(self, scenario: Scenario, duration: int) -> Round:
        """Each load's measurement, all of them run side by side for `duration` seconds."""
        running = [(load, self._start(load, duration)) for load in scenario.loads]
        try:
            return {load.name: self._finish(load, wrk, duration) for load, wrk in running}
        finally:
            for _, wrk in running:
                if wrk.poll() is None:
                    wrk.kill()
                    wrk.wait()
            for server in {load.server for load in scenario.loads}:
                wait_until_idle(self.targets[server].pid)

    def profile(self, scenario: Scenario, duration: int, output: Path) -> Path:
        """Run `scenario` once more under py-spy, sampling its server's processes.

        The profile is py-spy's collapsed stacks (one line per stack, then its count of
        samples), per function: grep it, or load it into speedscope or a flame graph tool.
        """
        spy = py_spy()
        assert spy is not None  # checked before the run
        target = self.targets[scenario.loads[0].server]
        path = output / f"profile-{scenario.name}.txt"
        command = [spy, "record", "--pid", str(target.pid), "--subprocesses", "--function"]
        command += ["--format", "raw", "--rate", str(PROFILE_RATE)]
        recorder = subprocess.Popen(
            self.pinning.load_command([*command, "--output", str(path)]),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        try:
            self.run(scenario, duration)
        finally:
            recorder.send_signal(signal.SIGINT)  # py-spy writes its output on Ctrl-C
            _, errors = recorder.communicate(timeout=60)
        if not path.exists():
            raise RuntimeError(f"py-spy wrote no profile: {errors.decode(errors='replace')}")
        return path

    def _start(self, load: Load, duration: int) -> "subprocess.Popen[str]":
        target = self.targets[load.server]
        command = ["wrk", "-t1", f"-c{load.connections}", f"-d{duration}s"]
        command += [f"--timeout={WRK_TIMEOUT}", "-s", str(WRK_DIR / load.script)]
        return subprocess.Popen(
            self.pinning.load_command([*command, target.url + load.path]),
            env=os.environ | {"LUA_PATH": f"{WRK_DIR}/?.lua;;"} | target.wrk_env(load),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    def _finish(self, load: Load, wrk: "subprocess.Popen[str]", duration: int) -> Measurement:
        stdout, stderr = wrk.communicate(timeout=duration + 60)
        if wrk.returncode != 0:
            raise WrkError(f"{load.name}: wrk failed ({wrk.returncode}): {stderr.strip()}")
        return parse_wrk_output(load.name, stdout)
