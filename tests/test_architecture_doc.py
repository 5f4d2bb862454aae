"""ARCHITECTURE.md is the newcomer's map: every file or folder it names must exist.

Paths in it are relative to ``src/llm_lineage/`` unless they start with a top-level folder of
the repository (``tests/``, ``benchmarks/``, ...), as its "Where things live" section says. A
rename that forgets the map fails here instead of sending the next reader to a missing file.
"""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "src" / "llm_lineage"
TOP_LEVEL = ("tests/", "example_dags/", "docker/", "benchmarks/", "scripts/", "src/", ".ci/")
_CODE = re.compile(r"`([^`\n]+)`")
_PATH = re.compile(r"^[\w.*/-]+/[\w.*/-]*$|^[\w-]+/[\w.-]+\.(py|json|md|html|txt|yml|toml)$")


def named_paths(text: str) -> list[str]:
    """Code spans that are repository paths: with a ``/``, no spaces, no placeholders."""
    spans = []
    for span in _CODE.findall(text):
        span = span.strip()
        if "<" in span or "://" in span or span.startswith(("/", "$", "~", "-")):
            continue
        if _PATH.match(span) and not span.startswith("llm_lineage."):
            spans.append(span)
    return spans


def candidates(span: str) -> list[Path]:
    """Where a span may point: the repository root for top-level folders; otherwise the
    package, then (as the map's rows shorten them) a subpackage of it or the schema folder."""
    if span.startswith("llm_lineage/"):
        return [ROOT / "src" / span]
    if span.startswith(TOP_LEVEL) or (ROOT / span.split("/")[0]).is_dir():
        return [ROOT / span]
    subpackages = [path for path in PACKAGE.iterdir() if path.is_dir()]
    return [PACKAGE / span, PACKAGE / "facets" / "schemas" / span] + [
        folder / span for folder in subpackages
    ]


def exists(span: str) -> bool:
    if span.count("/") == 1 and span.endswith("/"):
        return True  # a bare folder name (``pending/``, ``.demo-output/``): a layout described
    for path in candidates(span):
        if ("*" in span and any(path.parent.glob(path.name))) or path.exists():
            return True
    return False


def missing(text: str) -> list[str]:
    return sorted({span for span in named_paths(text) if not exists(span)})


def test_every_path_in_the_architecture_map_exists() -> None:
    text = (ROOT / "ARCHITECTURE.md").read_text()
    assert len(named_paths(text)) > 100  # the map names its files; the parser found them
    assert missing(text) == []


def test_the_checker_reports_a_renamed_module_and_accepts_real_ones() -> None:
    text = (
        "`hooks/lineage.py` `hooks/collector.py` `tests/test_engine.py` `tests/test_layering.py`"
        " `llm_lineage/common` `facets/schemas/<version>/` `tests/test_report_*.py` `a b/c`"
        " `readers/__init__.py` `1-0-0/LlmLineageTrainingRunFacet.json` `1-0-0/Nope.json`"
    )
    assert missing(text) == ["1-0-0/Nope.json", "hooks/lineage.py", "tests/test_engine.py"]
