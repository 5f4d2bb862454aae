# Every target creates and uses .venv/ at the repository root.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PIP := $(BIN)/python -m pip --disable-pip-version-check -q

.PHONY: venv test lint demo bench constraints clean

$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(PIP) install --upgrade pip
	$(PIP) install torch==2.13.0
	$(PIP) install -e '.[test,lint,lora,datahub,curation,embedding,compliance]' -c constraints.txt
	touch $(STAMP)

venv: $(STAMP)

lint: $(STAMP)
	$(BIN)/ruff check src tests example_dags benchmarks scripts
	$(BIN)/ruff format --check src tests example_dags benchmarks scripts
	$(BIN)/mypy src

test: $(STAMP)
	$(BIN)/pytest -q

# The baselines (pypdf, Hugging Face datasets) live in the [bench] extra: only benchmarks need them.
# --real-pdfs: pypdf's test PDFs, fetched once from PyPI into benchmarks/.cache/ (offline: skipped).
bench: $(STAMP)
	$(PIP) install -e '.[bench]' -c constraints.txt
	$(BIN)/python benchmarks/run.py --real-pdfs

demo: $(STAMP)
	$(BIN)/python scripts/demo.py

# The pipeline, a redundant copy of its text, then `llm-lineage report usage` a month on.
.PHONY: demo-usage
demo-usage: $(STAMP)
	$(BIN)/python scripts/demo.py --scenario usage

# After a dependency change that the tests pass with: pin what .venv holds now.
constraints: $(STAMP)
	{ head -3 constraints.txt; $(BIN)/python -m pip freeze --exclude-editable | grep -v '^-e'; } > constraints.new
	mv constraints.new constraints.txt

clean:
	rm -rf $(VENV) .airflow-demo .demo-output
