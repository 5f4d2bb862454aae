"""The plain text and Markdown readers: front matter as metadata, hostile YAML, text limits
(how bytes become text is in test_extraction_decoding.py)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from documents import make_markdown, yaml_alias_bomb
from llm_lineage.extraction.limits import (
    MAX_FRONT_MATTER_CHARACTERS,
    MAX_FRONT_MATTER_DEPTH,
    ReadLimits,
)
from llm_lineage.extraction.readers.text import read_markdown, read_plain_text
from readers_fixtures import UTC, MiB, measured, read, refusal

# --- Markdown ----------------------------------------------------------------------------


def test_markdown_front_matter_is_metadata_and_markup_is_kept(tmp_path: Path) -> None:
    body = "# Heading\n\nSome *emphasis* and a [link](https://example.org).\n\n- item\n"
    path = make_markdown(
        tmp_path / "notes.md",
        body,
        title="Field Notes",
        authors=["Ada Lovelace", "Alan Turing"],
        date="2022-12-25",
    )

    output = read(path)

    assert output.text == body.strip("\n")
    assert "---" not in output.text
    assert "title:" not in output.text
    assert output.title == "Field Notes"
    assert output.authors == ("Ada Lovelace", "Alan Turing")
    assert output.created == dt.datetime(2022, 12, 25, tzinfo=UTC)
    assert output.encoding == "utf-8"


def test_markdown_without_front_matter_takes_title_from_heading(tmp_path: Path) -> None:
    path = tmp_path / "readme.md"
    path.write_text("# Project Readme\n\nBody **bold**.\n", encoding="utf-8")

    output = read(path)

    assert output.text == "# Project Readme\n\nBody **bold**."
    assert output.title == "Project Readme"
    assert output.authors == ()
    assert output.created is None


def test_markdown_front_matter_datetime_with_offset_is_utc(tmp_path: Path) -> None:
    path = tmp_path / "post.md"
    path.write_text(
        "---\nauthor: Ada Lovelace; Alan Turing\ndate: 2024-02-02T10:00:00+02:00\n---\nText.\n",
        encoding="utf-8",
    )

    output = read(path)

    assert output.text == "Text."
    assert output.authors == ("Ada Lovelace", "Alan Turing")
    assert output.created == dt.datetime(2024, 2, 2, 8, 0, tzinfo=UTC)


# --- Markdown: hostile YAML front matter -------------------------------------------------


ALIAS_BOMB = yaml_alias_bomb()


def test_markdown_yaml_alias_bomb_is_not_metadata_and_the_text_is_kept() -> None:
    with measured() as cost:
        output = read_markdown(ALIAS_BOMB.encode())

    assert output.title is None
    assert output.text == ALIAS_BOMB.strip("\n")  # front matter that is not metadata is text
    assert cost.peak_bytes < 4 * MiB
    assert cost.cpu_seconds < 2


def test_markdown_front_matter_with_a_few_aliases_is_still_metadata() -> None:
    source = "---\nauthor: &lead Ada Lovelace\nreviewer: *lead\ntitle: Notes\n---\nBody.\n"

    output = read_markdown(source.encode())

    assert (output.title, output.authors, output.text) == ("Notes", ("Ada Lovelace",), "Body.")


def test_markdown_front_matter_over_the_size_limit_is_text() -> None:
    padding = "x" * MAX_FRONT_MATTER_CHARACTERS
    source = f"---\ntitle: Big\nnote: {padding}\n---\nBody.\n"

    output = read_markdown(source.encode())

    assert output.title is None
    assert output.text.startswith("---\ntitle: Big\n") and output.text.endswith("---\nBody.")


def test_markdown_deeply_nested_front_matter_is_text() -> None:
    depth = MAX_FRONT_MATTER_DEPTH + 1
    source = f"---\ntitle: Deep\nx: {'[' * depth}{']' * depth}\n---\nBody.\n"

    output = read_markdown(source.encode())

    assert output.title is None and output.text.startswith("---\ntitle: Deep")


@pytest.mark.parametrize(
    ("front_matter", "title", "authors"),
    [
        ("title: [a, b]\nauthors: {x: 1}", "Heading", ()),
        ("title: {x: 1}\nauthors: [Ada, {x: 1}, [y], 7, Alan]", "Heading", ("Ada", "7", "Alan")),
        ("title: 2024-01-02\nauthor: 42", "2024-01-02", ("42",)),
        ("title: 3.5\nauthor: true", "3.5", ()),
        ('title: "A\\ud800B"', "A\ufffdB", ()),
    ],
    ids=["lists", "mappings", "date-and-int", "float-and-bool", "lone-surrogate"],
)
def test_markdown_metadata_comes_only_from_scalars(
    front_matter: str, title: str, authors: tuple[str, ...]
) -> None:
    output = read_markdown(f"---\n{front_matter}\n---\n# Heading\n\nBody.\n".encode())

    assert (output.title, output.authors) == (title, authors)
    assert output.text == "# Heading\n\nBody."


@pytest.mark.parametrize("date", ["2024-02-30", "0001-01-01T00:00:00+01:00"])
def test_markdown_impossible_date_costs_only_the_date(date: str) -> None:
    output = read_markdown(f"---\ntitle: Kept\ndate: {date}\n---\nBody.\n".encode())

    assert (output.title, output.created, output.text) == ("Kept", None, "Body.")


def test_markdown_explicitly_tagged_junk_makes_front_matter_text() -> None:
    output = read_markdown(b"---\ntitle: T\nwhen: !!timestamp soon\n---\nBody.\n")

    assert output.title is None and output.text.startswith("---\ntitle: T")


def test_markdown_author_field_with_a_newline_is_one_author() -> None:
    output = read_markdown(b'---\nauthor: "Ada\\nMallory; Bob \\u202e"\n---\nBody.\n')

    assert output.authors == ("Ada Mallory", "Bob")


def test_markdown_heading_with_a_long_run_of_spaces_is_fast() -> None:
    """The old heading pattern backtracked catastrophically: 5,000 spaces took 284 s of CPU."""
    source = "# Title" + " " * 2_000 + "end\n\nBody.\n"

    with measured() as cost:
        output = read_markdown(source.encode())

    assert output.title is not None and output.title.startswith("Title")
    assert cost.cpu_seconds < 2


# --- plain text and the text limit -------------------------------------------------------


def test_plain_utf8_text(tmp_path: Path) -> None:
    path = tmp_path / "plain.txt"
    path.write_bytes("Grüße, 世界!\r\nSecond line.\r\n".encode())

    output = read(path)

    assert output.text == "Grüße, 世界!\nSecond line.\n"
    assert output.encoding == "utf-8"
    assert output.encoding_fallback is False
    assert output.title is None
    assert output.authors == ()


def test_plain_text_limit_counts_characters_after_crlf_becomes_lf() -> None:
    data = b"abcd\r\n" * 2  # 10 characters once CRLF is LF

    assert read_plain_text(data, ReadLimits(max_characters=10)).text == "abcd\nabcd\n"
    reason = refusal(lambda: read_plain_text(data, ReadLimits(max_characters=9)))
    assert reason == "text has 10 characters, over max_document_characters=9"


def test_markdown_limit_counts_the_text_not_the_front_matter() -> None:
    data = b"---\ntitle: T\n---\n\n0123456789\n\n"

    assert read_markdown(data, ReadLimits(max_characters=10)).text == "0123456789"
    refusal(lambda: read_markdown(data, ReadLimits(max_characters=9)))
