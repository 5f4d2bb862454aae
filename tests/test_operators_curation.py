"""TextCurationOperator: wrong parameters fail at parse time, naming the parameter; START
lineage from the plan; a failed run keeps what it got through."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from llm_lineage.curation import CurationFailed
from llm_lineage.operators.curation import TextCurationOperator
from llm_lineage.operators.validation import InvalidParameterError
from tokenizers_fixtures import write_text_parquet


def _operator(**overrides: object) -> TextCurationOperator:
    arguments: dict[str, object] = {"task_id": "curate", "source": "/in", "destination": "/out"}
    arguments.update(overrides)
    return TextCurationOperator(**arguments)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("overrides", "parameter"),
    [
        ({"languages": ["english"]}, "languages"),
        ({"languages": []}, "languages"),
        ({"pii": "mask"}, "pii"),
        ({"pii_kinds": ["ssn"]}, "pii_kinds"),
        ({"jaccard_threshold": 1.5}, "jaccard_threshold"),
        ({"num_perm": True}, "num_perm"),
        ({"min_words": -1}, "min_words"),
        ({"max_words": 10}, "max_words"),
        ({"language_min_confidence": float("inf")}, "language_min_confidence"),
        ({"source": ""}, "source"),
        ({"destination": None}, "destination"),
    ],
)
def test_wrong_parameter_is_named(overrides: dict[str, object], parameter: str) -> None:
    with pytest.raises(InvalidParameterError, match=f"parameter '{parameter}'") as raised:
        _operator(**overrides)
    assert "TextCurationOperator(task_id='curate')" in str(raised.value)


def test_every_rule_setting_is_a_parameter() -> None:
    operator = _operator(
        languages="de",
        pii="flag",
        min_words=None,
        shingle_size=3,
        jaccard_threshold=0.9,
        deduplicate=False,
        quality=False,
    )
    settings = operator.settings
    assert settings.languages == ("de",) and settings.pii == "flag"
    assert settings.min_words is None and settings.shingle_size == 3
    assert (settings.jaccard_threshold, settings.deduplicate, settings.quality) == (
        0.9,
        False,
        False,
    )


def test_an_unknown_parameter_is_refused() -> None:
    with pytest.raises(TypeError, match="shingles"):
        _operator(shingles=3)


def test_start_lineage_names_the_input_and_both_outputs(tmp_path: Path) -> None:
    operator = _operator(source=str(tmp_path / "extracted" / "text.parquet"))
    lineage = operator.get_openlineage_facets_on_start()
    assert [d.name for d in lineage.inputs] == [str(tmp_path / "extracted" / "text.parquet")]
    assert [d.name for d in lineage.outputs] == ["/out/text.parquet", "/out/decisions.parquet"]
    assert "schema" in lineage.outputs[0].facets  # the layout is known before the run
    assert "llmLineage_curation" not in lineage.outputs[0].facets  # the counts are not


class _TaskInstance:
    def __init__(self) -> None:
        self.pushed: dict[str, Any] = {}

    def xcom_push(self, key: str, value: Any) -> None:
        self.pushed[key] = value


def test_a_failed_run_keeps_what_it_got_through(tmp_path: Path) -> None:
    from llm_lineage.lineage.document import XCOM_KEY

    source = write_text_parquet(tmp_path / "text" / "text.parquet", [("a", "short"), ("b", "text")])
    operator = _operator(source=str(source.parent), destination=str(tmp_path / "curated"))
    ti = _TaskInstance()
    with pytest.raises(CurationFailed, match="nothing kept: all 2 documents"):
        operator.execute({"ti": ti})  # type: ignore[typeddict-item]
    assert operator._run is None and operator._partial is not None
    assert operator._partial.documents_in == 2
    assert ti.pushed[XCOM_KEY]["eventType"] == "FAIL"
    lineage = operator.get_openlineage_facets_on_failure(None)
    assert [d.name for d in lineage.inputs] == [str(source)]
    assert lineage.outputs == []
    assert not (tmp_path / "curated" / "text.parquet").exists()
