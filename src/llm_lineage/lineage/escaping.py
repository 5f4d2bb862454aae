r"""Strings an event may hold: unsafe characters as visible escapes, and cuts that say so.

C0 and C1 control characters, DEL, U+2028/U+2029, bidirectional embeddings, overrides and
isolates (U+202A-U+202E, U+2066-U+2069) and lone surrogates become ``\x00`` or ``\u202e``:
escaped, not removed, so a catalog still shows that a title or a path held one. A cut string
ends in CUT_MARKER, within its limit, and never in half an escape. Used by the event bounds
(``lineage/bounds.py``).
"""

from __future__ import annotations

import re

#: Ends a cut string, within its limit, so a reader knows there was more.
CUT_MARKER = "[...]"

_UNSAFE_OUTSIDE_LINES = (
    r"\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff"
)
_UNSAFE_KEEPING_LINES = re.compile(f"[{_UNSAFE_OUTSIDE_LINES}]")
_UNSAFE = re.compile(rf"[\t\n{_UNSAFE_OUTSIDE_LINES}]")


def escape_controls(text: str, keep_lines: bool = False) -> str:
    r"""``text`` with every unsafe character as a visible ``\xNN`` or ``\uNNNN`` escape.

    ``keep_lines`` keeps ``\t`` and ``\n``.
    """
    return (_UNSAFE_KEEPING_LINES if keep_lines else _UNSAFE).sub(_visible, text)


def _visible(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def cut(text: str, limit: int) -> str:
    """``text`` in at most ``limit`` characters, ending in CUT_MARKER when it was longer."""
    if len(text) <= limit:
        return text
    kept = text[: limit - len(CUT_MARKER)]
    backslash = kept.rfind("\\", len(kept) - 5)  # never end in half an escape such as \u20
    return (kept[:backslash] if backslash != -1 else kept) + CUT_MARKER
