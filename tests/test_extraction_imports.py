"""What parsing a DAG and starting a reader import: no reader library at DAG parse time (each
reader imports its library on first use), and a reader process only its corpus's readers.

Each check runs in a fresh interpreter, since this test process has imported everything.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
#: The libraries behind the format readers that nothing else at DAG parse time imports
#: (PyYAML and charset-normalizer, which the text readers use, Airflow imports itself).
READER_LIBRARIES = ("pypdfium2", "selectolax", "docx", "lxml")

MODULES = """
import importlib.util, json, sys
spec = importlib.util.spec_from_file_location("dag", sys.argv[1])
module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)
print(json.dumps(sorted({name.split(".")[0] for name in sys.modules})))
"""

LOADED = """
import json, sys
from llm_lineage.extraction.readers import load_readers
import llm_lineage.extraction.worker
load_readers(sys.argv[1:])
print(json.dumps(sorted({name.split(".")[0] for name in sys.modules})))
"""


def _modules(code: str, *args: str) -> set[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    done = subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, env=env, check=True
    )
    return set(json.loads(done.stdout.strip().splitlines()[-1]))


@pytest.mark.parametrize(
    "dag", ["llm_lineage_extraction.py", "llm_lineage_pipeline.py", "llm_lineage_taskflow.py"]
)
def test_parsing_an_example_dag_imports_no_reader_library(dag: str) -> None:
    modules = _modules(MODULES, str(ROOT / "example_dags" / dag))
    assert "llm_lineage" in modules and "airflow" in modules
    assert modules.isdisjoint(READER_LIBRARIES), modules & set(READER_LIBRARIES)


def test_a_reader_process_imports_only_the_readers_of_its_formats() -> None:
    html = _modules(LOADED, "html")
    assert "selectolax" in html
    assert html.isdisjoint({"pypdfium2", "docx", "lxml", "pyarrow", "pydantic"})
    pdf = _modules(LOADED, "pdf", "markdown")
    assert {"pypdfium2", "yaml"} <= pdf
    assert pdf.isdisjoint({"selectolax", "docx", "pyarrow"})


def test_each_reader_declares_its_parameters_and_lineage_records_them() -> None:
    from llm_lineage.extraction.readers import READERS, reader_for
    from llm_lineage.extraction.readers.html import INVISIBLE_TAGS
    from llm_lineage.extraction.readers.pdf import PAGE_SEPARATOR

    assert READERS["html"].parameters["removed"] == INVISIBLE_TAGS
    assert READERS["pdf"].parameters["page_separator"] == PAGE_SEPARATOR
    for name, reader in READERS.items():
        assert reader_for(name) is reader
        assert reader.parameters, name
        assert callable(reader.read)
