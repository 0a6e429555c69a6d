# The two commands a newcomer needs: `make run` and `make test`.
#
# Everything installs from uv.lock (exact versions, hashed) with uv, which comes from PyPI
# into .tools/ on first use. After changing dependencies in pyproject.toml: `make lock`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
TOOLS  := .tools
UV_VERSION := 0.13.9
UV     := $(TOOLS)/bin/uv
STAMP  := $(VENV)/.installed
DEV_STAMP := $(VENV)/.installed-dev
# Parallel test workers (pytest-xdist): one per core.
WORKERS ?= auto

# Where `make run` listens: `make run PORT=8080 HOST=0.0.0.0`, or GUARD_PORT / GUARD_HOST in the
# environment. A stray HOST or PORT in the environment (zsh sets HOST) is not taken for either.
LISTEN_HOST := $(if $(filter command line,$(origin HOST)),$(HOST),$(or $(GUARD_HOST),127.0.0.1))
LISTEN_PORT := $(if $(filter command line,$(origin PORT)),$(PORT),$(or $(GUARD_PORT),8000))

# uv: this machine's Python, never a downloaded one; .venv as the environment; bytecode
# compiled at install (the first request of a fresh process must not compile the imports).
export UV_PYTHON_DOWNLOADS := never
export UV_PROJECT_ENVIRONMENT := $(VENV)
export UV_COMPILE_BYTECODE := 1
UV_SYNC := $(UV) sync --locked --python $(PYTHON)

.PHONY: run test test-fast lint typecheck lock install dev bench clean

$(UV):
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/python -m pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

# --inexact: `make run` adds what running needs and leaves the dev tools alone.
$(STAMP): pyproject.toml uv.lock | $(UV)
	$(UV_SYNC) --inexact
	touch $@

$(DEV_STAMP): pyproject.toml uv.lock | $(UV)
	$(UV_SYNC) --extra dev
	touch $@ $(STAMP)

install: $(STAMP)
dev: $(DEV_STAMP)

run: $(STAMP)
	$(BIN)/guard serve --host $(LISTEN_HOST) --port $(LISTEN_PORT)

# The whole suite, in parallel: each worker has its own databases, queues and ports
# (tests/support/services.py). Serially: make test WORKERS=0.
# worksteal hands each worker a contiguous half and rebalances by index. Not loadfile or
# loadscope: they key tests by node id, and schemathesis gives its 18 operation tests one
# node id, so those modes silently ran one of the 18.
test: $(DEV_STAMP)
	$(BIN)/python -m pytest -n $(WORKERS) --dist worksteal $(PYTEST_ARGS)

# The edit loop: the pure unit tests and the API tests on SQLite (no PostgreSQL, no processes).
test-fast: $(DEV_STAMP)
	$(BIN)/python -m pytest -n $(WORKERS) -m "not postgres" tests/unit tests/integration $(PYTEST_ARGS)

lint: $(DEV_STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(DEV_STAMP)
	$(BIN)/mypy

# Re-resolve uv.lock after a change to pyproject.toml (keeps every other pin as it was).
lock: | $(UV)
	$(UV) lock

bench: $(DEV_STAMP)
	$(UV) pip install --quiet --python $(BIN)/python -r bench/requirements.txt
	$(BIN)/python -m bench all

clean:
	rm -rf $(VENV) $(TOOLS) guard.db .pytest_cache .mypy_cache .ruff_cache
