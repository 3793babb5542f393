# Two commands matter: `make run` (serve the shipped model) and `make test` (set up and run the tests).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
SERVE_STAMP := $(VENV)/.installed-serve
DEV_STAMP := $(VENV)/.installed-dev

.PHONY: run test lint format train train-quick finetune bench bench-quick soak audit lock clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(SERVE_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[serve]'
	touch $@

$(DEV_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[serve,train,dev,ray]'
	touch $@ $(SERVE_STAMP)

run: $(SERVE_STAMP)
	$(BIN)/checkocr serve

test: $(DEV_STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/pytest

lint: $(DEV_STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(DEV_STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

train: $(DEV_STAMP)
	$(BIN)/checkocr train

train-quick: $(DEV_STAMP)
	$(BIN)/checkocr train --quick

finetune: $(DEV_STAMP)
	$(BIN)/checkocr finetune --base onnx_models/digits-mnist.onnx --out runs/finetune

bench: $(DEV_STAMP)
	$(BIN)/python -m bench

bench-quick: $(DEV_STAMP)
	$(BIN)/python -m bench --quick

# About 2 minutes of mixed good and bad reads at concurrency 32 on loopback (bench/soak.py).
soak: $(DEV_STAMP)
	$(BIN)/python -m bench.soak --duration 120 --concurrency 32

# Known vulnerabilities in the locked serving install; needs the network (PyPI's vulnerability API),
# so it is its own target and not part of `make test` (docs/security.md).
audit: $(DEV_STAMP)
	$(BIN)/pip-audit --strict --disable-pip --no-deps -r requirements/serve.lock

# Re-lock the serving install: resolve '.[serve]' in a throwaway venv and freeze it.
lock:
	rm -rf /tmp/checkocr-lock-venv && $(PYTHON) -m venv /tmp/checkocr-lock-venv
	/tmp/checkocr-lock-venv/bin/pip install --quiet '.[serve]'
	/tmp/checkocr-lock-venv/bin/pip freeze --exclude checkocr > requirements/serve.lock
	rm -rf /tmp/checkocr-lock-venv

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache runs/quick
