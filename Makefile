# The two commands a fresh clone needs: `make run` and `make test` (`make bench` measures).
# Each creates the virtualenv and installs the project first when pyproject.toml changed.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

# The test suite runs once more against these servers; a test whose server is missing
# skips, except under CI=true, where it fails. On PostgreSQL it creates a database of its
# own (stores_test_<pid>_<random>) and drops it at the end; Redis database 15 is emptied.
export APP_TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/postgres
export APP_TEST_REDIS_URL ?= redis://127.0.0.1:6379/15

.PHONY: run test lint format bench migration

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test,bench]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/python server.py

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

# Fixes what ruff can fix, then formats: what `lint` checks, applied to the tree.
format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# With coverage of app/, sanic_jwt_extended/ and server.py, and its floor ([tool.coverage]).
test: lint
	$(BIN)/pytest --cov --cov-report=term-missing:skip-covered

# The benchmark kit; pass its options in BENCH_ARGS, e.g. BENCH_ARGS='--only hello,me'.
bench: $(STAMP)
	$(BIN)/python -m bench $(BENCH_ARGS)

# A new migration from the models' changes: `make migration NAME=add_sessions` (README, Migrations).
migration: $(STAMP)
	$(BIN)/tortoise makemigrations --name $(NAME)
	$(BIN)/ruff format --quiet app/db/migrations
	$(BIN)/ruff check --quiet --fix app/db/migrations
