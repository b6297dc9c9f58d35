"""Command line of the service.

    python server.py [--host H] [--port P] [--workers N]    serve the API (no command: serve)
    python server.py create-admin NAME                      create or promote an admin
    python server.py migrate                                upgrade the database's schema
    python server.py keys generate --algorithm A --out PATH write a new signing key
    python server.py keys list                              the keys that sign and verify

Settings come from settings.toml and APP_<KEY> variables; the options above win over both.
"""

import argparse
import asyncio
import getpass
import importlib.metadata
import multiprocessing
import os
import signal
import sys
import threading
import warnings
from asyncio import AbstractEventLoop
from collections.abc import Callable, Coroutine
from concurrent.futures import Future
from functools import partial
from multiprocessing import resource_tracker
from multiprocessing.synchronize import Semaphore
from pathlib import Path
from socket import socket
from typing import Any, TypeVar, get_args

from pydantic import ValidationError
from sanic import Sanic
from sanic.log import logger
from sanic.server.socket import bind_socket
from sanic.worker.loader import AppLoader
from sanic.worker.manager import WorkerManager
from tortoise.exceptions import BaseORMException

from app import create_app
from app.accounts.admin import create_admin
from app.accounts.keys import GeneratedAlgorithm, KeyFileError, generate_key, key_ring
from app.db import migrate, prepare_schema, shown
from app.db.migrator import MigrationFailed, SchemaNotCurrent
from app.development_secret import SECRET_FILE, signs_with_sample, with_development_secret
from app.exceptions import AccountChanged
from app.schemas import Credentials
from app.settings import SETTINGS_FILE, Settings, near_misses, one_line
from app.web.errors import DATABASE_FAILURES
from app.web.logs import command_log, configure_logging
from sanic_jwt_extended.exceptions import BlacklistUnavailableError, ConfigurationConflictError

T = TypeVar("T")

# Applied to every app `serve` builds, the main process's and each worker's: what a caller
# adds to the service (the benchmark kit mounts its routes so).
AppSetup = Callable[[Sanic[Any, Any]], None]

# What a database raises that cannot be reached, opened or logged into (the service's
# 503s: a refused connection, a file that is not a database, an unknown role), or whose
# schema is not the code's, or whose migration failed: the last two say it in our words.
SCHEMA_ERRORS = (SchemaNotCurrent, MigrationFailed)
DATABASE_ERRORS: tuple[type[Exception], ...] = (
    BaseORMException,
    *DATABASE_FAILURES,
    *SCHEMA_ERRORS,
)

PACKAGE = "stores-api"
SETTINGS_SOURCES = (
    f"Settings come from {SETTINGS_FILE.name} (beside server.py), overridden by APP_<KEY> "
    "environment variables (APP_PORT=9000); --host, --port and --workers win over both."
)

# Both mean "stop cleanly": SIGINT is Ctrl-C, SIGTERM what deploy tools send.
STOP_SIGNALS = {signal.SIGINT, signal.SIGTERM}

# Sanic's worker manager, reading this from its monitor pipe (as when a worker calls
# `app.stop(terminate=True)`), tells every worker to stop, waits for them, and returns.
MANAGER_TERMINATE = "__TERMINATE__"

# What keys the extension cannot use raise: a file of ours, or a ring it refuses.
KEY_ERRORS = (KeyFileError, ConfigurationConflictError)

# The in-memory blacklist warns when it is created: outside development the main
# process's app says it once; in development the start-up note says it in other words.
IN_MEMORY_BLACKLIST_WARNING = "InMemoryBlacklist is process-local"


