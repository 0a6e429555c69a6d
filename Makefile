# The two commands a newcomer needs: `make run` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
DEV_STAMP := $(VENV)/.installed-dev

# Where `make run` listens: `make run PORT=8080 HOST=0.0.0.0`, or GUARD_PORT / GUARD_HOST in the
# environment. A stray HOST or PORT in the environment (zsh sets HOST) is not taken for either.
LISTEN_HOST := $(if $(filter command line,$(origin HOST)),$(HOST),$(or $(GUARD_HOST),127.0.0.1))
LISTEN_PORT := $(if $(filter command line,$(origin PORT)),$(PORT),$(or $(GUARD_PORT),8000))

.PHONY: run test install dev bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(DEV_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@ $(STAMP)

install: $(STAMP)
dev: $(DEV_STAMP)

run: $(STAMP)
	$(BIN)/guard serve --host $(LISTEN_HOST) --port $(LISTEN_PORT)

test: $(DEV_STAMP)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

bench: $(DEV_STAMP)
	$(BIN)/python -m pip install --quiet -r bench/requirements.txt
	$(BIN)/python -m bench all

clean:
	rm -rf $(VENV) guard.db .pytest_cache
