"""Dataset versions depend on content only: a copy, a clone or a ``touch`` gives the same versions.

Runs the real hooks (extract, tokenize, fine-tune) on a corpus, then on a copy of it in another
folder whose files were all touched, and compares every version lineage reports.
"""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from corpora import make_mixed_corpus
from llm_lineage.extraction import ExtractionSettings, extract_corpus, local_documents
from llm_lineage.hooks.extraction import DocumentExtractionHook
from llm_lineage.hooks.lora import LoRAFineTuningHook
from llm_lineage.hooks.tokenization import TokenizerHook
from llm_lineage.lineage.extraction import extraction_lineage
from llm_lineage.tokenization import TokenizationSettings
from lora_fixtures import tiny_base

pytest.importorskip("peft")


def _touch_everything(root: Path) -> None:
    later = time.time() + 86_400
    for path in root.rglob("*"):
        os.utime(path, (later, later))


def _versions(corpus: Path, out: Path, base: Path) -> dict[str, str]:
    extractor = DocumentExtractionHook(hook_lineage=False)
    extraction = extractor.extract(
        extractor.plan(corpus, out / "extracted", ExtractionSettings(workers=0))
    )
    tokenizer = TokenizerHook(hook_lineage=False)
    tokens = tokenizer.tokenize(
        tokenizer.plan(
            out / "extracted",
            out / "tokens",
            str(base),
            settings=TokenizationSettings(packing=True, block_size=32, max_length=None),
        )
    )
    trainer = LoRAFineTuningHook(hook_lineage=False)
    adapter = trainer.fine_tune(
        trainer.plan(
            out / "tokens",
            str(base),
            out / "adapter",
            lora={"r": 2, "alpha": 4, "dropout": 0.0, "target_modules": ["c_attn"]},
            training={"max_steps": 2, "batch_size": 2},
        )
    )
    result = extraction.result
    assert result.text_output and result.manifest_output
    assert tokens.result.output and adapter.result.output
    return {
        "collection": result.summary.collection_version,
        "text": result.text_output.content_hash,
        "manifest": result.manifest_output.content_hash,
        "tokens": tokens.result.output.content_hash,
        "adapter": adapter.result.output.content_hash,
    }


def test_copy_and_touch_keep_every_version(tmp_path: Path) -> None:
    base = tiny_base(tmp_path / "base")
    original = make_mixed_corpus(tmp_path / "original")
    (original / "undated.txt").write_text("A note with no dates of its own.\n")
    first = _versions(original, tmp_path / "run-1", base)

    copy = tmp_path / "elsewhere" / "copy"
    shutil.copytree(original, copy)  # a new place, new file times
    _touch_everything(copy)
    second = _versions(copy, tmp_path / "run-2", base)

    assert second == first
    # the file times are still recorded, just not hashed
    rows = pq.read_table(tmp_path / "run-2" / "extracted" / "manifest.parquet").to_pylist()
    undated = next(row for row in rows if row["relative_path"] == "undated.txt")
    assert undated["modified_source"] == "filesystem"
    assert undated["modified"].timestamp() == pytest.approx(time.time() + 86_400, abs=120)
    assert undated["source_uri"].startswith(copy.as_uri())


def test_a_changed_document_changes_the_versions(tmp_path: Path) -> None:
    corpus = make_mixed_corpus(tmp_path / "corpus")

    def text_version(out: Path) -> str:
        settings = ExtractionSettings(workers=0)
        documents = local_documents(corpus, settings.include)
        out.mkdir()
        result = extract_corpus(documents, corpus.as_uri(), out, settings)
        assert result.text_output is not None
        return result.text_output.content_hash

    before = text_version(tmp_path / "a")
    (corpus / "notes-latin1.txt").write_bytes("Changed.\n".encode("latin-1"))
    assert text_version(tmp_path / "b") != before


def test_extraction_error_only_when_something_failed(tmp_path: Path) -> None:
    corpus = make_mixed_corpus(tmp_path / "corpus")
    hook = DocumentExtractionHook(hook_lineage=False)
    clean = hook.extract(hook.plan(corpus, tmp_path / "clean", ExtractionSettings(workers=0)))
    assert "extractionError" not in extraction_lineage(clean.plan, clean.result).run_facets

    (corpus / "empty.txt").write_bytes(b"")
    dirty = hook.extract(hook.plan(corpus, tmp_path / "dirty", ExtractionSettings(workers=0)))
    facet = extraction_lineage(dirty.plan, dirty.result).run_facets["extractionError"]
    assert facet.failedTasks == 1
