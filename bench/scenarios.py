"""What the kit measures: which server each scenario loads, with which wrk script."""

from dataclasses import dataclass
from enum import StrEnum

# wrk's connections per load, as in the measurements.
CONNECTIONS = 64


class Server(StrEnum):
    """The servers of a run; only those its scenarios need are started."""

    # Ours, with SQLite, 10,000 items, the in-memory blacklist and a cheap password hash.
    SQLITE = "sqlite"
    # Ours exactly as SQLITE (a database of its own, seeded alike), its access log off.
    QUIET = "quiet"
    # Ours with the Redis blacklist.
    REDIS = "redis"
    # Ours signing with an ES256 private key made for the run, SQLite, no items.
    ES256 = "es256"
    # Ours with PostgreSQL and 10,000 items.
    POSTGRES = "postgres"
    # Ours with the real argon2 cost of settings.toml: logins cost what they will.
    LOGIN = "login"
    # The peers of bench/peers.
    FASTAPI = "fastapi"
    FLASK = "flask"
    # Bare Sanic on SQLITE's database, and on POSTGRES's.
    SANIC = "sanic"
    SANIC_PG = "sanic-pg"


PEERS = (Server.FASTAPI, Server.FLASK, Server.SANIC, Server.SANIC_PG)

# The peers that serve the database of one of ours, so that both read the same rows.
SHARED_DATABASES = {Server.SANIC: Server.SQLITE, Server.SANIC_PG: Server.POSTGRES}


def database_of(server: Server) -> Server:
    """The server whose database `server` uses: its own, or the one it shares."""
    return SHARED_DATABASES.get(server, server)


@dataclass(frozen=True)
class Load:
    """One wrk process: its script (in bench/wrk), the server and path it loads."""

    name: str
    server: Server
    script: str
    path: str
    token: bool = False
    connections: int = CONNECTIONS
    # Only for a load that is not the scenario's own measurement; else the scenario's.
    description: str = ""


@dataclass(frozen=True)
class Scenario:
    """What one measurement slot of a round runs: its loads, all at once."""

    name: str
    description: str
    loads: tuple[Load, ...]


def _single(
    name: str, description: str, server: Server, script: str, path: str, *, token: bool = False
) -> Scenario:
    return Scenario(name, description, (Load(name, server, script, path, token=token),))


# The order of a round: each of ours next to its peer, so that drift between scenarios
# barely enters their ratio. The two scenarios with real password hashing come last, so
# that no hash still running after their end can slow a scenario of the same round.
SCENARIOS: tuple[Scenario, ...] = (
    _single("hello", "bench-only bare route, no auth", Server.SQLITE, "get.lua", "/bench/hello"),
    _single("sanic-hello", "bare Sanic, GET /hello", Server.SANIC, "get.lua", "/hello"),
    _single("me", "GET /me, one token", Server.SQLITE, "get.lua", "/me", token=True),
    _single("me-quiet", "GET /me, access log off", Server.QUIET, "get.lua", "/me", token=True),
    _single(
        "sanic-jwt",
        "bare Sanic + a PyJWT decorator",
        Server.SANIC,
        "get.lua",
        "/protected",
        token=True,
    ),
    _single("me-redis", "GET /me, Redis blacklist", Server.REDIS, "get.lua", "/me", token=True),
    _single("me-es256", "GET /me, ES256-signed token", Server.ES256, "get.lua", "/me", token=True),
    _single("me-many", "GET /me, 10,000 tokens in turn", Server.SQLITE, "rotate.lua", "/me"),
    _single(
        "item-noauth",
        "bench-only GET /items/{id}, no auth",
        Server.SQLITE,
        "items.lua",
        "/bench/items/",
    ),
    _single(
        "item", "GET /items/{random id}, SQLite", Server.SQLITE, "items.lua", "/items/", token=True
    ),
    _single("sanic-item", "bare Sanic + tortoise, SQLite", Server.SANIC, "items.lua", "/items/"),
    _single(
        "sanic-item-jwt",
        "the same behind the PyJWT decorator",
        Server.SANIC,
        "items.lua",
        "/protected-items/",
        token=True,
    ),
    _single(
        "item-pg",
        "GET /items/{random id}, PostgreSQL",
        Server.POSTGRES,
        "items.lua",
        "/items/",
        token=True,
    ),
    _single(
        "sanic-item-pg",
        "bare Sanic + tortoise, PostgreSQL",
        Server.SANIC_PG,
        "items.lua",
        "/items/",
    ),
    _single("stores", "GET /stores, no auth", Server.SQLITE, "get.lua", "/stores"),
    _single("fastapi-hello", "FastAPI + uvicorn, bare", Server.FASTAPI, "get.lua", "/hello"),
    _single(
        "fastapi-protected",
        "FastAPI + PyJWT, bearer token",
        Server.FASTAPI,
        "get.lua",
        "/protected",
        token=True,
    ),
    _single("flask-hello", "Flask + gunicorn gthread, bare", Server.FLASK, "get.lua", "/hello"),
    _single(
        "flask-protected",
        "Flask + flask-jwt-extended",
        Server.FLASK,
        "get.lua",
        "/protected",
        token=True,
    ),
    _single("login", "POST /login, real argon2 cost", Server.LOGIN, "login.lua", "/login"),
    Scenario(
        "me-storm",
        "GET /me while 16 clients log in",
        (
            Load("me-storm", Server.LOGIN, "get.lua", "/me", token=True),
            Load(
                "login-storm",
                Server.LOGIN,
                "login.lua",
                "/login",
                connections=16,
                description="POST /login, 16 clients, during me-storm",
            ),
        ),
    ),
)


def select(names: str | None) -> tuple[Scenario, ...]:
    """The scenarios named in a comma-separated list (all when None), in round order."""
    if names is None:
        return SCENARIOS
    wanted = {name.strip() for name in names.split(",") if name.strip()}
    unknown = wanted - {scenario.name for scenario in SCENARIOS}
    if unknown:
        known = ", ".join(scenario.name for scenario in SCENARIOS)
        raise ValueError(f"unknown scenario(s) {', '.join(sorted(unknown))}; known: {known}")
    return tuple(scenario for scenario in SCENARIOS if scenario.name in wanted)


def servers_of(scenarios: tuple[Scenario, ...]) -> list[Server]:
    """The servers those scenarios load, each once, in the order of `Server`."""
    used = {load.server for scenario in scenarios for load in scenario.loads}
    return [server for server in Server if server in used]
