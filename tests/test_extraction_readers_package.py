"""The ZIP package checks (readers/package.py) and the OPC part lookup (readers/opc.py), through
the DOCX reader: zip bombs, lying ZIP directories, and parts found as python-docx finds them."""

from __future__ import annotations

import io
import zipfile
import zlib
from pathlib import Path

import docx
import pytest

from documents import (
    ZipEntry,
    docx_entries,
    make_bad_documents,
    repeated_deflate,
    replace_entry,
    write_zip,
    zip_bomb_docx,
)
from llm_lineage.extraction import DocumentError
from llm_lineage.extraction.limits import MAX_PACKAGE_PARTS, ReadLimits
from llm_lineage.extraction.readers.docx import read_docx
from readers_fixtures import (
    MiB,
    measured,
    part_of,
    read,
    read_docx_bytes,
    refusal,
    rezipped,
    small_docx,
)

# --- OPC parts ---------------------------------------------------------------------------


def test_docx_main_part_is_found_through_the_package_relationships() -> None:
    """The main document is where ``_rels/.rels`` points, and a Word document by the override
    in ``[Content_Types].xml`` (matched without regard to case): here ``body/main.xml``."""
    data = small_docx()
    types = part_of(data, "[Content_Types].xml")
    moved = rezipped(
        data,
        {
            "word/document.xml": None,
            "body/main.xml": part_of(data, "word/document.xml"),
            "_rels/.rels": part_of(data, "_rels/.rels").replace(
                b"word/document.xml", b"body/main.xml"
            ),
            "[Content_Types].xml": types.replace(b"/word/document.xml", b"/BODY/Main.xml"),
        },
    )

    output = read_docx_bytes(moved)

    assert (output.text, output.title) == ("First paragraph.", "Small")
    assert docx.Document(io.BytesIO(moved)).paragraphs[0].text == "First paragraph."


def test_docx_parts_other_than_the_text_and_metadata_are_not_parsed() -> None:
    """Styles, settings and the rest are never parsed (python-docx's ``Document()`` parses them
    all), so damage there costs nothing; damage in the main part still refuses the document."""
    data = small_docx()

    output = read_docx_bytes(rezipped(data, {"word/styles.xml": b"<w:styles"}))

    assert output.text == "First paragraph."
    with pytest.raises(DocumentError, match=r"^corrupt DOCX: "):
        read_docx_bytes(rezipped(data, {"word/document.xml": b"<w:document"}))


def test_docx_whose_main_part_is_not_a_word_document_is_refused() -> None:
    data = small_docx()
    types = part_of(data, "[Content_Types].xml")
    template = types.replace(b"document.main+xml", b"template.main+xml")

    with pytest.raises(DocumentError) as caught:
        read_docx_bytes(rezipped(data, {"[Content_Types].xml": template}))

    assert caught.value.reason == (
        "corrupt DOCX: not a Word document, its main part /word/document.xml is "
        "application/vnd.openxmlformats-officedocument.wordprocessingml.template.main+xml"
    )


# --- zip bombs and lying ZIP directories -------------------------------------------------


def test_docx_that_is_not_a_zip_reason(tmp_path: Path) -> None:
    path = make_bad_documents(tmp_path)["corrupt DOCX"]

    with pytest.raises(DocumentError) as caught:
        read(path)

    assert caught.value.reason == "corrupt DOCX: not a ZIP package"


def test_docx_zip_bomb_is_refused_from_its_directory_before_anything_inflates() -> None:
    bomb = zip_bomb_docx(300 * MiB)  # about 1 MB on disk; python-docx would take gigabytes
    assert len(bomb) < 2 * MiB

    with measured() as cost:
        reason = refusal(lambda: read_docx(bomb))

    assert reason.startswith("DOCX expands to 3")
    assert "bytes, over max_expanded_bytes=268,435,456 (a zip bomb?)" in reason
    assert reason.endswith(" bytes") and "word/document.xml alone is 31" in reason
    assert cost.peak_bytes < 16 * MiB
    assert cost.cpu_seconds < 5


