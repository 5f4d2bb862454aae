"""Bytes to text: UTF-8 first, a detected encoding as a recorded fallback, junk refused."""

from __future__ import annotations

import codecs
from dataclasses import dataclass

from charset_normalizer import CharsetMatch, from_bytes

from llm_lineage.extraction.model import DocumentError

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
#: Share of control characters above which decoded "text" is taken to be binary data.
MAX_CONTROL_SHARE = 0.02


@dataclass(frozen=True)
class DecodedText:
    text: str
    encoding: str
    fallback: bool


def _control_share(text: str) -> float:
    if not text:
        return 0.0
    controls = sum(1 for ch in text if ch < " " and ch not in "\t\n\r\f\v")
    return controls / len(text)


def decode_text(data: bytes, declared: str | None = None) -> DecodedText:
    """Decode document bytes; raise DocumentError for binary or undecodable content."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return _checked(data.decode(encoding, errors="strict"), encoding, fallback=False)
    if b"\x00" in data:
        raise DocumentError("binary content (NUL bytes), not text")
    if declared:
        try:
            return _checked(data.decode(declared), codecs.lookup(declared).name, fallback=False)
        except (LookupError, UnicodeDecodeError):
            pass
    try:
        return _checked(data.decode("utf-8"), "utf-8", fallback=False)
    except UnicodeDecodeError as exc:
        utf8_error = exc
    best = _best_guess(data)
    if best is None:
        raise DocumentError(
            f"undecodable text: not UTF-8 ({utf8_error.reason} at byte {utf8_error.start}) "
            "and no other encoding fits"
        )
    return _checked(str(best), best.encoding, fallback=True)


#: Among equally plausible single-byte guesses, Western European text is by far the most common.
PREFERRED_FALLBACKS = ("cp1252", "latin_1", "iso8859_15")


def _best_guess(data: bytes) -> CharsetMatch | None:
    matches = [match for match in from_bytes(data) if match.encoding]
    if not matches:
        return None
    least_chaos = min(match.chaos for match in matches)
    tied = [match for match in matches if match.chaos == least_chaos]
    for encoding in PREFERRED_FALLBACKS:
        for match in tied:
            if match.encoding == encoding:
                return match
    return max(tied, key=lambda match: match.coherence)


def _checked(text: str, encoding: str, fallback: bool) -> DecodedText:
    if _control_share(text) > MAX_CONTROL_SHARE:
        raise DocumentError(
            f"binary content: decodes as {encoding} but is mostly control characters"
        )
    return DecodedText(text=text, encoding=encoding, fallback=fallback)
