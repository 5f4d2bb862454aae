"""The curation run (curation/engine.py) on real extracted text: which documents each rule drops
or changes, what decisions.parquet records, deterministic versions, footers, and failures.

The rules' own cases are in test_curation_pii.py, test_curation_quality.py,
test_curation_dedup.py and test_curation_settings.py.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest

from curation_fixtures import CORPUS, RIVERS, extracted
from extraction_fixtures import ListLogger
from llm_lineage.curation import (
    DECISIONS_FILE,
    DECISIONS_SCHEMA,
    TEXT_FILE,
    CurationFailed,
    CurationSettings,
    curate_corpus,
)
from llm_lineage.extraction.tables import TEXT_SCHEMA, content_of

ENGLISH = CurationSettings(languages=["en"])


def curate(source: Path, out: Path, settings: CurationSettings = ENGLISH, **kw: Any) -> Any:
    return curate_corpus(source, out, settings, ListLogger(), content=content_of, **kw)


def decisions(out: Path) -> dict[str, dict[str, Any]]:
    return {row["relative_path"]: row for row in pq.read_table(out / DECISIONS_FILE).to_pylist()}


def kept_texts(out: Path) -> dict[str, str]:
    return {row["relative_path"]: row["text"] for row in pq.read_table(out / TEXT_FILE).to_pylist()}


def test_each_rule_drops_what_it_should(curation_source: Path, tmp_path: Path) -> None:
    result = curate(curation_source, tmp_path / "out")
    rows = decisions(tmp_path / "out")
    assert sorted(kept_texts(tmp_path / "out")) == [
        "a-rivers.txt",
        "b-bread.txt",
        "c-comets.txt",
        "j-registration.txt",
    ]
    assert len(rows) == len(CORPUS)  # one decision per document read
    assert rows["d-rivers-edited.txt"]["reasons"] == ["near_duplicate"]
    assert rows["d-rivers-edited.txt"]["duplicate_of"] == rows["a-rivers.txt"]["doc_id"]
    assert 0.7 <= rows["d-rivers-edited.txt"]["similarity"] < 1.0
    assert rows["e-bread-copy.txt"]["reasons"] == ["exact_duplicate"]
    assert rows["e-bread-copy.txt"]["duplicate_of"] == rows["b-bread.txt"]["doc_id"]
    assert rows["f-library-de.txt"]["reasons"] == ["language"]
    assert rows["f-library-de.txt"]["language"] == "de"
    assert rows["g-market-fr.txt"]["reasons"] == ["language"]
    assert rows["g-market-fr.txt"]["language"] == "fr"
    assert "quality.max_duplicate_lines_ratio" in rows["h-boilerplate.txt"]["reasons"]
    assert "quality.min_alphabetic_words_ratio" in rows["i-symbols.txt"]["reasons"]
    assert "quality.max_symbol_word_ratio" in rows["i-symbols.txt"]["reasons"]
    assert rows["a-rivers.txt"]["language"] == "en"
    assert rows["a-rivers.txt"]["language_confidence"] > 0.9
    assert result.documents_in == 10 and result.documents_out == 4
    assert result.reasons["language"] == 3  # German, French, and the soup (no language)
    assert result.reasons["near_duplicate"] == 1 and result.reasons["exact_duplicate"] == 1
    assert result.libraries == {
        "lingua-language-detector": result.libraries["lingua-language-detector"],
        "datasketch": result.libraries["datasketch"],
    }


def test_personal_data_is_redacted_and_counted_not_stored(
    curation_source: Path, tmp_path: Path
) -> None:
    result = curate(curation_source, tmp_path / "out")
    text = kept_texts(tmp_path / "out")["j-registration.txt"]
    row = decisions(tmp_path / "out")["j-registration.txt"]
    assert "jane.doe@example.com" not in text and "workshop-team@example.org" not in text
    assert text.count("<EMAIL>") == 2 and "<PHONE>" in text and "<CARD_NUMBER>" in text
    assert "4111 1111 1111 1111" not in text
    assert "4111 1111 1111 1112" in text  # fails the Luhn check: left alone
    assert (row["pii_email"], row["pii_phone"], row["pii_card"]) == (2, 1, 1)
    assert row["kept"] and row["reasons"] == ["pii"]
    assert row["characters_out"] == len(text) != row["characters_in"]
    assert result.pii_found == {"email": 2, "phone": 1, "card": 1}
    assert result.documents_changed == 1 and result.pii_documents == 1
    stored = (tmp_path / "out" / DECISIONS_FILE).read_bytes()
    assert b"example.com" not in stored and b"7946 0958" not in stored


def test_the_curated_text_is_extraction_output(curation_source: Path, tmp_path: Path) -> None:
    curate(curation_source, tmp_path / "out")
    table = pq.read_table(tmp_path / "out" / TEXT_FILE)
    assert table.schema.remove_metadata() == TEXT_SCHEMA.remove_metadata()
    registration = next(r for r in table.to_pylist() if r["relative_path"] == "j-registration.txt")
    assert registration["characters"] == len(registration["text"])
    assert pq.read_schema(tmp_path / "out" / DECISIONS_FILE).names == DECISIONS_SCHEMA.names


def test_same_input_same_versions(tmp_path: Path) -> None:
    """The corpus copied elsewhere and curated twice: the same rows and content hashes."""
    first = curate(extracted(tmp_path / "one"), tmp_path / "one" / "out")
    second = curate(extracted(tmp_path / "two"), tmp_path / "two" / "out")
    assert first.text.content_hash == second.text.content_hash
    assert first.decisions.content_hash == second.decisions.content_hash
    one = pq.read_table(tmp_path / "one" / "out" / DECISIONS_FILE).to_pylist()
    two = pq.read_table(tmp_path / "two" / "out" / DECISIONS_FILE).to_pylist()
    assert one == two


def test_versions_change_with_the_settings(curation_source: Path, tmp_path: Path) -> None:
    flagged = curate(curation_source, tmp_path / "flag", CurationSettings(pii="flag"))
    redacted = curate(curation_source, tmp_path / "redact", CurationSettings(pii="redact"))
    assert flagged.text.content_hash != redacted.text.content_hash
    assert "jane.doe@example.com" in kept_texts(tmp_path / "flag")["j-registration.txt"]
    assert decisions(tmp_path / "flag")["j-registration.txt"]["reasons"] == []
    assert decisions(tmp_path / "flag")["j-registration.txt"]["pii_email"] == 2


def test_pii_drop_drops_the_document(curation_source: Path, tmp_path: Path) -> None:
    result = curate(curation_source, tmp_path / "out", CurationSettings(pii="drop"))
    assert "j-registration.txt" not in kept_texts(tmp_path / "out")
    assert decisions(tmp_path / "out")["j-registration.txt"]["reasons"] == ["pii"]
    assert result.reasons["pii"] == 1


def test_rules_off_keep_everything_but_exact_copies(curation_source: Path, tmp_path: Path) -> None:
    settings = CurationSettings(quality=False, pii="off", deduplicate=False)
    result = curate(curation_source, tmp_path / "out", settings)
    assert result.documents_out == len(CORPUS) and result.libraries == {}
    row = decisions(tmp_path / "out")["a-rivers.txt"]
    assert row["language"] is None and row["words"] is None and row["pii_email"] is None


def test_duplicates_name_only_kept_documents(tmp_path: Path) -> None:
    """A dropped document is never the one a duplicate points to: the next copy is kept."""
    documents = {"a-short.txt": "too short " + RIVERS[:40], "b.txt": RIVERS, "c.txt": RIVERS}
    source = extracted(tmp_path, documents)
    curate(source, tmp_path / "out")
    rows = decisions(tmp_path / "out")
    assert rows["b.txt"]["kept"] and rows["c.txt"]["duplicate_of"] == rows["b.txt"]["doc_id"]


def test_footers_and_progress(curation_source: Path, tmp_path: Path) -> None:
    logger = ListLogger()
    curate_corpus(
        curation_source,
        tmp_path / "out",
        ENGLISH,
        logger,
        footer=lambda result: {"kept": str(result.documents_out)},
        decisions_footer=lambda result: {"read": str(result.documents_in)},
        content=content_of,
    )
    text_footer = pq.read_metadata(tmp_path / "out" / TEXT_FILE).metadata
    assert text_footer[b"kept"] == b"4"
    assert pq.read_metadata(tmp_path / "out" / DECISIONS_FILE).metadata[b"read"] == b"10"
    assert any("Curated: 10/10 documents" in line for line in [*logger.infos, *logger.warnings])
    assert any("Kept 4 of 10 documents" in line for line in [*logger.infos, *logger.warnings])


def test_everything_dropped_fails_with_the_reasons(tmp_path: Path) -> None:
    source = extracted(tmp_path, {"de.txt": CORPUS["f-library-de.txt"]})
    with pytest.raises(CurationFailed, match=r"all 1 documents .* dropped \(language: 1\)") as info:
        curate(source, tmp_path / "out")
    assert info.value.result.documents_in == 1
    assert not (tmp_path / "out" / TEXT_FILE).exists()
    assert not (tmp_path / "out" / DECISIONS_FILE).exists()


def test_a_file_that_is_not_extraction_output(tmp_path: Path) -> None:
    bad = tmp_path / "text.parquet"
    bad.write_bytes(b"not parquet at all")
    with pytest.raises(CurationFailed, match="is not a readable Parquet file"):
        curate(bad, tmp_path / "out")
    import pyarrow as pa

    pq.write_table(pa.table({"doc_id": ["a"], "body": ["x"]}), tmp_path / "other.parquet")
    with pytest.raises(CurationFailed, match=r"missing column\(s\) text"):
        curate(tmp_path / "other.parquet", tmp_path / "out")


def test_pii_text_is_in_no_log_line(curation_source: Path, tmp_path: Path) -> None:
    logger = ListLogger()
    curate_corpus(curation_source, tmp_path / "out", ENGLISH, logger, content=content_of)
    lines = [*logger.infos, *logger.warnings]
    assert lines and all("example.com" not in line and "7946 0958" not in line for line in lines)
