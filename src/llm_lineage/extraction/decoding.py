"""Bytes to text: UTF-8 first, a detected encoding as a recorded fallback, junk refused."""

from __future__ import annotations

import codecs
from dataclasses import dataclass

from charset_normalizer import from_bytes

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
    text, encoding = best
    return _checked(text, encoding, fallback=True)


#: Western European text is by far the most common non-UTF-8 text; these are preferred when
#: they fit about as well as the detector's best guess (in this order).
PREFERRED_FALLBACKS = ("cp1252", "latin_1", "iso8859_15")
#: How much more "chaos" (charset_normalizer's mess ratio) a preferred encoding may show than the
#: best guess and still win. On short texts the detector cannot tell related single-byte code
#: pages apart and often ranks a wrong one first (Latin-1 French as cp1257, German as mac_iceland).
PREFERRED_CHAOS_TOLERANCE = 0.2


def _best_guess(data: bytes) -> tuple[str, str] | None:
    """The decoded text and its encoding, or None when no encoding fits."""
    matches = sorted(
        (match for match in from_bytes(data) if match.encoding),
        key=lambda match: (match.chaos, -match.coherence),
    )
    if not matches:
        return None
    least_chaos = matches[0].chaos
    for encoding in PREFERRED_FALLBACKS:
        for match in matches:
            if match.chaos > least_chaos + PREFERRED_CHAOS_TOLERANCE:
                break
            # could_be_from_charset: the encodings that decode these bytes to the same text
            if encoding in (match.encoding, *match.could_be_from_charset):
                try:
                    return data.decode(encoding), encoding
                except UnicodeDecodeError:
                    break
    return str(matches[0]), matches[0].encoding


def _checked(text: str, encoding: str, fallback: bool) -> DecodedText:
    if _control_share(text) > MAX_CONTROL_SHARE:
        raise DocumentError(
            f"binary content: decodes as {encoding} but is mostly control characters"
        )
    return DecodedText(text=text, encoding=encoding, fallback=fallback)
