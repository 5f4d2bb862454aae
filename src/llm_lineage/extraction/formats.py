"""Which reader handles which file: by extension, with its MIME type."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class DocumentFormat:
    name: str
    mime_type: str


FORMATS: dict[str, DocumentFormat] = {
    ".pdf": DocumentFormat("pdf", "application/pdf"),
    ".docx": DocumentFormat(
        "docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    ),
    ".html": DocumentFormat("html", "text/html"),
    ".htm": DocumentFormat("html", "text/html"),
    ".md": DocumentFormat("markdown", "text/markdown"),
    ".markdown": DocumentFormat("markdown", "text/markdown"),
    ".txt": DocumentFormat("text", "text/plain"),
    ".text": DocumentFormat("text", "text/plain"),
}


def format_for(filename: str) -> DocumentFormat | None:
    """Return the format that handles ``filename``, or None when no reader does."""
    dot = filename.rfind(".")
    if dot < 0:
        return None
    return FORMATS.get(filename[dot:].lower())
