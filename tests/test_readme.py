"""README.md and the documentation pages tell the truth about the repository.

The pages are README.md, CONTRIBUTING.md, CHANGELOG.md and every page of the documentation site
under ``docs/``. In each, the relative links and the repository paths named in backticks or in
shell commands exist, the anchors (in the page, or in the page a link names) name headings, the
files a page includes (``--8<--``) exist, the Python examples compile and their imports resolve
(complete DAGs and ``@task`` functions also run), and no page points to a document that is not
in the repository. ``make docs-check`` builds the site strictly on top of this.
"""

from __future__ import annotations

import ast
import importlib
import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
README = REPO / "README.md"
DOCS = REPO / "docs"
#: Every page checked here: the repository's own Markdown files and the site's pages.
PAGES = sorted(
    [README, REPO / "CONTRIBUTING.md", REPO / "CHANGELOG.md", *DOCS.rglob("*.md")],
    key=lambda page: str(page.relative_to(REPO)),
)

#: Where a relative path may be found: the repository root, and ``src/`` for package paths
#: written as ``llm_lineage/...``.
SEARCH_ROOTS = (REPO, REPO / "src")
#: A backticked word without ``/`` is a file path only when it ends like one of these.
FILE_EXTENSIONS = (".py", ".md", ".yml", ".yaml", ".toml", ".json", ".cfg", ".ini", ".sql", ".sh")
FILE_NAMES = ("Makefile", "Dockerfile")
#: Folders that runs create (``make demo``, the virtual environment, the site's build, the
#: browser tests' screenshots), not repository content.
GENERATED_ROOTS = frozenset({".demo-output", ".airflow-demo", ".venv", "site", "dist"})
GENERATED_PATHS = frozenset({"tests/artifacts"})
#: Folders the pages name inside a lineage spool directory, never of this repository.
SPOOL_FOLDERS = frozenset({"pending/", "dead-letter/", "tmp/"})
#: A pymdownx.snippets include: ``--8<-- "path"`` or ``--8<-- "path:start:end"``.
_SNIPPET = re.compile(r'^--8<--[ \t]+"([^":]+)(?::[^"]*)?"[ \t]*$', re.M)
#: File names the README mentions as parts of a model, an adapter or a user's Airflow, never
#: as files of this repository.
NOT_REPOSITORY_FILES = frozenset(
    {
        "config.json",
        "tokenizer.json",
        "tokenizer_config.json",
        "adapter_config.json",
        "training_metrics.json",
        "airflow.cfg",
        "openlineage.yml",
    }
)
#: Characters that make a backticked span something other than a plain relative path: URLs and
#: schemes (``:``), placeholders (``<...>``), globs, quoted strings, templates, credentials.
NOT_A_PATH = re.compile(r"""[\s:<>*?\[\]{}$"'@=(),|\\]""")

