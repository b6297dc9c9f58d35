"""The benchmark kit's pure parts: reading wrk, medians and ratios, the table, the files.

Nothing here runs wrk or a server: CI must not run benchmarks.
"""

from __future__ import annotations

import json
import shutil
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest

from bench import cli
from bench.machine import cpu_model
from bench.processes import Pinning
from bench.profiles import PARTS, breakdown, hottest, render_breakdown
from bench.results import (
    Measurement,
    NothingCompleted,
    WrkError,
    parse_wrk_output,
    render_table,
    summarise,
    target_text,
)
from bench.scenarios import SCENARIOS, Server, database_of, select, servers_of
from bench.servers import Backing, Launcher, Target
from bench.soak import Soak, growth

WRK_SUMMARY = """Running 10s test @ http://127.0.0.1:8000/me
  1 threads and 64 connections
  10000 requests in 10.00s, 2.00MB read
Requests/sec:   1000.00
"""


def report(**overrides: Any) -> str:
    """wrk's output as bench/wrk/kit.lua ends it."""
    fields = {
        "requests": 20_000,
        "duration_s": 10.0,
        "p50_ms": 4.0,
        "p99_ms": 9.0,
        "socket_errors": 0,
        "bad_status": 0,
    }
    return WRK_SUMMARY + json.dumps(fields | overrides) + "\n"


def measured(requests_per_s: float, p50_ms: float = 1.0, p99_ms: float = 2.0) -> Measurement:
    return Measurement(int(requests_per_s * 10), 10.0, p50_ms, p99_ms, 0, 0)


def test_the_report_line_is_read_from_wrks_output() -> None:
    measurement = parse_wrk_output("me", report())
    assert measurement.requests_per_s == 2_000
    assert (measurement.p50_ms, measurement.p99_ms) == (4.0, 9.0)


@pytest.mark.parametrize("errors", [{"bad_status": 3}, {"socket_errors": 1}])
def test_a_run_with_failed_requests_is_an_error_not_a_number(errors: dict[str, int]) -> None:
    with pytest.raises(WrkError, match="of 20000 requests"):
        parse_wrk_output("me", report(**errors))


def test_a_run_without_a_report_or_a_response_is_an_error() -> None:
    with pytest.raises(WrkError, match="no report"):
        parse_wrk_output("me", WRK_SUMMARY)
    with pytest.raises(NothingCompleted):
        parse_wrk_output("login", report(requests=0))


def test_medians_are_taken_over_the_rounds() -> None:
    rounds = [
        {"hello": measured(1000, 1, 5)},
        {"hello": measured(3000, 3, 4)},
        {"hello": measured(2000, 2, 9)},
    ]
    summary = summarise(rounds, {"hello": {"description": "bare"}})
    hello = summary["measurements"]["hello"]
    assert hello["median"] == {"requests_per_s": 2000, "p50_ms": 2, "p99_ms": 5}
    assert hello["description"] == "bare"
    assert [r["requests_per_s"] for r in hello["rounds"]] == [1000, 3000, 2000]


def test_a_ratio_is_the_median_of_the_per_round_ratios() -> None:
    # Per round, me/hello is 0.5, 0.9 and 0.8: median 0.8. The ratio of the medians,
    # 1000 / 2000, would be 0.5: the drift of the second round would leak into it.
    rounds = [
        {"hello": measured(2000), "me": measured(1000)},
        {"hello": measured(1000), "me": measured(900)},
        {"hello": measured(2500), "me": measured(2000)},
    ]
    ratio = summarise(rounds, {})["ratios"]["me / hello"]
    assert ratio["rounds"] == pytest.approx([0.5, 0.9, 0.8])
    assert ratio["median"] == pytest.approx(0.8)
    assert (ratio["target"], ratio["at_least"], ratio["met"]) == (0.85, True, False)


def test_tail_ratios_divide_p99_by_p50_and_must_stay_under_their_target() -> None:
    rounds = [{"me": measured(1000, p50_ms=10, p99_ms=15)}]
    ratio = summarise(rounds, {})["ratios"]["me p99 / p50, idle"]
    assert ratio["median"] == 1.5
    assert (ratio["target"], ratio["at_least"], ratio["met"]) == (2, False, True)