def main(argv: list[str] | None = None, *, setup: AppSetup | None = None) -> int:
    """Run the command named by `argv`; failures end as one line on stderr and status 1.

    setup: applied to each app the server builds (see `serve`).
    """
    args = _parser().parse_args(argv)
    configure_logging("text")  # until the settings name the format
    if args.command == "keys" and args.keys_command == "generate":
        # Before the settings: the key is often made before they can name it.
        return _generate_key(args.algorithm, args.out)
    for variable, meant in near_misses(os.environ).items():
        _warn(f"{variable} is not a setting, and is ignored: did you mean {meant}?")
    overrides = {key: getattr(args, key) for key in ("host", "port", "workers")}
    try:
        settings = Settings(**{key: value for key, value in overrides.items() if value is not None})
    except ValidationError as error:
        return _fail(f"invalid settings: {one_line(error)}")
    configure_logging(settings.log_format)
    if args.command == "create-admin":
        return _create_admin(settings, args.name)
    if args.command == "migrate":
        return _migrate(settings)
    if args.command == "keys":
        return _list_keys(settings)
    return serve(settings, setup=setup)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        description="The stores-and-items REST service. With no COMMAND, serve the API "
        "(migrating a new, empty database first) until SIGINT or SIGTERM.",
        epilog=SETTINGS_SOURCES,
    )
    parser.add_argument("--version", action="version", version=f"{PACKAGE} {_version()}")
    parser.add_argument("--host", help="interface to listen on (settings: host)")
    parser.add_argument("--port", type=int, help="TCP port to listen on (settings: port)")
    parser.add_argument("--workers", type=int, help="worker processes (settings: workers)")
    commands = parser.add_subparsers(
        dest="command", metavar="COMMAND", title="commands (none: serve the API)"
    )
    _command(
        commands,
        "create-admin",
        "create user NAME as an admin, or promote it",
        "Create user NAME as an admin, or make the existing user NAME one. The password "
        "is read from standard input when it is not a terminal, else prompted for twice.",
    ).add_argument("name", metavar="NAME")
    _command(
        commands,
        "migrate",
        "upgrade the database's schema, one line per migration",
        "Apply the migrations the database lacks, printing each as it runs, after naming "
        "the database (its password hidden); a database made before migrations is "
        "adopted. A server migrates only an empty database: an upgrade is this command. "
        "Two at once are safe: the second waits for the first, then finds nothing to do.",
    )
    keys = _command(
        commands,
        "keys",
        "make a signing key, or list the keys that sign and verify tokens",
        "The keys of the ring: one signs new tokens, the others only verify "
        "older ones until they are removed (README: Keys and their rotation).",
    )
    keys_commands = keys.add_subparsers(dest="keys_command", metavar="KEYS_COMMAND", required=True)
    generate = keys_commands.add_parser(
        "generate",
        help="write a new private key and print its kid",
        description="Write a new PKCS#8 PEM private key (RSA: 3072 bits) to PATH with mode "
        "0600, never replacing a file, and print its kid (its RFC 7638 thumbprint) as the "
        "last word. The settings are not read: set signing_key_file or verify_key_files "
        "to PATH afterwards.",
    )
    generate.add_argument(
        "--algorithm", required=True, choices=get_args(GeneratedAlgorithm), help="what it signs"
    )
    generate.add_argument("--out", required=True, type=Path, metavar="PATH", help="a new file")
    keys_commands.add_parser(
        "list",
        help="print the configured ring, one key a line",
        description="Print one line per key of the ring the settings configure, the signing "
        "key first: its kid, its algorithm, signing or verify, and the file (or setting) "
        "it comes from. Nothing private is printed. The keys are checked as the server's "
        "start checks them; a development server's random secret is made if missing.",
        epilog=SETTINGS_SOURCES,
    )
    return parser


def _command(
    commands: "argparse._SubParsersAction[argparse.ArgumentParser]",
    name: str,
    summary: str,
    description: str,
) -> argparse.ArgumentParser:
    """A subcommand whose --help says what it does and where the settings come from."""
    return commands.add_parser(name, help=summary, description=description, epilog=SETTINGS_SOURCES)


def _version() -> str:
    """The installed package's version; a checkout run without `pip install` has none."""
    try:
        return importlib.metadata.version(PACKAGE)
    except importlib.metadata.PackageNotFoundError:
        return "(version unknown: not installed; pip install -e .)"


