# Everything sets itself up: a virtual environment in .venv with the pinned packages.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
ROLE ?= admin
COMPANY ?= c1
WORKER ?=

.PHONY: setup test lint run token clean mutants

$(BIN)/.installed: requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	touch $@

setup: $(BIN)/.installed

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

test: lint
	$(BIN)/pytest

run: setup
	$(BIN)/python -m dev.stack

token: setup
	@APP_MODE=local $(BIN)/python -m dev.tokens --role $(ROLE) --company $(COMPANY) $(if $(WORKER),--worker $(WORKER))

# Mutation testing of the security-critical modules ([tool.mutmut] in pyproject.toml); slow,
# not part of `make test`. A subset: make mutants MUTANTS='shared.signing* shared.ids*'
mutants: setup
	$(BIN)/mutmut run $(MUTANTS)
	$(BIN)/mutmut results

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache emulators/firestore_fallback/node_modules
