"""HTML visible text and meta-tag metadata with selectolax (Lexbor: a fast, spec-compliant parser)."""

from __future__ import annotations

import re

from selectolax.lexbor import LexborHTMLParser

from llm_lineage.extraction.dates import parse_date
from llm_lineage.extraction.decoding import decode_text
from llm_lineage.extraction.model import ReaderOutput
from llm_lineage.extraction.readers.common import split_authors
from llm_lineage.versions import package_version

INVISIBLE_TAGS = ["script", "style", "noscript", "template", "svg", "head"]
_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?([A-Za-z0-9_\-:.]+)""", re.IGNORECASE)
_BLANK_LINES = re.compile(r"\n\s*\n+")
_SPACES = re.compile(r"[ \t\f\v]+")

_AUTHOR_META = ("author", "dc.creator", "dcterms.creator", "article:author")
_CREATED_META = (
    "article:published_time",
    "dcterms.created",
    "dc.date.created",
    "dc.date",
    "date",
    "datepublished",
)
_MODIFIED_META = ("article:modified_time", "dcterms.modified", "last-modified", "datemodified")


def library_version() -> str:
    return package_version("selectolax")


def _meta(tree: LexborHTMLParser) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for node in tree.css("meta"):
        key = node.attributes.get("name") or node.attributes.get("property")
        content = node.attributes.get("content")
        if key and content:
            found.setdefault(key.strip().lower(), []).append(content.strip())
    return found


def _first(meta: dict[str, list[str]], keys: tuple[str, ...]) -> str | None:
    for key in keys:
        if meta.get(key):
            return meta[key][0]
    return None


BLOCK_TAGS = (
    "address,article,aside,blockquote,br,dd,div,dl,dt,fieldset,figcaption,figure,footer,form,"
    "h1,h2,h3,h4,h5,h6,header,hr,li,main,nav,ol,p,pre,section,table,td,th,tr,ul"
)


def _visible_text(tree: LexborHTMLParser) -> str:
    """Text as a reader sees it: inline markup joins words, block elements break lines."""
    root = tree.body or tree.root
    if root is None:
        return ""
    for node in root.css(BLOCK_TAGS):
        node.insert_after("\n")
    raw = root.text(separator="", strip=False)
    lines = (_SPACES.sub(" ", line).strip() for line in raw.splitlines())
    return _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()


def read_html(data: bytes) -> ReaderOutput:
    declared = _CHARSET.search(data[:4096])
    decoded = decode_text(data, declared.group(1).decode("ascii") if declared else None)
    tree = LexborHTMLParser(decoded.text)
    meta = _meta(tree)
    title_node = tree.css_first("title")
    title = (title_node.text(strip=True) if title_node else None) or _first(meta, ("og:title",))
    authors: list[str] = []
    for key in _AUTHOR_META:
        for value in meta.get(key, []):
            authors.extend(split_authors(value))
    tree.strip_tags(INVISIBLE_TAGS)
    return ReaderOutput(
        text=_visible_text(tree),
        title=title or None,
        authors=tuple(dict.fromkeys(authors)),
        created=parse_date(_first(meta, _CREATED_META)),
        modified=parse_date(_first(meta, _MODIFIED_META)),
        encoding=decoded.encoding,
        encoding_fallback=decoded.fallback,
    )