def test_docx_expanded_size_counts_every_part() -> None:
    package = write_zip(docx_entries(title="Small"))
    with zipfile.ZipFile(io.BytesIO(package)) as archive:
        expanded = sum(info.file_size for info in archive.infolist())

    assert read_docx(package, ReadLimits(max_expanded_bytes=expanded)).title == "Small"
    reason = refusal(lambda: read_docx(package, ReadLimits(max_expanded_bytes=expanded - 1)))
    assert reason.startswith(f"DOCX expands to {expanded:,} bytes, over max_expanded_bytes=")


def _lying_entry(name: str, real_bytes: int, declared: int, crc_of_prefix: bool) -> ZipEntry:
    """A part that declares ``declared`` bytes and really inflates to ``real_bytes``."""
    real = repeated_deflate(name, b"", b"a" * MiB, real_bytes // MiB, b"")
    crc = zlib.crc32(b"a" * declared) if crc_of_prefix else real.crc
    return ZipEntry(name, real.compressed, crc, declared)


@pytest.mark.parametrize("crc_of_prefix", [True, False], ids=["prefix-crc", "real-crc"])
def test_zipfile_cuts_a_lying_part_at_its_declared_size_but_read_inflates_it_whole(
    crc_of_prefix: bool,
) -> None:
    """What the DOCX reader must not rely on: the declared size bounds what ``zipfile`` returns
    (and a longer part fails the CRC check), but not the memory ``ZipFile.read()`` uses."""
    archive = write_zip([_lying_entry("big.txt", 32 * MiB, 1024, crc_of_prefix)])

    def read_all() -> bytes:
        with zipfile.ZipFile(io.BytesIO(archive)) as package:
            return package.read("big.txt")

    def read_in_steps() -> bytes:
        with zipfile.ZipFile(io.BytesIO(archive)) as package, package.open("big.txt") as part:
            return b"".join(iter(lambda: part.read(64 * 1024), b""))

    readers = ((read_all, 32 * MiB, None), (read_in_steps, 0, MiB))
    for read_part, peak_at_least, peak_below in readers:
        with measured() as cost:
            if crc_of_prefix:
                assert read_part() == b"a" * 1024
            else:
                with pytest.raises(zipfile.BadZipFile, match="Bad CRC-32"):
                    read_part()
        assert cost.peak_bytes >= peak_at_least
        assert peak_below is None or cost.peak_bytes < peak_below


@pytest.mark.parametrize("crc_of_prefix", [True, False], ids=["prefix-crc", "real-crc"])
@pytest.mark.parametrize("part", ["word/document.xml", "word/styles.xml"])  # read, not read
def test_docx_part_that_inflates_past_its_declared_size_is_refused(
    crc_of_prefix: bool, part: str
) -> None:
    liar = _lying_entry(part, 32 * MiB, 4096, crc_of_prefix)
    package = write_zip(replace_entry(docx_entries(), liar))

    with measured() as cost:
        reason = refusal(lambda: read_docx(package))

    assert reason == (
        f"DOCX part {part} inflates past the 4,096 bytes its ZIP directory declares (a zip bomb?)"
    )
    assert cost.peak_bytes < 8 * MiB  # ZipFile.read() would hold the 32 MiB


def test_docx_with_too_many_parts_is_refused() -> None:
    entries = docx_entries() + [
        ZipEntry(f"customXml/item{i}.xml", b"\x03\x00", 0, 0) for i in range(MAX_PACKAGE_PARTS)
    ]

    reason = refusal(lambda: read_docx(write_zip(entries)))

    assert reason == "DOCX has more than 10,000 parts (ZIP entries), the most read"


def test_docx_part_compressed_with_bzip2_is_refused() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_BZIP2) as package:
        for entry in docx_entries():
            package.writestr(entry.name, zlib.decompress(entry.compressed, -15))

    reason = refusal(lambda: read_docx(buffer.getvalue()))

    assert reason == (
        "DOCX part [Content_Types].xml uses ZIP compression method 12; only stored and "
        "deflated parts are read"
    )