def serve(settings: Settings, *, setup: AppSetup | None = None) -> int:
    """Serve until SIGINT or SIGTERM, then return 0; each worker process builds its own app.

    setup: applied to each app built, the main process's and the workers', after
    `create_app`; it is pickled for the workers, so it must be a module's function.
    """
    everyone_serving = _stop_once_everyone_serves()
    note = _start_up_note(settings)
    try:
        settings = _signing_settings(settings)
    except (OSError, ValueError) as error:
        return _fail(f"development secret: {error}")
    try:
        key_ring(settings)  # before the database: a bad key refuses the start, changing nothing
    except KeyFileError as error:
        return _fail(f"keys: {error}")
    if note:
        logger.info(note)
    try:  # each line a log line, in the log's format: the server is a service now
        _on_database(prepare_schema(settings.database_url, logger.info))
    except DATABASE_ERRORS as error:
        return _fail(_database_problem(error))
    app = _built(settings, setup, blacklist_warning=settings.env != "development")
    try:  # here, where its failure is ours to word: Sanic's would be a traceback
        listening = bind_socket(settings.host, settings.port)
    except OSError as error:
        return _fail(f"cannot listen on {settings.host}:{settings.port}: {_reason(error)}")
    serving = multiprocessing.get_context("spawn").Semaphore(0)
    app.prepare(sock=listening, workers=settings.workers, motd=False)
    _in_thread(_announce_ready, app, settings, listening, serving, everyone_serving)
    worker_app = partial(_worker_app, settings, setup, serving)
    Sanic.serve(primary=app, app_loader=AppLoader(factory=worker_app))
    return 0


def _stop_once_everyone_serves() -> Future[WorkerManager]:
    """Make SIGINT and SIGTERM wait until the server serves; set the future once it does.

    Sanic 25 cannot stop while it starts. Its worker manager, stopped before it has seen
    every worker acknowledge its start-up, marks them terminated and then waits for an
    acknowledgement that can no longer come (`WorkerManager.wait_for_ack`): it spins, or
    gives up after 30 s, kills the workers and exits 1. A worker stopped while its
    `after_server_start` listeners run has its event loop stopped under them ("Event loop
    stopped before Future completed") and skips its shutdown. So no process of ours lets a
    signal interrupt it: each blocks SIGINT and SIGTERM, one thread per process waits for
    them, waits for the start-up to be over, and only then asks for the stop that Sanic
    carries out cleanly. A stop during start-up thus takes effect once the server serves.

    The workers need nothing more: a process is born with the signals its parent blocks
    blocked (multiprocessing spawns them from this thread), so a Ctrl-C that reaches every
    process at once waits in a worker that is still importing. Nothing here may set a
    stop signal to SIG_IGN: that discards one already sent and not yet taken by `sigwait`.
    """
    # Starting the resource tracker unblocks both signals (CPython 3.11), and the first
    # worker or semaphore would start it: start it before blocking them.
    resource_tracker.ensure_running()
    signal.pthread_sigmask(signal.SIG_BLOCK, STOP_SIGNALS)
    everyone_serving: Future[WorkerManager] = Future()
    _in_thread(_stop_server_when_signalled, everyone_serving)
    return everyone_serving


def _signing_settings(settings: Settings) -> Settings:
    """`settings`, with the development secret in place of the sample one where needed."""
    return with_development_secret(settings) if signs_with_sample(settings) else settings


def _start_up_note(settings: Settings) -> str | None:
    """One line, for people, saying what a development server does in place of what a
    deployment sets up: nothing is wrong, and it says what to set to change it."""
    parts = []
    if signs_with_sample(settings):
        parts.append(f"signing tokens with a random key kept in {SECRET_FILE}")
    if settings.env == "development" and not settings.redis_url:
        parts.append("revocations kept in this process's memory (set redis_url to share them)")
    return f"{settings.env.capitalize()} mode: {'; '.join(parts)}" if parts else None


