"""A real extraction DAG run over a normal corpus salted with hostile files.

The task must succeed, name each hostile file with its reason, extract every normal document,
emit events that pass the strict validator, and let no byte of a file outside the source reach
any output.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from conftest import TESTS, DagRun, RunDag
from corpora import AUTHORS, make_mixed_corpus
from documents import make_docx, make_markdown, make_pdf, yaml_alias_bomb, zip_bomb_docx

pytestmark = pytest.mark.dag

OUTSIDE_SECRET = "OUTSIDE-SECRET-c0rrect-h0rse-battery"
HOSTILE_TITLE = "Quarterly\x00 report\r\nInjected: yes \u202egnp.exe <script>alert(1)</script>"
ALIAS_BOMB = yaml_alias_bomb("# Laughs\n\nA short body.\n", levels=8)
#: File name -> words its failure reason must hold.
HOSTILE = {
    "bomb.docx": "max_expanded_bytes",
    "deep.html": "",  # refused for its depth or stopped at its time limit; both name it
    "fifo.txt": "not a regular file",
    "link-out.txt": "symlink outside the source",
    "linked-folder": "symlink outside the source",
    "zzz-growing.txt": "grew after the folder was listed",
}
GROW_TO = 8 * 1024 * 1024
FILLERS = 48


def _hostile_corpus(root: Path, outside: Path) -> Path:
    make_mixed_corpus(root)
    outside.mkdir()
    (outside / "secret.txt").write_text(f"password: {OUTSIDE_SECRET}\n")
    (root / "link-out.txt").symlink_to(outside / "secret.txt")
    (root / "linked-folder").symlink_to(outside, target_is_directory=True)
    os.mkfifo(root / "fifo.txt")
    (root / "bomb.docx").write_bytes(zip_bomb_docx(512 * 1024 * 1024))
    (root / "laughs.md").write_text(ALIAS_BOMB)
    depth = 200_000
    (root / "deep.html").write_text(
        f"<html><body>{'<div>' * depth}x{'</div>' * depth}</body></html>"
    )
    make_pdf(root / "titled.pdf", ["A page under a hostile title."], title=HOSTILE_TITLE,
             author="Alice Example\r\nMallory Forged")  # fmt: skip
    # XML cannot hold NUL: the DOCX title keeps the rest of the hostile characters
    make_docx(root / "titled.docx", ["A paragraph under a hostile title."], title=HOSTILE_TITLE.replace("\x00", ""),
              author="Alice Example\nMallory Forged")  # fmt: skip
    make_markdown(root / "titled.md", "Body.\n", title="<script>alert(1)</script>", authors=["Bob"])
    # Read before the growing file, more than the two readers hold at once (8 each): the run
    # reads zzz-growing.txt only once most of these are parsed, well after it took the lock and
    # the grower wrote (the readers now start while the source is listed, so without them the
    # run could read the file before the grower woke up).
    for number in range(FILLERS):
        line = f"Filler document {number}, one of many lines of ordinary text.\n"
        (root / f"filler-{number:02d}.txt").write_text(line * (2**20 // len(line)))
    (root / "zzz-growing.txt").write_text("small for now\n")
    return root


def _grow_when_the_lock_appears(out: Path, target: Path) -> subprocess.Popen[bytes]:
    """A process that makes ``target`` grow once the run has listed the corpus.

    The hook lists the source, then takes the destination's lock (``out/.llm-lineage.lock``):
    growing the file at that moment is the race of a file written while a run reads the folder.
    """
    script = (
        "import pathlib, sys, time\n"
        "out, target = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])\n"
        "deadline = time.time() + 300\n"
        "while time.time() < deadline:\n"
        "    if (out / '.llm-lineage.lock').exists():\n"
        f"        target.write_bytes(b'growing text line\\n' * ({GROW_TO} // 18 + 1))\n"
        "        break\n"
        "    time.sleep(0.005)\n"
    )
    return subprocess.Popen([sys.executable, "-c", script, str(out), str(target)])


@pytest.fixture(scope="module")
def hostile_run(run_dag: RunDag, tmp_path_factory: pytest.TempPathFactory) -> tuple[DagRun, Path]:
    base = tmp_path_factory.mktemp("hostile")
    corpus = _hostile_corpus(base / "corpus", base / "outside")
    out = base / "out"
    out.mkdir()
    grower = _grow_when_the_lock_appears(out, corpus / "zzz-growing.txt")
    started = time.monotonic()
    try:
        run = run_dag(
            TESTS / "dags" / "extraction_hostile.py",
            "extraction_hostile",
            env={"TEST_CORPUS": str(corpus), "TEST_OUTPUT": str(out)},
        )
    finally:
        grower.kill()
    assert run.returncode == 0, run.output[-5000:]
    assert time.monotonic() - started < 240
    return run, out


def test_the_task_succeeds_and_names_each_hostile_file(hostile_run: tuple[DagRun, Path]) -> None:
    run, _ = hostile_run
    event = run.of("extract_hostile", "COMPLETE")
    errors = {
        e["task"].rsplit("/", 1)[-1]: e["errorMessage"]
        for e in event["run"]["facets"]["extractionError"]["errors"]
    }
    for name, words in HOSTILE.items():
        assert name in errors, f"{name} not named in {sorted(errors)}"
        assert words in errors[name], errors[name]
    assert set(errors) == set(HOSTILE), errors


def test_every_normal_document_is_extracted(hostile_run: tuple[DagRun, Path]) -> None:
    _, out = hostile_run
    table = pq.read_table(out / "text.parquet")
    names = {path.rsplit("/", 1)[-1] for path in table.column("relative_path").to_pylist()}
    assert names >= {
        "engine.pdf",
        "compilers.docx",
        "computable.html",
        "structured.md",
        "notes-latin1.txt",
        "laughs.md",
        "titled.pdf",
        "titled.docx",
        "titled.md",
        *(f"filler-{number:02d}.txt" for number in range(FILLERS)),
    }
    assert not names & set(HOSTILE)


def test_hostile_metadata_is_clean_in_outputs_and_events(hostile_run: tuple[DagRun, Path]) -> None:
    run, out = hostile_run
    rows = pq.read_table(out / "manifest.parquet").to_pylist()
    by_name = {row["relative_path"].rsplit("/", 1)[-1]: row for row in rows}
    for name in ("titled.pdf", "titled.docx"):
        title = by_name[name]["title"]
        assert title is not None and "<script>alert(1)</script>" in title
        assert not any(ord(ch) < 32 or ch == "\u202e" for ch in title), repr(title)
        assert by_name[name]["authors"] == ["Alice Example Mallory Forged"], by_name[name]
    laughs = by_name["laughs.md"]
    assert laughs["title"] is None or len(laughs["title"]) <= 500
    authors = run.of("extract_hostile", "COMPLETE")["inputs"][0]["facets"][
        "llmLineage_documentCollection"
    ]["authors"]
    names = {a["name"] for a in authors}
    assert "Mallory Forged" not in names
    assert set(AUTHORS) <= names


def test_nothing_from_outside_the_source_is_read(hostile_run: tuple[DagRun, Path]) -> None:
    run, out = hostile_run
    for path in out.rglob("*"):
        if path.is_file():
            assert OUTSIDE_SECRET.encode() not in path.read_bytes(), path
    assert OUTSIDE_SECRET not in run.output
    assert all(OUTSIDE_SECRET not in str(event) for event in run.events)


def test_memory_and_events_stay_bounded(hostile_run: tuple[DagRun, Path]) -> None:
    run, _ = hostile_run
    event = run.of("extract_hostile", "COMPLETE")
    usage = event["run"]["facets"]["llmLineage_resourceUsage"]
    # The zip bomb alone took 1.16 GB in the task's process before; now readers are capped.
    assert usage["peakMemoryBytes"] < 1024**3, usage
    assert "Parsing in 2 reader processes" in run.output