def test_issue_15s_ratios_hold_the_service_to_bare_sanic() -> None:
    names = ["hello", "me", "me-quiet", "item", "item-pg"]
    peers = ["sanic-hello", "sanic-jwt", "sanic-item", "sanic-item-jwt", "sanic-item-pg"]
    ratios = summarise([{name: measured(1000) for name in names + peers}], {})["ratios"]
    targets = {label: target_text(entry) for label, entry in ratios.items()}
    assert targets == {
        "hello / sanic-hello": ">= 0.85",
        "me / sanic-hello": ">= 0.75",
        "me-quiet / sanic-hello": ">= 0.85",
        "item / sanic-item": ">= 0.8",
        "item-pg / sanic-item-pg": ">= 0.8",
        "sanic-jwt / sanic-hello": ">= 0.44",
        "sanic-item-jwt / sanic-item": ">= 0.65",
        "me / hello": ">= 0.85",
        "item / hello": ">= 0.25",
        "hello p99 / p50": "<= 2",
        "me p99 / p50, idle": "<= 2",
        "item p99 / p50": "<= 2",
        "item-pg p99 / p50": "<= 2",
    }


def test_a_ratio_is_left_out_when_a_side_was_not_run() -> None:
    ratios = summarise([{"me": measured(1000), "stores": measured(10)}], {})["ratios"]
    assert set(ratios) == {"me p99 / p50, idle"}


def test_the_summary_is_plain_json() -> None:
    summary = summarise([{"hello": measured(1000), "me": measured(500)}], {"me": {"peer": False}})
    assert json.loads(json.dumps(summary)) == summary
    assert set(summary) == {"measurements", "ratios"}
    assert set(summary["measurements"]["me"]) == {"peer", "median", "rounds"}
    assert set(summary["measurements"]["me"]["rounds"][0]) == {
        "requests",
        "duration_s",
        "requests_per_s",
        "p50_ms",
        "p99_ms",
        "socket_errors",
        "bad_status",
    }


def test_the_table_lists_medians_and_ratios_in_aligned_markdown() -> None:
    rounds = [{"hello": measured(14_169, 4.5, 8.25), "me": measured(3_826, 17, 117)}]
    table = render_table(summarise(rounds, {"hello": {"description": "bare route"}}))
    lines = table.splitlines()
    assert lines[0].split("|")[1:-1] == [
        " scenario ",
        " what       ",
        " requests/s ",
        " p50 ms ",
        " p99 ms ",
    ]
    assert lines[1].startswith("| -------- | ---------- | ---------: |")
    assert lines[2] == "| hello    | bare route |     14,169 |   4.50 |   8.25 |"
    assert lines[3] == "| me       |            |      3,826 |  17.00 | 117.00 |"
    assert "| me / hello               |  0.27 | >= 0.85 | no  |" in lines
    assert "| me p99 / p50, idle       |  6.88 |    <= 2 | no  |" in lines
    assert len({len(line) for line in lines[:4]}) == 1


def test_the_results_are_written_as_json_and_a_png_chart(tmp_path: Path) -> None:
    rounds = [{"hello": measured(1000), "me": measured(800), "flask-hello": measured(200)}]
    about = {name: {"peer": name.startswith("flask")} for name in rounds[0]}
    results = {
        "machine": {"cpu": "Test CPU", "cores": 2, "python": "3", "sanic": "25", "pyjwt": "2"},
        "options": {"duration": 10, "rounds": 1, "connections": 64, "pinning": "unpinned"},
        **summarise(rounds, about),
    }
    cli._write(results, tmp_path)
    assert json.loads((tmp_path / "latest.json").read_text()) == results
    assert (tmp_path / "latest.png").read_bytes().startswith(b"\x89PNG")