_FENCE = re.compile(r"^```[^\n]*\n.*?^```[ \t]*$", re.S | re.M)
_PYTHON_BLOCK = re.compile(r"^```python[ \t]*\n(.*?)^```[ \t]*$", re.S | re.M)
_SHELL_BLOCK = re.compile(r"^```(?:bash|sh|shell|console)[ \t]*\n(.*?)^```[ \t]*$", re.S | re.M)
_LINK = re.compile(r"(?<!!)\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
_CODE_SPAN = re.compile(r"`([^`\n]+)`")
_HEADING = re.compile(r"^(#{1,6})[ \t]+(.+?)[ \t]*#*[ \t]*$", re.M)


def prose(text: str) -> str:
    """The Markdown without its fenced code blocks."""
    return _FENCE.sub("", text)


def python_blocks(text: str) -> list[str]:
    return _PYTHON_BLOCK.findall(text)


def link_targets(text: str) -> list[str]:
    return _LINK.findall(prose(text))


def relative_links(text: str) -> list[str]:
    """Link targets inside the repository: not URLs, not in-page anchors, not mail addresses."""
    return [
        target
        for target in link_targets(text)
        if not re.match(r"^(?:[a-zA-Z][a-zA-Z0-9+.-]*:|#|//)", target)
    ]


def repository_paths(text: str) -> list[str]:
    """Backticked spans, and words of shell blocks, that name a file or folder of the repository.

    A backticked span counts when it is a plain relative path (no URL, placeholder, glob, quote
    or space) that starts at a top-level entry of the repository or at ``llm_lineage/`` (under
    ``src/``), ends in a known file extension or is a known file name, or ends in ``/``. Absolute
    paths are dataset or system paths (``/data/corpus``), folders that runs create are skipped,
    and so are bare names of files that belong to models or to a user's Airflow
    (``config.json``). In shell blocks only words that start at a top-level entry count.
    """
    top_level = {entry.name for entry in REPO.iterdir()} | {"llm_lineage"}
    found = [span for span in _CODE_SPAN.findall(prose(text)) if _is_path(span, top_level)]
    for block in _SHELL_BLOCK.findall(text):
        for line in block.splitlines():
            words = re.sub(r"(^|\s)#.*$", "", line).split()
            found += [w for w in words if _is_path(w, top_level) and w.split("/")[0] in top_level]
    return found


def _is_path(span: str, top_level: set[str]) -> bool:
    if NOT_A_PATH.search(span) or span.startswith(("/", "~", "-")):
        return False
    path = span.rstrip("/")
    parts = path.split("/")
    if not path or parts[0] in GENERATED_ROOTS or path in GENERATED_PATHS or ".." in parts:
        return False
    name = parts[-1]
    file_like = name.endswith(FILE_EXTENSIONS) or name in FILE_NAMES
    if len(parts) == 1:
        if span in SPOOL_FOLDERS:
            return False
        return span.endswith("/") or (file_like and name not in NOT_REPOSITORY_FILES)
    return parts[0] in top_level or file_like


def exists_in_repository(path: str) -> bool:
    relative = path.split("#", 1)[0].rstrip("/")
    return bool(relative) and any((root / relative).exists() for root in SEARCH_ROOTS)


def link_target(page: Path, link: str) -> Path:
    """The file a relative link of ``page`` names (links are relative to the page's folder)."""
    return (page.parent / link.split("#", 1)[0]).resolve()


def missing_paths(text: str, page: Path = README) -> list[str]:
    """Relative links, included files and backticked repository paths that name nothing here.

    Links are resolved from the page's folder, as GitHub and MkDocs resolve them; repository
    paths in backticks and included files from the repository root.
    """
    links = [link for link in relative_links(text) if not link_target(page, link).exists()]
    named = repository_paths(text) + _SNIPPET.findall(text)
    return sorted({*links, *(path for path in named if not exists_in_repository(path))})


def with_includes(text: str) -> str:
    """The page with each ``--8<--`` include replaced by the included file (line range kept)."""

    def include(match: re.Match[str]) -> str:
        spec = match.group(0).split('"')[1]
        path, _, lines = spec.partition(":")
        content = (REPO / path).read_text(encoding="utf-8").splitlines()
        start, _, end = lines.partition(":")
        first = int(start) - 1 if start else 0
        return "\n".join(content[first : int(end) if end else None])

    return _SNIPPET.sub(include, text)


def heading_anchors(text: str) -> set[str]:
    """The anchors GitHub gives the headings: lower case, punctuation dropped, spaces to ``-``,
    and ``-1``, ``-2``, ... on repeats."""
    anchors: set[str] = set()
    seen: dict[str, int] = {}
    for _, title in _HEADING.findall(prose(text)):
        slug = re.sub(r"[^\w\- ]", "", title.strip().lower()).replace(" ", "-")
        count = seen.get(slug, 0)
        seen[slug] = count + 1
        anchors.add(slug if count == 0 else f"{slug}-{count}")
    return anchors


def missing_anchors(text: str, page: Path = README) -> list[str]:
    """In-page anchors, and anchors in other pages (``other.md#x``), that name no heading."""
    missing = []
    for target in link_targets(text):
        if target.startswith("#"):
            anchors = heading_anchors(with_includes(text))
        elif "#" in target and target in relative_links(text):
            other = link_target(page, target)
            if other.suffix != ".md" or not other.is_file():
                continue  # a line anchor of a source file, or a missing file (missing_paths)
            anchors = heading_anchors(with_includes(other.read_text(encoding="utf-8")))
        else:
            continue
        if target.split("#", 1)[1] not in anchors:
            missing.append(target)
    return sorted(missing)


def is_checked_example(code: str) -> bool:
    """A block that defines a DAG or a task, or uses this package (not a loose fragment)."""
    return bool(re.search(r"\bDAG\(|@dag\b|@task\b|\bllm_lineage\b", code))


def is_complete_example(code: str) -> bool:
    """A block that stands alone: it defines a DAG or a ``@task`` function."""
    return bool(re.search(r"\bDAG\(|@dag\b|@task\b", code))


def unresolved_imports(code: str) -> list[str]:
    """``llm_lineage`` and ``airflow`` imports of ``code`` that do not import."""
    problems: list[str] = []
    for node in ast.walk(ast.parse(code)):
        if isinstance(node, ast.Import):
            modules = [(alias.name, None) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            modules = [(node.module, alias.name) for alias in node.names]
        else:
            continue
        for module, name in modules:
            if module.split(".")[0] not in ("llm_lineage", "airflow"):
                continue
            try:
                imported = importlib.import_module(module)
            except ImportError as error:
                problems.append(f"import {module}: {error}")
                continue
            if name is not None and name != "*" and not hasattr(imported, name):
                try:
                    importlib.import_module(f"{module}.{name}")
                except ImportError:
                    problems.append(f"from {module} import {name}: no such name")
    return problems


README_TEXT = README.read_text(encoding="utf-8")


def _name(page: Path) -> str:
    return str(page.relative_to(REPO))


TEXTS = {_name(page): page.read_text(encoding="utf-8") for page in PAGES}
#: (page, example) for every checked Python block of every page.
CHECKED_BLOCKS = [
    (name, code)
    for name, text in TEXTS.items()
    for code in python_blocks(text)
    if is_checked_example(code)
]


def _block_id(block: tuple[str, str]) -> str:
    name, code = block
    first = next(line for line in code.splitlines() if line.strip() and not line.startswith("#"))
    return f"{name}:{first.strip()[:50]}"


def test_the_pages_include_the_site_and_the_repository_files() -> None:
    assert {"README.md", "CONTRIBUTING.md", "CHANGELOG.md", "docs/index.md"} <= set(TEXTS)
    assert len([name for name in TEXTS if name.startswith("docs/")]) >= 20


@pytest.mark.parametrize("name", sorted(TEXTS))
def test_page_never_mentions_a_design_document(name: str) -> None:
    assert "design.md" not in TEXTS[name].lower()


def test_readme_links_to_the_architecture_map() -> None:
    assert "ARCHITECTURE.md" in relative_links(README_TEXT)


def test_readme_is_a_short_overview() -> None:
    """The README is read in five minutes; everything else is on the documentation site."""
    assert len(README_TEXT.splitlines()) <= 300
    assert "docs/index.md" in relative_links(README_TEXT) or "docs/getting-started.md" in (
        relative_links(README_TEXT)
    )


@pytest.mark.parametrize("name", sorted(TEXTS))
def test_every_relative_link_and_repository_path_exists(name: str) -> None:
    assert missing_paths(TEXTS[name], REPO / name) == []


@pytest.mark.parametrize("name", sorted(TEXTS))
def test_every_anchor_names_a_heading(name: str) -> None:
    assert missing_anchors(TEXTS[name], REPO / name) == []


def test_pages_have_python_examples_to_check() -> None:
    assert len(CHECKED_BLOCKS) >= 10
    readme = [code for name, code in CHECKED_BLOCKS if name == "README.md"]
    assert any(is_complete_example(code) for code in readme)


@pytest.mark.parametrize("block", CHECKED_BLOCKS, ids=_block_id)
def test_python_example_compiles_and_its_imports_resolve(block: tuple[str, str]) -> None:
    name, code = block
    compile(code, f"{name} example", "exec")
    assert unresolved_imports(code) == []


@pytest.mark.parametrize(
    "block", [block for block in CHECKED_BLOCKS if is_complete_example(block[1])], ids=_block_id
)
def test_complete_example_runs(block: tuple[str, str]) -> None:
    """DAGs and @task functions run as module code (operators check their parameters here)."""
    name, code = block
    exec(compile(code, f"{name} example", "exec"), {"__name__": "readme_example"})


# The checker itself: it must catch what it is for and leave alone what it is not for.


def test_checker_reports_a_missing_repository_path() -> None:
    text = "See `src/llm_lineage/nope.py` and `src/llm_lineage/training/tiny.py`.\n"
    assert missing_paths(text) == ["src/llm_lineage/nope.py"]


@pytest.mark.parametrize(
    "span",
    [
        "llm_lineage/nope.py",
        "example_dags/llm_lineage_nope.py",
        "docker/nope/",
        "nope.toml",
        "scripts/nope",
        "nope/",
        "nowhere/thing.py",
    ],
)
def test_checker_reports_other_missing_paths(span: str) -> None:
    assert missing_paths(f"a `{span}` b") == [span]


def test_checker_reports_missing_links_but_not_urls_or_anchors() -> None:
    text = (
        "[design](DESIGN.md) [map](ARCHITECTURE.md) [web](https://example.com/x.md) "
        "[here](#quick-start) [mail](mailto:a@b.c) [code](src/llm_lineage/common/hub.py#L3)\n"
    )
    assert missing_paths(text) == ["DESIGN.md"]


def test_checker_skips_what_is_not_a_repository_path() -> None:
    text = " ".join(
        f"`{span}`"
        for span in [
            "/data/corpus",
            "/opt/airflow/llm-lineage-output/pipeline/adapter",
            "s3://bucket/corpus/",
            "file:///data/corpus",
            "<destination>/text.parquet",
            "*.safetensors",
            "pytorch_model*.bin",
            "text.parquet",
            "extracted/text.parquet",
            "config.json",
            "tokenizer_config.json",
            ".demo-output/pipeline/adapter/",
            "org/name",
            '"meta-llama/Llama-3.2-1B"',
            "apache/airflow:3.3.2-python3.11",
            "docker compose -f docker/nope.yml up",
            "llm_lineage.training.tiny",
        ]
    )
    assert repository_paths(text) == []


def test_checker_reads_commands_in_shell_blocks_only() -> None:
    text = (
        "```bash\n"
        ".venv/bin/python benchmarks/nope.py --out /tmp/x.py  # see docs/nope.md\n"
        "docker compose -f docker/docker-compose.yml up\n"
        "```\n"
        "```python\n"
        'open("scripts/nope.py")\n'
        "```\n"
    )
    assert missing_paths(text) == ["benchmarks/nope.py"]


def test_checker_reports_unresolvable_imports() -> None:
    code = (
        "from llm_lineage.training import tiny_base_model, nope\n"
        "import llm_lineage.nope_module\n"
        "from airflow.sdk import DAG\n"
    )
    assert unresolved_imports(code) == [
        "from llm_lineage.training import nope: no such name",
        "import llm_lineage.nope_module: No module named 'llm_lineage.nope_module'",
    ]


def test_checker_reports_anchors_without_a_heading() -> None:
    text = "## See the lineage in Marquez\n\n[a](#see-the-lineage-in-marquez) [b](#nope)\n"
    assert missing_anchors(text) == ["#nope"]


def test_checker_resolves_links_from_the_page_folder(tmp_path: Path) -> None:
    text = "[up](../ARCHITECTURE.md) [here](ARCHITECTURE.md) [page](index.md)\n"
    assert missing_paths(text, DOCS / "page.md") == ["ARCHITECTURE.md"]


def test_checker_reports_anchors_missing_in_another_page() -> None:
    text = "[a](storage.md#concurrent-runs-and-crashed-runs) [b](storage.md#nope)\n"
    assert missing_anchors(text, DOCS / "page.md") == ["storage.md#nope"]


def test_checker_reports_a_missing_include_and_reads_included_headings() -> None:
    assert missing_paths('--8<-- "benchmarks/NOPE.md"\n') == ["benchmarks/NOPE.md"]
    text = '[r](#results) [n](#nope)\n\n--8<-- "benchmarks/README.md:2:"\n'
    assert missing_anchors(text) == ["#nope"]
