"""How bytes become text (extraction/decoding.py), through the plain text reader: UTF-8, the
fallback charsets, byte order marks, and binary content refused."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from documents import make_bad_documents
from llm_lineage.extraction import DocumentError, decoding
from llm_lineage.extraction.readers.text import read_plain_text
from readers_fixtures import MiB, read, refusal

# --- fallback charsets -------------------------------------------------------------------


def test_latin1_text_round_trips_with_fallback_recorded(tmp_path: Path) -> None:
    path = tmp_path / "menu.txt"
    path.write_bytes("Café crème brûlée".encode("latin-1"))

    output = read(path)

    assert output.text == "Café crème brûlée"
    assert output.encoding == "cp1252"
    assert output.encoding_fallback is True


@pytest.mark.parametrize(
    "sentence",
    [
        "Il était une fois une crème brûlée à la française, déjà très célèbre.",
        "Größe und Übermaß: schöne Grüße aus München.",
        "El niño comió piñata y jalapeño en la montaña.",
    ],
    ids=["french", "german", "spanish"],
)
def test_latin1_western_european_sentences_decode_without_mojibake(
    tmp_path: Path, sentence: str
) -> None:
    path = tmp_path / "western.txt"
    path.write_bytes(sentence.encode("latin-1"))

    output = read(path)

    assert output.text == sentence
    assert output.encoding == "cp1252"
    assert output.encoding_fallback is True


def test_cp1251_cyrillic_is_not_forced_to_western(tmp_path: Path) -> None:
    sentence = "Привет, мир! Это простой текст на русском языке для проверки."
    path = tmp_path / "ru.txt"
    path.write_bytes(sentence.encode("cp1251"))

    output = read(path)

    assert output.text == sentence
    assert output.encoding == "cp1251"
    assert output.encoding_fallback is True


def test_charset_detection_looks_at_a_sample_and_the_whole_file_must_decode(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    seen: list[int] = []
    detect = decoding.from_bytes

    def recording_from_bytes(data: bytes) -> object:
        seen.append(len(data))
        return detect(data)

    monkeypatch.setattr(decoding, "from_bytes", recording_from_bytes)
    sentence = "Il était une fois une crème brûlée à la française, déjà très célèbre.\n"
    # 0x81 is undefined in cp1252, the detector's first choice; it comes after the sample
    data = (sentence * (3 * MiB // len(sentence))).encode("cp1252") + b"caf\x81\n"

    output = read_plain_text(data)

    assert seen and max(seen) <= decoding.DETECTION_SAMPLE_BYTES
    assert (output.encoding, output.encoding_fallback) == ("latin_1", True)
    assert output.text == data.decode("latin_1")


# --- refused -----------------------------------------------------------------------------


def test_binary_junk_named_txt_reason(tmp_path: Path) -> None:
    path = make_bad_documents(tmp_path)["binary content"]

    with pytest.raises(DocumentError) as caught:
        read(path)

    assert caught.value.reason == "binary content (NUL bytes), not text"


def test_control_characters_without_nul_are_binary(tmp_path: Path) -> None:
    path = tmp_path / "controls.txt"
    path.write_bytes(bytes(range(1, 32)) * 20)

    with pytest.raises(DocumentError) as caught:
        read(path)

    assert caught.value.reason == (
        "binary content: decodes as utf-8 but is mostly control characters"
    )


def test_text_with_a_utf16_byte_order_mark_but_broken_utf16_is_refused() -> None:
    reason = refusal(lambda: read_plain_text(b"\xff\xfeA\x00\x00\xd8"))  # a lone surrogate

    assert reason.startswith("undecodable text: starts with a utf-16 byte order mark but is not")


def test_utf8_controls_counted_from_the_bytes_agree_with_the_text_rule() -> None:
    """The byte count (UTF-8 fast path) decides exactly as the regex over the decoded text.

    Random texts mix C0 controls, whitespace controls, multi-byte characters and letters at
    every share, around the MAX_CONTROL_SHARE boundary; a wrong byte table or an off-by-one at
    the limit shows as a disagreement.
    """
    rng = random.Random(7)
    alphabet = [chr(c) for c in range(0x30)] + ["é", "漢", "😀", "a", " ", "\n", "\x7f"]
    binary = 0
    for _ in range(5_000):
        share = rng.random() * 0.06
        text = "".join(
            rng.choice(alphabet) if rng.random() < share else "x"
            for _ in range(rng.randint(0, 400))
        )
        by_text = decoding._mostly_controls(text)
        assert decoding._mostly_control_bytes(text.encode("utf-8"), len(text)) == by_text
        binary += by_text
    assert 500 < binary < 4_500  # both answers were exercised
    big = ("x" * 99 + "\x01") * 30_000  # 3 MB: counted over several slices, 1% controls
    assert not decoding._mostly_control_bytes(big.encode(), len(big))
    assert decoding._mostly_control_bytes((big * 3).encode(), len(big))