def _on_database(work: Coroutine[Any, Any, T]) -> T:
    """Run `work` on an event loop of its own; what it raises is raised.

    The loop is closed only if `work` succeeds: after a failed connection, aiosqlite
    stops its thread and that thread settles a future on the loop a moment later, which
    would print a traceback if `asyncio.run` had closed the loop by then.
    """
    loop = asyncio.new_event_loop()
    result = loop.run_until_complete(work)
    loop.close()
    return result


def _in_thread(target: Callable[..., None], *args: Any) -> None:
    """Run `target` in a daemon thread: it must never keep a stopping process alive."""
    threading.Thread(target=target, args=args, daemon=True).start()


def _stop_server_when_signalled(everyone_serving: Future[WorkerManager]) -> None:
    """The main process's first SIGINT or SIGTERM stops the server, once every worker serves.

    The manager is told through its monitor pipe, which it reads only once it has seen
    every worker start. Later signals are left blocked, unanswered: the stop is under way.
    """
    received = signal.Signals(signal.sigwait(STOP_SIGNALS))
    when = "now" if everyone_serving.done() else "once every worker serves"
    logger.info("Received %s: stopping %s", received.name, when)
    everyone_serving.result().monitor_publisher.send(MANAGER_TERMINATE)


def _announce_ready(
    app: Sanic[Any, Any],
    settings: Settings,
    listening: socket,
    serving: Semaphore,
    everyone_serving: Future[WorkerManager],
) -> None:
    """Log the one "Ready" line, naming the API's URL and its docs page's, once every
    worker serves, and let a stop proceed."""
    for _ in range(settings.workers):
        serving.acquire()
    url = f"http://{settings.host}:{listening.getsockname()[1]}"
    docs = f"; API docs at {url}/docs" if settings.docs else ""
    logger.info("Ready: serving on %s with %d worker(s)%s", url, settings.workers, docs)
    everyone_serving.set_result(app.manager)


def _built(
    settings: Settings, setup: AppSetup | None, *, blacklist_warning: bool = False
) -> Sanic[Any, Any]:
    """`create_app(settings=settings)`, then `setup` applied to it; the in-memory blacklist's
    warning is shown only if `blacklist_warning` (once a server, by its main process)."""
    with warnings.catch_warnings():
        if not blacklist_warning:
            warnings.filterwarnings("ignore", message=IN_MEMORY_BLACKLIST_WARNING)
        app = create_app(settings=settings)
    if setup is not None:
        setup(app)
    return app


def _worker_app(settings: Settings, setup: AppSetup | None, serving: Semaphore) -> Sanic[Any, Any]:
    """A worker's app, plus what only a real server needs; built in each worker process.

    The worker blocks SIGINT and SIGTERM before any thread exists (a thread that did not
    block them would receive them), and a thread of its own stops it once it serves.
    """
    signal.pthread_sigmask(signal.SIG_BLOCK, STOP_SIGNALS)
    configure_logging(settings.log_format)
    app = _built(settings, setup)
    started: Future[AbstractEventLoop] = Future()
    _in_thread(_stop_worker_when_signalled, app, started)
    app.after_server_start(partial(_report_serving, started=started, serving=serving))
    _close_connections_once_stopping(app)
    return app


def _stop_worker_when_signalled(app: Sanic[Any, Any], started: Future[AbstractEventLoop]) -> None:
    """Stop this worker on its first SIGINT or SIGTERM, once it serves (never before)."""
    signal.sigwait(STOP_SIGNALS)
    started.result().call_soon_threadsafe(partial(app.stop, terminate=False))


async def _report_serving(
    app: Sanic[Any, Any],
    loop: AbstractEventLoop,
    *,
    started: Future[AbstractEventLoop],
    serving: Semaphore,
) -> None:
    """Report, from the event loop, the moment this worker's start-up is over.

    That is not the end of the `after_server_start` listeners: Sanic runs them, marks the
    app running, then runs the loop until it is stopped. Only from then on can the loop be
    stopped cleanly, so a callback checks at each turn of the loop until it is.
    """

    def check() -> None:
        if not app.state.is_running:
            loop.call_soon(check)
            return
        started.set_result(loop)
        serving.release()

    loop.call_soon(check)


