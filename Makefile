# Everything sets itself up: a virtual environment in .venv with the pinned packages.
# Python 3.12 is Cloud Functions' production runtime (python312): the environment is built
# with it when a working `python3.12` is on PATH or installed by pyenv, else with `python3`
# after a warning. PYTHON=... overrides.
PYTHON312 := $(shell for p in python3.12 $$(pyenv root 2>/dev/null)/versions/3.12*/bin/python3.12; do \
  "$$p" -c 'import sys; print(sys.executable)' 2>/dev/null && break; done)
PYTHON ?= $(if $(PYTHON312),$(PYTHON312),python3)
VENV := .venv
BIN := $(VENV)/bin
ROLE ?= admin
COMPANY ?= c1
WORKER ?=
EMAIL ?=
JOB ?=
ALL ?=
KEEP ?=
# KEEP=1 / ALL=1 (also true or yes) switch those on; empty or 0 leaves them off.
yes = $(filter 1 true yes,$(1))

.PHONY: setup test lint run token connect cron clean mutants bench fuzz soak demo

$(BIN)/.installed: requirements.txt requirements-dev.txt
	@if [ -z "$(PYTHON312)" ] && [ "$(origin PYTHON)" = "file" ]; then \
	  echo "WARNING: no working python3.12 (Cloud Functions' production runtime) on PATH;" \
	    "building $(VENV) with $$($(PYTHON) --version 2>&1) instead (PYTHON=... picks one)." >&2; \
	fi
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	touch $@

# The console's browser tests (tests/console) drive Debian's Chromium through Playwright, which
# never downloads a browser of its own. Installed here when missing (as root, or with sudo);
# where that is impossible setup goes on and says so, and those tests fail saying the same.
CHROMIUM := /usr/bin/chromium

setup: $(BIN)/.installed $(CHROMIUM)

$(CHROMIUM):
	@if ! command -v apt-get >/dev/null 2>&1; then \
	  echo "WARNING: no apt-get here: install Chromium at $@ yourself for the browser tests" \
	    "(tests/console)." >&2; \
	else \
	  if [ "$$(id -u)" = 0 ]; then sudo=; \
	  elif command -v sudo >/dev/null 2>&1; then sudo=sudo; \
	  else echo "WARNING: not root and no sudo: run 'apt-get install -y chromium' as root for" \
	    "the browser tests (tests/console)." >&2; exit 0; fi; \
	  echo "Installing Debian's Chromium for the browser tests (tests/console)"; \
	  apt="$$sudo env DEBIAN_FRONTEND=noninteractive apt-get"; \
	  $$apt install -y chromium || { $$apt update && $$apt install -y chromium; } || \
	  echo "WARNING: could not install Chromium (apt-get install -y chromium); the browser" \
	    "tests (tests/console) will fail until it is there." >&2; \
	fi

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports --no-cache --no-logo

test: lint
	$(BIN)/pytest

# make run KEEP=1 keeps the local state in .local-state/ across restarts.
run: setup
	$(BIN)/python -m dev.stack $(if $(call yes,$(KEEP)),--keep)

# The whole product in one command: starts the stack as `make run` does, plays one company's
# week through the HTTP API and the Google stand-in (five workers connect, bookings go out,
# changes come back from Google), prints what happened and how long it took, ends with the
# console's address and leaves the stack up for exploring until Ctrl-C.
demo: setup
	$(BIN)/python -m dev.demo

token: setup
	@APP_MODE=local $(BIN)/python -m dev.tokens --role $(ROLE) --company $(COMPANY) $(if $(WORKER),--worker $(WORKER))

# Connects a worker through the Google stand-in's consent screen, against a running `make run`.
connect: setup
	@test -n "$(WORKER)" -a -n "$(EMAIL)" || { echo "usage: make connect WORKER=w1 EMAIL=ada@example.com [COMPANY=c1]" >&2; exit 2; }
	@APP_MODE=local $(BIN)/python -m dev.connect --worker '$(WORKER)' --email '$(EMAIL)' --company '$(COMPANY)'

# Fires one Cloud Scheduler job now against a running `make run`; ALL=1 sends {"all": true}.
cron: setup
	@test -n "$(JOB)" || { echo "usage: make cron JOB=sweep|poll|renew-channels|reconcile [ALL=1]" >&2; exit 2; }
	@APP_MODE=local $(BIN)/python -m dev.cron '$(JOB)' $(if $(call yes,$(ALL)),--all)

# Benchmarks against a local stack of their own (python -m bench; its --help lists the steps):
# bench/results.json and PNG charts in bench/charts/. QUICK=1: tiny sizes, 0 ms only (about a
# minute); BENCH_ARGS passes more, e.g. BENCH_ARGS='--load-seconds 30'.
QUICK ?=
BENCH_ARGS ?=
bench: setup
	$(BIN)/python -m bench $(if $(call yes,$(QUICK)),--quick) $(BENCH_ARGS)

# Property-based fuzzing of the local stack from openapi.yaml, longer than `make test`'s: FUZZ_EXAMPLES
# generated requests per operation plus schemathesis' boundary cases, from FUZZ_SEED (fixed by
# default, so a run is reproducible). Slow, not part of `make test`.
FUZZ_EXAMPLES ?= 500
fuzz: setup
	FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) FUZZ_COVERAGE=1 $(BIN)/pytest tests/contract/test_fuzz.py --timeout=0

# The convergence suite (tests/convergence) for longer than `make test`'s minute: SOAK_EXAMPLES
# random interleavings of up to SOAK_STEPS operations each, from SOAK_SEED (random if empty;
# a failure shows the seed and its operations, shrunk). Slow, not part of `make test`.
SOAK_EXAMPLES ?= 300
SOAK_STEPS ?= 30
SOAK_SEED ?=
soak: setup
	SOAK_EXAMPLES=$(SOAK_EXAMPLES) SOAK_STEPS=$(SOAK_STEPS) SOAK_SEED=$(SOAK_SEED) \
	  $(BIN)/pytest tests/convergence/test_convergence.py --timeout=0

# Mutation testing of the security-critical modules ([tool.mutmut] in pyproject.toml); slow,
# not part of `make test`. A subset: make mutants MUTANTS='shared.signing* shared.ids*'
mutants: setup
	$(BIN)/mutmut run $(MUTANTS)
	$(BIN)/mutmut results

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache emulators/firestore_fallback/node_modules
