# Two commands do all the set-up on a fresh machine: `make run` and `make test`.
# Everything lands in .venv (created with the machine's python3, then uv from PyPI syncs uv.lock into it).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
UV_VERSION := 0.13.9
TORCH_VERSION := 2.13.0
export UV_PYTHON_DOWNLOADS := never
export UV_PROJECT_ENVIRONMENT := $(VENV)
STAMP := $(VENV)/.synced
PYPROJECTS := pyproject.toml $(wildcard libs/*/pyproject.toml services/*/pyproject.toml sim/pyproject.toml)
PY_SOURCES := libs services sim tests benchmarks training
TYPED_CORES := libs/contracts/src libs/runtime/src libs/aws/src libs/cli/src sim/src services/collector/src services/inference/src services/gates/src services/router/src services/drainer/src

.PHONY: setup run test lint typecheck unit bench docs lock clean help train torch

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

$(BIN)/uv:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check "uv==$(UV_VERSION)"

$(STAMP): $(BIN)/uv uv.lock $(PYPROJECTS)
	$(BIN)/uv sync --frozen --all-packages --python $(BIN)/python
	@touch $@

setup: $(STAMP) ## create .venv and install the locked workspace

lock: $(BIN)/uv ## re-resolve uv.lock after a dependency change
	$(BIN)/uv lock

run: setup ## start the local stack (NATS and what is built so far)
	$(BIN)/spotvortex up

lint: setup ## ruff
	$(BIN)/ruff check $(PY_SOURCES)
	$(BIN)/ruff format --check $(PY_SOURCES)

typecheck: setup ## mypy, strict on every library, service and the simulator
	$(BIN)/mypy $(TYPED_CORES)

unit: setup ## the test suite only
	$(BIN)/pytest

test: lint typecheck unit ## everything CI runs

bench: setup ## benchmarks (write JSON to benchmarks/results/)
	$(BIN)/python benchmarks/sim_month.py --seeds 11 12 13
	$(BIN)/python benchmarks/eval_month.py --policies spot-first,on-demand,oracle,static-0.5,spotvortex --name eval_month_oracle
	$(BIN)/python benchmarks/eval_month.py

torch: setup ## install torch (CPU) into .venv, for training only; no service imports it
	$(BIN)/python -c "import torch" 2>/dev/null || $(BIN)/python -m pip install --quiet --disable-pip-version-check "torch==$(TORCH_VERSION)"

train: torch ## retrain the shipped models from the data (models/, docs/models.md)
	$(BIN)/python -m training.build

docs: setup ## regenerate generated docs (docs/events.md)
	$(BIN)/spotvortex docs events --write

clean: ## remove the virtual environment and caches
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
