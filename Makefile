# Every target creates and uses .venv/ at the repository root.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PIP := $(BIN)/python -m pip --disable-pip-version-check -q

.PHONY: venv test lint demo bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(PIP) install --upgrade pip
	$(PIP) install torch==2.13.0
	$(PIP) install -e '.[test,lint,lora,datahub]'
	touch $(STAMP)

venv: $(STAMP)

lint: $(STAMP)
	$(BIN)/ruff check src tests example_dags benchmarks scripts
	$(BIN)/ruff format --check src tests example_dags benchmarks scripts
	$(BIN)/mypy src

test: $(STAMP)
	$(BIN)/pytest -q

# The baselines (pypdf, Hugging Face datasets) live in the [bench] extra: only benchmarks need them.
bench: $(STAMP)
	$(PIP) install -e '.[bench]'
	$(BIN)/python benchmarks/run.py

demo: $(STAMP)
	$(BIN)/python scripts/demo.py

clean:
	rm -rf $(VENV) .airflow-demo .demo-output
