# Stayout: set-up and everyday commands. Every target installs what it needs first.
PYTHON ?= python3.11
VENV   ?= .venv
BIN    := $(VENV)/bin
UV_VERSION := 0.13.9
STAMP  := $(VENV)/.installed

export BENTOML_DO_NOT_TRACK := true
export MLFLOW_DISABLE_TELEMETRY := true
export DO_NOT_TRACK := true

DEMO_DIR ?= .stayout/demo-county
DEMO_HOUSEHOLDS ?= 50000
DEMO_MONTHS ?= 60
DEMO_AS_OF ?= 2026-01-01
DEMO_SCORES ?= .stayout/demo-scores

.PHONY: install browser demo test test-fast bench docs clean

install: $(STAMP)

$(STAMP): requirements.lock pyproject.toml
	tools/install-java
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check "uv==$(UV_VERSION)"
	$(BIN)/uv pip sync --quiet --compile-bytecode --python $(BIN)/python requirements.lock
	$(BIN)/uv pip install --quiet --python $(BIN)/python --no-deps -e .
	touch $(STAMP)

browser:
	tools/install-browser

demo: $(STAMP)
	$(BIN)/stayout simulate --out $(DEMO_DIR) --households $(DEMO_HOUSEHOLDS) --counties 3 \
		--start 2021-01 --months $(DEMO_MONTHS) --seed 7 --dirty-rate 0.002
	$(BIN)/stayout validate $(DEMO_DIR)
	$(BIN)/stayout train $(DEMO_DIR) --config configs/default.yaml
	$(BIN)/stayout models
	@echo "The 20 highest scores of the cohort at the data's end, with reasons and measures:"
	$(BIN)/stayout explain $(DEMO_DIR) --as-of $(DEMO_AS_OF) --top 20
	@echo "How far can any model see? Lists ranked by the generator's hidden truth (no product code reads it):"
	$(BIN)/python -m synthetic.ceiling $(DEMO_DIR) --config configs/default.yaml
	$(BIN)/stayout score $(DEMO_DIR) --as-of $(DEMO_AS_OF) --out $(DEMO_SCORES) --force

test: $(STAMP) browser
	$(BIN)/python -m pytest -n 2 --dist loadfile --no-loadscope-reorder

test-fast: $(STAMP)
	$(BIN)/python -m pytest -m "not slow"

bench: $(STAMP)
	$(BIN)/python -m benchmarks

docs: $(STAMP)
	$(BIN)/stayout docs --out docs

clean:
	rm -rf $(VENV) .stayout .pytest_cache