def test_the_kit_says_how_to_install_wrk_when_it_is_missing(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(shutil, "which", lambda name: None)
    assert cli.main(["--only", "hello"]) == 1
    assert "apt-get install wrk" in capsys.readouterr().err


def test_profile_names_scenarios_of_the_run_and_is_refused_for_others(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert cli._profiled(None, select("hello")) == ()
    assert cli._profiled("me,hello", select("hello,me")) == select("hello,me")
    assert cli.main(["--only", "hello,item", "--profile", "hello,me,stores"]) == 1
    assert "--profile me, stores: not among the scenarios run" in capsys.readouterr().err


def test_scenarios_are_selected_by_name_in_round_order() -> None:
    chosen = select("me-redis, hello")
    assert [scenario.name for scenario in chosen] == ["hello", "me-redis"]
    assert servers_of(chosen) == [Server.SQLITE, Server.REDIS]
    assert select(None) == SCENARIOS
    with pytest.raises(ValueError, match="unknown scenario"):
        select("hello,nope")


def test_the_bare_sanic_scenarios_load_its_peers_and_the_quiet_one_ours() -> None:
    chosen = select("sanic-item-pg,me-quiet,sanic-item-jwt,sanic-hello,item-pg")
    assert [scenario.name for scenario in chosen] == [
        "sanic-hello",
        "me-quiet",
        "sanic-item-jwt",
        "item-pg",
        "sanic-item-pg",
    ]
    assert servers_of(chosen) == [Server.QUIET, Server.POSTGRES, Server.SANIC, Server.SANIC_PG]
    with_token = {scenario.name for scenario in SCENARIOS if scenario.loads[0].token}
    assert {"me-quiet", "sanic-jwt", "sanic-item-jwt"} <= with_token
    assert not {"sanic-hello", "sanic-item", "sanic-item-pg"} & with_token


def test_a_round_runs_each_of_ours_next_to_its_peer() -> None:
    order = [scenario.name for scenario in SCENARIOS]
    for ours, peer in [
        ("hello", "sanic-hello"),
        ("item", "sanic-item"),
        ("item-pg", "sanic-item-pg"),
    ]:
        assert order.index(peer) == order.index(ours) + 1


def test_the_sanic_peers_share_the_database_of_ours(tmp_path: Path) -> None:
    assert (database_of(Server.SANIC), database_of(Server.SANIC_PG)) == (
        Server.SQLITE,
        Server.POSTGRES,
    )
    assert database_of(Server.QUIET) is Server.QUIET
    backing = Backing(tmp_path, "postgres://postgres@127.0.0.1/bench_1", None)
    with ExitStack() as stack:
        launcher = Launcher(stack, backing, Pinning(None, None), many_tokens=0)
        url = launcher._database_url
        assert url(Server.SANIC) == url(Server.SQLITE) == f"sqlite://{tmp_path}/sqlite.sqlite3"
        assert url(Server.SANIC_PG) == url(Server.POSTGRES) == backing.postgres_url
        quiet, sqlite = launcher._values(Server.QUIET), launcher._values(Server.SQLITE)
    assert quiet.pop("access_log") is False
    assert quiet.pop("database_url") != sqlite.pop("database_url")
    assert quiet == sqlite


def test_the_login_storm_loads_one_server_from_two_wrk_processes() -> None:
    [storm] = select("me-storm")
    assert [(load.name, load.connections) for load in storm.loads] == [
        ("me-storm", 64),
        ("login-storm", 16),
    ]
    assert servers_of((storm,)) == [Server.LOGIN]


def test_only_loads_that_need_a_token_are_given_one() -> None:
    target = Target(Server.SQLITE, "http://127.0.0.1:1", 1, "the-token", item_ids=(1, 10))
    [hello], [me] = (scenario.loads for scenario in select("hello,me"))
    assert "BENCH_TOKEN" not in target.wrk_env(hello)
    assert target.wrk_env(me)["BENCH_TOKEN"] == "the-token"
    assert (target.wrk_env(me)["BENCH_FIRST_ID"], target.wrk_env(me)["BENCH_LAST_ID"]) == (
        "1",
        "10",
    )


def test_the_cpu_model_comes_from_cpuinfo() -> None:
    cpuinfo = "processor\t: 0\nvendor_id\t: X\nmodel name\t: Test CPU @ 3.00GHz\n"
    assert cpu_model(cpuinfo) == "Test CPU @ 3.00GHz"


def test_the_hottest_functions_of_a_profile_count_each_sample_once_per_function() -> None:
    process = 'process 7:"python -c import x; x.main()"'
    collapsed = "\n".join(
        [
            f"{process};serve (s.py:1);handle (h.py:1);decode (jwt.py:1) 6",
            f"{process};serve (s.py:1);handle (h.py:1) 2",
            f"{process};serve (s.py:1);walk (w.py:1);walk (w.py:1) 2",
        ]
    )
    top = {frame: (total, own) for frame, total, own in hottest(collapsed)}
    assert top == {
        "serve (s.py:1)": (1.0, 0.0),
        "handle (h.py:1)": (0.8, 0.2),
        "decode (jwt.py:1)": (0.6, 0.6),
        "walk (w.py:1)": (0.2, 0.2),
    }


# How py-spy --subprocesses --function names the stacks of a worker of ours (a process
# under the main one, whose command line holds a `;`), and those of its loop's requests.
WORKER = (
    'process 7:"python -m bench.service";'
    'process 9:"python -c from multiprocessing.spawn import spawn_main; spawn_main()";'
    "worker_serve (sanic/worker/serve.py:26);_run_server_forever (sanic/server/runners.py:207)"
)
REQUEST = (
    f"{WORKER};connection_task (connection_task:1);Http.http1 (sanic/http/http1.py:105);"
    "handle_request (handle_request:1)"
)
VIEW = (
    f"{REQUEST};_protect.<locals>.protected (sanic_jwt_extended/decorators.py:143);"
    "get_item (app/web/routes/items.py:58)"
)


def collapsed(*stacks: tuple[str, int]) -> str:
    return "\n".join(f"{stack} {samples}" for stack, samples in stacks)


def test_a_sample_goes_to_the_part_of_its_innermost_frame_that_has_one() -> None:
    profile = collapsed(
        # json encoding for the access log is the access log's
        (f"{REQUEST};AccessLog.write (app/web/access_log.py:65);dumps (json/__init__.py:183)", 1),
        # asyncio's lock, taken by the SQLite client, is the ORM's
        (
            f"{VIEW};SqliteClient.execute_query (tortoise/backends/sqlite/client.py:147);"
            "Lock.acquire (asyncio/locks.py:93)",
            1,
        ),
        (f"{VIEW};__enter__ (tortoise/context.py:80)", 1),
        # Sanic's code called by our request class is Sanic's
        (
            f"{REQUEST};ServiceRequest.respond (app/web/request.py:41);"
            "Request.respond (sanic/request/types.py:200)",
            1,
        ),
        (f"{REQUEST};ServiceRequest.respond (app/web/request.py:41)", 1),
        (f"{VIEW};BaseModel.model_dump_json (pydantic/main.py:538)", 1),
        (f"{VIEW};json (sanic/response/convenience.py:20)", 1),
        # the methods Sanic compiles anew, each named as its own file, are Sanic's: here,
        # the write of a response to its connection
        (
            f"{REQUEST};BaseHTTPResponse.send (sanic/response/types.py:94);"
            "http1_response_header (http1_response_header:1);send (send:1)",
            1,
        ),
        (f"{REQUEST};BaseHTTPResponse.send (sanic/response/types.py:94)", 1),
        (f"{VIEW};get_or_404 (app/db/storage.py:25)", 1),
        (f"{REQUEST};_protect.<locals>.protected (sanic_jwt_extended/decorators.py:143)", 1),
    )
    # Eleven samples, at a rate that makes each a microsecond.
    assert breakdown(profile, 1e6 / 11).micros == pytest.approx(
        {
            "Sanic and the event loop": 2,
            "our middleware": 1,
            "access log": 1,
            "ORM context": 1,
            "ORM and driver": 1,
            "view": 1,
            "response": 3,
            "token check": 1,
            "other": 0,
        }
    )


def test_a_stack_of_no_part_is_the_event_loops_if_it_runs_on_it_else_other() -> None:
    profile = collapsed(
        (f"{WORKER}", 3),
        ("_run_once (asyncio/base_events.py:1845);_ready (copy.py:66)", 1),
        ('process 7:"python -m bench.service";serve_client (multiprocessing/managers.py:238)', 1),
    )
    micros = breakdown(profile, 1000).micros
    assert (micros["Sanic and the event loop"], micros["other"]) == (800, 200)


def test_microseconds_per_request_leave_the_samples_of_waiting_threads_out() -> None:
    # A thousand requests a second: a millisecond each, shared by the samples that work.
    profile = collapsed(
        (f"{VIEW};QuerySet._execute (tortoise/queryset.py:1329)", 3),
        (f"{VIEW}", 1),
        (f"{WORKER};Thread.run (threading.py:971);sigwait (signal.py:80)", 2),
        ("Thread.run (threading.py:971);Condition.wait (threading.py:295)", 1),
        ("_connection_worker_thread (aiosqlite/core.py:48)", 2),
    )
    parts = breakdown(profile, 1000)
    assert (parts.micros["ORM and driver"], parts.micros["view"]) == (750, 250)
    assert sum(parts.micros.values()) == pytest.approx(1000)
    assert parts.idle == pytest.approx(5 / 9)
    assert list(parts.micros) == list(PARTS)
    assert breakdown("", 1000).micros == dict.fromkeys(PARTS, 0.0)


def test_the_breakdown_is_a_table_of_microseconds_per_part() -> None:
    parts = breakdown(collapsed((f"{VIEW}", 1), ("sigwait (signal.py:80)", 1)), 4000)
    lines = render_breakdown("item", parts).splitlines()
    assert lines[0] == (
        "item: a request's time by part, at the rounds' 4,000 req/s "
        "(50% of the samples, of waiting threads, left out):"
    )
    assert "| view                     |          250.0 |" in lines
    assert lines[-1] == "| total                    |          250.0 |"


def test_the_soak_measures_growth_from_the_end_of_its_warm_up_lap() -> None:
    mib = 2**20
    soak = Soak(300, ("me", "item"), (100 * mib, 103 * mib, 104 * mib))
    assert soak.growth == pytest.approx(0.04)
    assert soak.report().startswith("soak: 300 s of me, item;")
    assert "growth after warm-up +4.0% (target < 5%: met)" in soak.report()
    assert "missed" in Soak(300, ("me",), (100 * mib, 106 * mib)).report()
    with pytest.raises(ValueError, match="two laps"):
        growth([100 * mib])
