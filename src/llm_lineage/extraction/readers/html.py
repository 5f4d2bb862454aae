"""HTML visible text and meta-tag metadata with selectolax (Lexbor: a fast, spec-compliant parser).

Lexbor follows the HTML tree-construction algorithm, which scans the stack of open elements at
every block start tag: a chain of nested ``<div>`` elements takes time that grows with the
square of its depth (0.2 s at 10,000 deep, 6 s at 40,000, minutes at 200,000). A linear pre-scan
of the tags refuses documents nested deeper than MAX_HTML_DEPTH before Lexbor sees them.
"""

from __future__ import annotations

import itertools
import re
from functools import cache

from selectolax.lexbor import LexborHTMLParser

from llm_lineage.common.versions import package_version
from llm_lineage.extraction.dates import parse_date
from llm_lineage.extraction.decoding import decode_text
from llm_lineage.extraction.limits import (
    DEFAULT_LIMITS,
    MAX_HTML_DEPTH,
    ReadLimits,
    check_text_length,
    clean_title,
)
from llm_lineage.extraction.model import DocumentError, ReaderOutput
from llm_lineage.extraction.readers import INVISIBLE_HTML_TAGS
from llm_lineage.extraction.readers.common import authors_from

INVISIBLE_TAGS = list(INVISIBLE_HTML_TAGS)
_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?([A-Za-z0-9_\-:.]+)""", re.IGNORECASE)
#: Three or more line breaks (lines are stripped first, so a blank line is empty).
_BLANK_LINES = re.compile("\n\n\n+")
#: Runs of spaces that fold to one space (tabs are spaces by then). Two literal spaces lead the
#: pattern, so the regex engine jumps between candidates at C speed: 8x faster than
#: ``[ \t]{2,}|\t`` on prose, where nearly every word ends at a lone space that the
#: character-class pattern stops at.
_SPACES = re.compile("  +")

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


#: A start or end tag up to its ``>`` (group 3 is None when no ``>`` follows: the tag runs to
#: the end), or a comment's opening (``<!--``, all groups None). One match per tag, and no
#: markup inside attribute values (``<p title='<i'>``) is seen as a tag.
_TAG = re.compile(r"<(?:(/?)([A-Za-z][^\s/>]*)[^>]*(>)?|!--)")
#: How a comment ends: at once for ``<!-->`` and ``<!--->``, else at ``-->`` or ``--!>``.
_EMPTY_COMMENT_END = re.compile(r"-?>")
_COMMENT_END = re.compile(r"--!?>")
#: Elements whose content is text, not markup: tags inside them do not nest (in HTML; inside
#: SVG and MathML they are ordinary elements).
_RAW_TEXT = frozenset(
    ("script", "style", "textarea", "title", "xmp", "iframe", "noembed", "noframes")
)
#: Elements that cannot build a chain by themselves: void elements have no content, and the
#: others' end tags are implied by the next sibling (a ``<p>`` closes an open ``<p>``).
_NEVER_NEST = frozenset((
    "area", "base", "basefont", "bgsound", "br", "col", "embed", "frame", "hr", "img", "input",
    "keygen", "link", "meta", "param", "source", "track", "wbr",  # void
    "p", "li", "dt", "dd", "option", "optgroup", "rb", "rt", "rtc", "rp", "tr", "td", "th",
    "thead", "tbody", "tfoot", "colgroup", "caption", "html", "head", "body",  # implied end
))  # fmt: skip
#: Where ``<x/>`` closes itself: inside these (and ``<svg/>``, ``<math/>`` themselves).
_FOREIGN = frozenset(("svg", "math"))
#: HTML start tags that end SVG or MathML content ("in foreign content" in the HTML standard),
#: with ``font`` always (the standard: only with a color, face or size attribute).
_BREAKOUT = frozenset((
    "b", "big", "blockquote", "body", "br", "center", "code", "dd", "div", "dl", "dt", "em",
    "embed", "font", "h1", "h2", "h3", "h4", "h5", "h6", "head", "hr", "i", "img", "li",
    "listing", "menu", "meta", "nobr", "ol", "p", "pre", "ruby", "s", "small", "span",
    "strong", "strike", "sub", "sup", "table", "tt", "u", "ul", "var",
))  # fmt: skip
#: End tags that end SVG or MathML content.
_BREAKOUT_END = frozenset(("br", "p"))


@cache
def _raw_text_end(name: str) -> re.Pattern[str]:
    return re.compile(rf"</{name}(?=[\s/>])", re.IGNORECASE)


class _OpenElements:
    """The stack of open elements as the tags alone tell it, with a count of each name so that
    an end tag finds what it closes without searching the stack, and the deepest it has been.
    """

    def __init__(self) -> None:
        self.names: list[str] = []
        self.count: dict[str, int] = {}
        self.foreign = 0  # open svg and math elements
        self.deepest = 0
        self.where = 0  # character offset of the start tag that first reached ``deepest``

    def push(self, name: str, where: int) -> None:
        self.names.append(name)
        self.count[name] = self.count.get(name, 0) + 1
        self.foreign += name in _FOREIGN
        if len(self.names) > self.deepest:
            self.deepest, self.where = len(self.names), where

    def close(self, name: str) -> None:
        """An end tag closes the innermost element of its name and all inside it; an end tag
        with nothing to close is ignored (as the parser ignores it)."""
        if not self.count.get(name):
            return
        names, count = self.names, self.count
        while True:
            gone = names.pop()
            count[gone] -= 1
            if gone in _FOREIGN:
                self.foreign -= 1
            if gone == name:
                return

    def leave_foreign(self) -> None:
        while self.foreign:
            gone = self.names.pop()
            self.count[gone] -= 1
            self.foreign -= gone in _FOREIGN


def _nesting_depth(html: str, stop_above: int) -> tuple[int, int]:
    """The deepest element nesting and where it is reached, from the tags alone, in one pass.

    An estimate that errs deep: implied end tags other than ``_NEVER_NEST``'s are not
    modelled. Every ``<name`` is looked at and its tag skipped to the next ``>``, so markup
    inside attribute values is not counted. Stops once past ``stop_above``. Returns (depth,
    character offset).
    """
    stack = _OpenElements()
    position: int | None = 0
    while position is not None:
        position = _scan(html, position, stack, stop_above)
    return stack.deepest, stack.where


def _scan(html: str, position: int, stack: _OpenElements, stop_above: int) -> int | None:
    """Walk the tags from ``position`` into ``stack``; returns where to go on after text that is
    not markup (a comment, a raw-text element), or None at the end of the tags.

    The hot path of every HTML document, so the common tags cost one regular-expression step
    and a few set look-ups: the start and end tags of ``_NEVER_NEST`` elements change nothing
    outside SVG and MathML (they are never pushed, so their end tags close nothing).
    """
    push, close = stack.push, stack.close
    for match in _TAG.finditer(html, position):
        closing, name, closed = match.groups()
        if name is None:  # a comment
            ends = _EMPTY_COMMENT_END.match(html, match.end())
            ends = ends or _COMMENT_END.search(html, match.end())
            return None if ends is None else ends.end()
        if closed is None:
            return None  # an unclosed tag runs to the end: no more tags
        if not stack.foreign and name in _NEVER_NEST:
            continue
        name = name.lower()
        if stack.foreign and (name in _BREAKOUT_END if closing else name in _BREAKOUT):
            stack.leave_foreign()
        if closing:
            close(name)
        elif name in _NEVER_NEST:
            continue
        elif not stack.foreign and name in _RAW_TEXT:
            ends = _raw_text_end(name).search(html, match.end())
            return None if ends is None else ends.end()
        elif name == "plaintext" and not stack.foreign:
            return None  # everything after it is text
        elif html[match.end() - 2] != "/" or not (stack.foreign or name in _FOREIGN):
            push(name, match.start())  # in HTML, <div/> opens a div: the slash means nothing
            if stack.deepest > stop_above:
                return None
    return None


def _check_depth(html: str) -> None:
    """Refuse a page nested deeper than MAX_HTML_DEPTH. The scan pushes an element only at a
    ``<`` followed by a letter (``_TAG``), never at ``</`` or ``<!``: a page with no more such
    start tags than the limit cannot nest deeper and is not scanned (C-speed counts, about a
    tenth of a millisecond for a 50 KB page)."""
    if html.count("<") - html.count("</") - html.count("<!") <= MAX_HTML_DEPTH:
        return
    depth, where = _nesting_depth(html, MAX_HTML_DEPTH)
    if depth > MAX_HTML_DEPTH:
        raise DocumentError(
            f"HTML nests elements over {MAX_HTML_DEPTH:,} deep (at character {where:,}), the "
            "deepest read: parse time grows with the square of the depth"
        )


def _visible_text(tree: LexborHTMLParser) -> str:
    """Text as a reader sees it: inline markup joins words, block elements break lines."""
    root = tree.body or tree.root
    if root is None:
        return ""
    for node in root.css(BLOCK_TAGS):
        node.insert_after("\n")
    return fold_whitespace(root.text(separator="", strip=False))


def fold_whitespace(raw: str) -> str:
    """Lines as a reader sees them: no space at either end, runs of spaces and tabs as one
    space, runs of blank lines as one."""
    # Line breaks first (splitlines' set, which includes \v and \f), then one pass of the
    # space rule over the whole text instead of one per line: each run of spaces and tabs
    # becomes one space.
    spaced = "\n".join(raw.splitlines())
    if "\t" in spaced:
        spaced = spaced.replace("\t", " ")
    if "  " in spaced:
        spaced = _SPACES.sub(" ", spaced)
    # Each line stripped (``str.strip``: the same whitespace as the regular expressions' ``\s``),
    # so a blank line is empty and blank runs are runs of line breaks. ``str.strip`` per line is
    # 5x faster than one regular expression for the whitespace around each break, which has no
    # literal to skip ahead to and tries every space of the text.
    lines = "\n".join([line.strip() for line in spaced.split("\n")])
    return _BLANK_LINES.sub("\n\n", lines).strip()


def read_html(data: bytes, limits: ReadLimits = DEFAULT_LIMITS) -> ReaderOutput:
    """Visible text and metadata; too deep a document is refused before it is parsed.

    The text limit is checked on the visible text: markup can make the decoded page much
    longer than its text, so the page's own length is no reason to refuse it.
    """
    declared = _CHARSET.search(data[:4096])
    decoded = decode_text(data, declared.group(1).decode("ascii") if declared else None)
    _check_depth(decoded.text)
    tree = LexborHTMLParser(decoded.text)
    meta = _meta(tree)
    title_node = tree.css_first("title")
    title = (title_node.text(strip=True) if title_node else None) or _first(meta, ("og:title",))
    author_fields = itertools.chain.from_iterable(meta.get(key, []) for key in _AUTHOR_META)
    tree.strip_tags(INVISIBLE_TAGS)
    text = _visible_text(tree)
    check_text_length(len(text), limits)
    return ReaderOutput(
        text=text,
        title=clean_title(title),
        authors=authors_from(author_fields),
        created=parse_date(_first(meta, _CREATED_META)),
        modified=parse_date(_first(meta, _MODIFIED_META)),
        encoding=decoded.encoding,
        encoding_fallback=decoded.fallback,
    )
