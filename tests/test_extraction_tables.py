"""The Parquet layouts of extraction (extraction/tables.py) as the engine writes them."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pyarrow.parquet as pq

from extraction_fixtures import BAD, GOOD, UTC, extract_folder
from llm_lineage.extraction import MANIFEST_FILE, TEXT_FILE
from llm_lineage.extraction.tables import MANIFEST_SCHEMA, TEXT_SCHEMA


def test_text_and_manifest_parquet_schemas_and_rows(mixed: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    extract_folder(mixed, out)

    text = pq.read_table(out / TEXT_FILE)
    manifest = pq.read_table(out / MANIFEST_FILE)
    assert text.schema.equals(TEXT_SCHEMA)
    assert manifest.schema.equals(MANIFEST_SCHEMA)
    for written, expected in ((text.schema, TEXT_SCHEMA), (manifest.schema, MANIFEST_SCHEMA)):
        for field in expected:
            assert written.field(field.name).metadata == field.metadata
    assert "text" not in manifest.column_names

    rows = {row["relative_path"]: row for row in text.to_pylist()}
    assert sorted(rows) == GOOD
    assert rows["plain.txt"]["text"] == "Plain text body.\n"
    assert rows["latin.txt"]["text"] == "Café crème brûlée"
    assert rows["report.pdf"]["text"] == "Page one.\n\nPage two."
    assert rows["report.pdf"]["authors"] == ["Ada Lovelace", "Alan Turing"]
    assert rows["report.pdf"]["created"] == dt.datetime(2024, 1, 31, 12, 0, tzinfo=UTC)
    assert rows["web/article.html"]["source_uri"] == (mixed / "web" / "article.html").as_uri()

    entries = {row["relative_path"]: row for row in manifest.to_pylist()}
    assert sorted(entries) == sorted(GOOD + list(BAD))
    for path in GOOD:
        assert entries[path]["status"] == "extracted"
        assert entries[path]["error"] is None
        assert entries[path]["sha256"] == rows[path]["sha256"]
    for path, reason in BAD.items():
        assert entries[path]["status"] == "failed"
        assert entries[path]["error"].startswith(reason)
        assert entries[path]["characters"] == 0
        assert entries[path]["authors"] == []
    assert entries["bad/not-a-zip.docx"]["format"] == "docx"