def _close_connections_once_stopping(app: Sanic[Any, Any]) -> None:
    """Answer with `Connection: close` once the server has begun to stop.

    On stopping, Sanic closes the connections that are idle and waits for the others. A
    keep-alive connection whose request was in flight would otherwise stay open, idle,
    after its response, and Sanic would wait for it until the graceful-shutdown timeout
    and then fail to exit. With KEEP_ALIVE off, Sanic closes a connection after the
    response of each request that arrives from then on, and the service's request class
    (app.web.request) after the response of each request already in flight.
    """

    async def stop_keeping_alive(app: Sanic[Any, Any]) -> None:
        app.config.KEEP_ALIVE = False

    app.before_server_stop(stop_keeping_alive)


def _migrate(settings: Settings) -> int:
    """Name the database, then print each migration as it is applied (a failure still
    leaves the lines of those before it)."""
    _print(f"Migrating {shown(settings.database_url)}")
    try:
        _on_database(migrate(settings.database_url, _print))
    except DATABASE_ERRORS as error:
        return _fail(_database_problem(error))
    return 0


def _create_admin(settings: Settings, name: str) -> int:
    try:
        credentials = Credentials(username=name, password=_read_password())
    except ValidationError as error:
        return _fail(one_line(error))
    except ValueError as error:
        return _fail(str(error))
    try:
        created = _on_database(create_admin(settings, credentials))
    except DATABASE_ERRORS as error:
        return _fail(_database_problem(error))
    except BlacklistUnavailableError as error:
        return _fail(f"blacklist: {error}")
    except KEY_ERRORS as error:
        return _fail(f"keys: {error}")
    except AccountChanged as error:  # created or deleted meanwhile
        return _fail(str(error))
    print(f"{'Created' if created else 'Promoted'} admin {name!r}.")
    return 0


def _generate_key(algorithm: GeneratedAlgorithm, out: Path) -> int:
    try:
        kid = generate_key(algorithm, out)
    except FileExistsError:
        return _fail(f"keys: {out} exists; it is never overwritten (choose another path)")
    except OSError as error:
        return _fail(f"keys: cannot write {out}: {error.strerror}")
    print(f"Wrote a new {algorithm} private key to {out} (mode 0600); its kid: {kid}")
    return 0


def _list_keys(settings: Settings) -> int:
    """The ring the server would use: with the development secret where it would sign."""
    try:
        ring = key_ring(_signing_settings(settings))
    except (KeyFileError, OSError, ValueError) as error:
        return _fail(f"keys: {error}")
    width = max(len(key.kid) for key, _ in ring)
    for key, source in ring:
        use = "signing" if key.signing else "verify"
        print(f"{key.kid:<{width}}  {','.join(key.algorithms):<6}  {use:<7}  {source}")
    return 0


def _database_problem(error: Exception) -> str:
    """The failure's line: a schema that is not current says what to run, a failed
    migration names itself, as they are."""
    return str(error) if isinstance(error, SCHEMA_ERRORS) else f"database: {error}"


def _reason(error: OSError) -> str:
    """An OSError's words without its number: `Address already in use`."""
    return error.strerror or str(error)


def _print(line: str) -> None:
    """A line on stdout at once: another program reading it sees each as it happens."""
    print(line, flush=True)


def _read_password() -> str:
    """One line of stdin when piped; otherwise a prompt, twice, without echo."""
    if not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\r\n")
    password = getpass.getpass("Password: ")
    if getpass.getpass("Repeat password: ") != password:
        raise ValueError("the passwords do not match")
    return password


def _fail(reason: str) -> int:
    command_log.error(_single_line(reason))
    return 1


def _warn(message: str) -> None:
    command_log.warning(message)


def _single_line(text: str) -> str:
    """`text` with every run of whitespace, newlines included, as one space."""
    return " ".join(text.split())


if __name__ == "__main__":
    sys.exit(main())
