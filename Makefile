# Every target creates and uses .venv/ at the repository root.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PIP := $(BIN)/python -m pip --disable-pip-version-check -q
# The index torch is installed from; empty: pip's configured index (on Linux x86_64 the public
# PyPI index serves the CUDA build). For the much smaller CPU-only build:
#   make venv TORCH_INDEX=https://download.pytorch.org/whl/cpu
TORCH_INDEX ?=
TORCH_INDEX_ARG := $(if $(TORCH_INDEX),--index-url $(TORCH_INDEX))

.PHONY: venv test lint demo bench constraints clean docs docs-check

$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(PIP) install --upgrade pip
	$(PIP) install torch==2.13.0 $(TORCH_INDEX_ARG)
	$(PIP) install -e '.[test,lint,lora,datahub,curation,embedding,compliance,docs]' -c constraints.txt
	touch $(STAMP)

venv: $(STAMP)

lint: $(STAMP)
	$(BIN)/ruff check src tests example_dags benchmarks scripts
	$(BIN)/ruff format --check src tests example_dags benchmarks scripts
	$(BIN)/mypy src

# Test modules run in parallel, each whole in one worker (its module and session fixtures once),
# one worker per core up to 4; each worker has its own AIRFLOW_HOME (tests/conftest.py).
test: $(STAMP)
	$(BIN)/pytest -q -n auto --maxprocesses 4 --dist loadfile

# The baselines (pypdf, Hugging Face datasets) live in the [bench] extra: only benchmarks need them.
# --real-pdfs: pypdf's test PDFs, fetched once from PyPI into benchmarks/.cache/ (offline: skipped).
bench: $(STAMP)
	$(PIP) install -e '.[bench]' -c constraints.txt
	$(BIN)/python benchmarks/run.py --real-pdfs

# The documentation site (mkdocs.yml, docs/): served with live reload on http://127.0.0.1:8000.
docs: $(STAMP)
	$(BIN)/mkdocs serve

# What CI runs: a strict build (broken links or anchors, pages left out of the nav, generated
# tables whose classes no longer import all fail it) into site/ (git-ignored).
docs-check: $(STAMP)
	$(BIN)/mkdocs build --strict --site-dir site

demo: $(STAMP)
	$(BIN)/python scripts/demo.py

# The pipeline, a redundant copy of its text, then `llm-lineage report usage` a month on.
.PHONY: demo-usage
demo-usage: $(STAMP)
	$(BIN)/python scripts/demo.py --scenario usage

# After a dependency change that the tests pass with: pin what .venv holds now.
constraints: $(STAMP)
	{ head -3 constraints.txt; $(BIN)/python -m pip freeze --exclude-editable | grep -v '^-e' \
		| sed 's/^torch==\([^+]*\)+.*/torch==\1/'; } > constraints.new
	mv constraints.new constraints.txt

clean:
	rm -rf $(VENV) .airflow-demo .demo-output site
