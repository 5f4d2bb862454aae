"""The HTML reader (selectolax) on real pages: visible text, meta tags, charsets, nesting depth."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from selectolax.lexbor import LexborHTMLParser

from documents import make_html
from llm_lineage.extraction.limits import DEFAULT_LIMITS, MAX_HTML_DEPTH, ReadLimits
from llm_lineage.extraction.readers import READERS
from llm_lineage.extraction.readers.html import read_html
from readers_fixtures import UTC, measured, read, refusal

# --- good documents ----------------------------------------------------------------------


def test_html_visible_text_only_and_meta_tags(tmp_path: Path) -> None:
    path = make_html(
        tmp_path / "article.html",
        "<h1>Rivers</h1><p>Water is <b>always</b> moving.</p><div>Second block</div>",
        title="River Article",
        author="Grace Hopper; Alan Turing",
        published="2024-03-01T10:00:00+02:00",
        modified="2024-03-05T12:00:00Z",
    )

    output = read(path)

    assert output.text == "Rivers\nWater is always moving.\nSecond block"
    for hidden in ("SCRIPT TEXT", "also hidden", "color: red", "River Article"):
        assert hidden not in output.text
    assert output.title == "River Article"
    assert output.authors == ("Grace Hopper", "Alan Turing")
    assert output.created == dt.datetime(2024, 3, 1, 8, 0, tzinfo=UTC)
    assert output.modified == dt.datetime(2024, 3, 5, 12, 0, tzinfo=UTC)
    assert output.encoding == "utf-8"
    assert output.encoding_fallback is False


def test_html_whitespace_folds_to_single_spaces_and_blank_lines() -> None:
    """Runs of spaces and tabs become one space, \\f and \\v break lines, lines are stripped,
    blank lines fold to one; other Unicode spaces inside a line are kept."""
    page = (
        "<html><body><p>Tabs\t\tand  runs   of\tspaces, a\fform feed,\va vertical tab</p>\n"
        "   \n\t\n<div> \xa0 padded\t </div><pre>one\n\n\n\nafter blank lines</pre>"
        "x<span> </span>y\u2003\u2003z</body></html>"
    )

    output = READERS["html"].read(page.encode(), DEFAULT_LIMITS)

    assert output.text == (
        "Tabs and runs of spaces, a\nform feed,\na vertical tab\n\npadded\n"
        "one\n\nafter blank lines\nx y\u2003\u2003z"
    )


def test_html_declared_charset_is_used(tmp_path: Path) -> None:
    path = tmp_path / "latin.html"
    path.write_bytes(
        "<html><head><meta charset='iso-8859-1'><title>Menu</title></head>"
        "<body><p>Café crème</p></body></html>".encode("latin-1")
    )

    output = read(path)

    assert output.text == "Café crème"
    assert output.title == "Menu"
    assert output.encoding == "iso8859-1"
    assert output.encoding_fallback is False


# --- nesting depth -----------------------------------------------------------------------


def nested(depth: int, tag: str = "div", closing: str | None = None) -> bytes:
    """``depth`` nested elements, each holding a word, then ``closing`` (default: their ends)."""
    ends = f"</{tag}>" * depth if closing is None else closing
    return f"<!doctype html><html><body>{f'<{tag}>x' * depth}{ends}</body></html>".encode()


def test_html_nested_200000_deep_is_refused_before_parsing() -> None:
    with measured() as cost:
        reason = refusal(lambda: read_html(nested(200_000)))

    assert reason == (
        "HTML nests elements over 512 deep (at character 3,099), the deepest read: parse "
        "time grows with the square of the depth"
    )
    assert cost.cpu_seconds < 2  # parsing it took 173 s


def test_html_at_the_depth_limit_is_read_and_one_deeper_is_not() -> None:
    assert read_html(nested(MAX_HTML_DEPTH)).text == "x" * MAX_HTML_DEPTH

    refusal(lambda: read_html(nested(MAX_HTML_DEPTH + 1)))


def test_html_depth_scan_runs_once_a_page_has_more_tags_than_the_limit() -> None:
    """Pages with no more ``<`` than the limit skip the scan: the first one past it is scanned."""
    assert read_html(b"<div>" * MAX_HTML_DEPTH).text == ""

    reason = refusal(lambda: read_html(b"<div>" * (MAX_HTML_DEPTH + 1)))

    assert reason.startswith("HTML nests elements over 512 deep (at character 2,560)")


@pytest.mark.parametrize(
    "document",
    [
        nested(2000, "span", closing="</i>" * 2000),  # stray end tags that close nothing
        nested(2000, "div", closing=""),  # never closed
        b"<body>" + b"<div/>" * 2000 + b"</body>",  # <div/> opens a div in HTML
        b"<body>" + b"<div></i>" * 2000 + b"</body>",
        # SVG ends at an HTML tag (and <svg/> at once): <path/> after that opens an element
        b"<body><svg><br>" + b"<path/>" * 2000,
        b"<body><svg></p>" + b"<path/>" * 2000,
        b"<body><svg><font color=red>" + b"<path/>" * 2000,
        b"<body><svg/>" + b"<path/>" * 2000,
        b"<body><svg><style>" + b"<div>" * 2000,  # no raw text inside SVG
        # comments that end without "-->"
        b"<body><!-- a --!>" + b"<div>" * 2000,
        b"<body><!-->" + b"<div>" * 2000,
        b"<body><!--->" + b"<div>" * 2000,
    ],
    ids=[
        "stray-end-tags",
        "unclosed",
        "self-closing-div",
        "interleaved-stray-end-tags",
        "svg-left-by-br",
        "svg-left-by-end-p",
        "svg-left-by-font",
        "self-closing-svg",
        "style-in-svg",
        "comment-ending-bang",
        "empty-comment",
        "empty-comment-dash",
    ],
)
def test_html_depth_cannot_be_hidden(document: bytes) -> None:
    last = list(LexborHTMLParser(document.decode()).root.traverse())[-1]
    ancestors = 0
    while (last := last.parent) is not None:
        ancestors += 1
    assert ancestors > 2000  # what the parser builds: as deep as it looks
    assert refusal(lambda: read_html(document)).startswith("HTML nests elements over 512 deep")


def test_html_depth_scan_skips_what_is_not_markup() -> None:
    scripts = "<script>for (i = 0; i<n; i++) { if (a<b) {} }</script>" * 600
    page = (
        f"<html><head><title><b><b><b></title>{scripts}</head><body>"
        + "<!-- <div><div> -->" * 600
        + "<svg>" + "<path d='M0'/>" * 2000 + "</svg>"
        + "<p title='<i<i<i'>One</p>" * 600
        + "<ul><li>a<li>b<li>c</ul><p>x<p>y<p>z"
        + "</body></html>"
    )  # fmt: skip

    output = read_html(page.encode())

    assert output.title == "<b><b><b>"  # title text is not markup
    assert output.text == "One\n" * 600 + "a\nb\nc\n\nx\ny\nz"


# --- text limit and metadata -------------------------------------------------------------


def test_html_text_over_the_limit_is_refused() -> None:
    page = b"<html><body><p>" + b"word " * 30_000 + b"</p></body></html>"

    reason = refusal(lambda: read_html(page, ReadLimits(max_characters=100_000)))

    assert reason == "text has 149,999 characters, over max_document_characters=100,000"


def test_html_metadata_is_cleaned() -> None:
    page = (
        "<html><head><title>A&#0;B&#x202E;C\n<script>x</script></title>"
        '<meta name="author" content="Ada&#10;Mallory; Bob"></head><body>Text</body></html>'
    )

    output = read_html(page.encode())

    assert output.title == "A\ufffdBC <script>x</script>"
    assert output.authors == ("Ada Mallory", "Bob")


def test_a_date_utc_cannot_hold_loses_the_date_not_the_document() -> None:
    page = (
        b"<html><head><title>Old</title>"
        b'<meta name="dcterms.created" content="0001-01-01T00:00:00+01:00"></head>'
        b"<body><p>Text survives.</p></body></html>"
    )
    output = read_html(page)
    assert output.text == "Text survives."
    assert output.created is None


def test_folding_whitespace_matches_the_rule_on_random_whitespace() -> None:
    """``fold_whitespace`` (per-line ``str.strip``, then runs of line breaks) against the rule
    written as regular expressions over the whole text: Unicode spaces, the line breaks of
    ``str.splitlines``, tabs, and blank lines made of spaces."""
    import random
    import re

    from llm_lineage.extraction.readers.html import fold_whitespace

    rng = random.Random(11)
    alphabet = ["a", "b", " ", " ", "\t", "\n", "\xa0", "\u2003", "\u3000", "\x1f", "\x85"]
    alphabet += ["\u2028", "\r", "\x0b", "é"]
    for _ in range(5000):
        raw = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 40)))
        text = re.sub("  +", " ", "\n".join(raw.splitlines()).replace("\t", " "))
        edges = re.sub(r"[^\S\n]*\n[^\S\n]*", "\n", text)
        expected = re.sub(r"\n\s*\n+", "\n\n", edges).strip()
        assert fold_whitespace(raw) == expected, repr(raw)
