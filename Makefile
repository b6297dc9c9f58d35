# The two commands a fresh clone needs: `make run` and `make test` (`make bench` measures).
# Each creates the virtualenv and installs what it needs first, again when pyproject.toml
# changed: `make run` the service's runtime dependencies only, `make test` the test,
# docs-browser and bench extras too (the suite tests the kit), `make bench` the bench extra.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# One stamp per set of extras. An install of extras installs the runtime too, so it marks
# the smaller sets done: `make run` after `make test` installs nothing.
RUN_STAMP := $(VENV)/.installed-run
TEST_STAMP := $(VENV)/.installed-test
BENCH_STAMP := $(VENV)/.installed-bench
# A comma inside $(call ...)'s arguments.
comma := ,

# The test suite runs once more against these servers; a test whose server is missing
# skips, except under CI=true, where it fails. On PostgreSQL it creates databases of its
# own, named APP_TEST_DATABASE_PREFIX<pid>_<random>, and drops them at the end; it never
# touches another database. It empties the Redis database of APP_TEST_REDIS_URL (which
# must name one) before and after each test that uses it: point it at a database nothing
# else uses. Set any of them on the command line: `make test APP_TEST_REDIS_URL=...`.
export APP_TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/postgres
export APP_TEST_DATABASE_PREFIX ?= stores_test_
export APP_TEST_REDIS_URL ?= redis://127.0.0.1:6379/15

.PHONY: run test lint format bench migration

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# The extension's own distribution, which the service depends on by this path (pip takes
# the name pyproject.toml lists from the path given in the same command).
EXTENSION := packages/sanic-jwt-extended

# $(call install,EXTRAS,WHAT): say what is installed (pip itself stays quiet), install it.
define install
@echo "Installing $(2) into $(VENV) (quietly; a first install takes a while)"
$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '$(EXTENSION)' -e '.$(1)'
endef

$(RUN_STAMP): pyproject.toml $(EXTENSION)/pyproject.toml | $(BIN)/python
	$(call install,,the service's runtime dependencies)
	touch $@

$(TEST_STAMP): pyproject.toml $(EXTENSION)/pyproject.toml | $(BIN)/python
	$(call install,[test$(comma)docs-browser$(comma)bench],the service with its test$(comma) docs-browser and bench tools)
	touch $@ $(RUN_STAMP) $(BENCH_STAMP)

$(BENCH_STAMP): pyproject.toml $(EXTENSION)/pyproject.toml | $(BIN)/python
	$(call install,[bench],the service with the benchmark kit's tools)
	touch $@ $(RUN_STAMP)

run: $(RUN_STAMP)
	$(BIN)/python server.py

lint: $(TEST_STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

# Fixes what ruff can fix, then formats: what `lint` checks, applied to the tree.
format: $(TEST_STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# With coverage of app/, sanic_jwt_extended/ and server.py, and its floor ([tool.coverage]).
test: lint
	$(BIN)/pytest --cov --cov-report=term-missing:skip-covered

# The benchmark kit; pass its options in BENCH_ARGS, e.g. BENCH_ARGS='--only hello,me'.
# It makes a PostgreSQL database of its own (bench_<pid>, dropped at the end) on the
# server of --postgres, empties the Redis database of --redis (default
# redis://127.0.0.1:6379/14) before and after, and writes its results to data/bench/
# (ignored by git) unless --output names another folder.
bench: $(BENCH_STAMP)
	$(BIN)/python -m bench $(BENCH_ARGS)

# A new migration from the models' changes: `make migration NAME=add_sessions` (README, Migrations).
migration: $(TEST_STAMP)
	$(BIN)/tortoise makemigrations --name $(NAME)
	$(BIN)/ruff format --quiet app/db/migrations
	$(BIN)/ruff check --quiet --fix app/db/migrations
