"""TextCurationHook from a ``@task``: plan, curate, one published unit, hook lineage, reruns."""

from __future__ import annotations

from pathlib import Path

import pyarrow.parquet as pq
import pytest

from curation_fixtures import CORPUS, write_corpus
from llm_lineage.curation import CurationFailed, CurationSettings
from llm_lineage.extraction import ExtractionSettings
from llm_lineage.hooks.curation import CurationSourceError, TextCurationHook
from llm_lineage.hooks.extraction import DocumentExtractionHook
from llm_lineage.storage.run_ids import RUN_ID_KEY


def _extract(tmp_path: Path) -> str:
    hook = DocumentExtractionHook()
    corpus = write_corpus(tmp_path / "corpus")
    return hook.extract(
        hook.plan(corpus, tmp_path / "text", ExtractionSettings(workers=0))
    ).plan.text


def test_curate_takes_the_plan_publishes_both_files_and_reports_hook_lineage(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    reported: list[tuple[str, str]] = []
    monkeypatch.setattr(
        "llm_lineage.hooks.base.report_hook_lineage",
        lambda hook, inputs, outputs: reported.extend(
            [("in", u) for u in inputs] + [("out", u) for u in outputs]
        ),
    )
    text = _extract(tmp_path)
    hook = TextCurationHook()
    plan = hook.plan(tmp_path / "text", tmp_path / "curated", CurationSettings(languages=["en"]))
    assert plan.source == text
    run = hook.curate(plan)
    curated, decisions = (
        tmp_path / "curated" / "text.parquet",
        tmp_path / "curated" / "decisions.parquet",
    )
    assert (run.plan.output, run.plan.decisions) == (curated.as_uri(), decisions.as_uri())
    assert pq.read_table(curated).num_rows == run.result.documents_out == 4
    assert pq.read_table(decisions).num_rows == len(CORPUS)
    # one unit: both footers carry the same run id
    ids = {pq.read_metadata(path).metadata[RUN_ID_KEY.encode()] for path in (curated, decisions)}
    assert len(ids) == 1
    assert reported[-3:] == [("in", text), ("out", plan.output), ("out", plan.decisions)]
    assert run.plan.replaced == frozenset()
    again = hook.curate(hook.plan(tmp_path / "text", tmp_path / "curated", plan.settings))
    assert again.plan.replaced == {plan.output, plan.decisions}
    assert again.result.text.content_hash == run.result.text.content_hash


def test_a_failed_run_publishes_nothing_and_keeps_the_previous_unit(tmp_path: Path) -> None:
    _extract(tmp_path)
    hook = TextCurationHook(hook_lineage=False)
    first = hook.curate(hook.plan(tmp_path / "text", tmp_path / "curated"))
    nothing = CurationSettings(languages=["ja"])
    with pytest.raises(CurationFailed, match="nothing kept"):
        hook.curate(hook.plan(tmp_path / "text", tmp_path / "curated", nothing))
    table = pq.read_table(tmp_path / "curated" / "text.parquet")
    assert table.num_rows == first.result.documents_out
    assert sorted(p.name for p in (tmp_path / "curated").iterdir()) == [
        "decisions.parquet",
        "text.parquet",
    ]


def test_a_missing_source_is_named(tmp_path: Path) -> None:
    hook = TextCurationHook(hook_lineage=False)
    with pytest.raises(CurationSourceError, match=r"nowhere\.parquet does not exist"):
        hook.curate(hook.plan(tmp_path / "nowhere.parquet", tmp_path / "out"))
