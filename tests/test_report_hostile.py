"""The governance report against hostile input: lines and servers built to break it.

Files: a line nested 200,000 deep, event times with no UTC time, sizes and durations no number
type of the report holds. Each gave a traceback and no report; now each is counted as skipped,
with its reason, and the report (text, ``--json``, ``--html``) is still produced.

Servers (real HTTP on 127.0.0.1): one that ignores ``offset`` (the report asked forever), one
with endless pages, one that redirects to another host (the report used that host's JSON), one
that sends 600 MiB, one that sends a byte now and then (the report waited forever). Each now
stops the report with an error that names the limit.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from llm_lineage.report import marquez
from marquez_api import Catalog, MarquezApi
from test_report_inputs import cli, ds, event, write

SRC = Path(__file__).parents[1] / "src"
HUGE = 10**400
DEEP = 200_000
RESOURCES = "https://llm-lineage.github.io/spec/facets/1-0-0/LlmLineageResourceUsageRunFacet.json"

# --- hostile lines --------------------------------------------------------------------------


def hostile_lines() -> str:
    good = event("extract", 0, [ds("/c", "v0")], [ds("/t", "v1", 10)])
    train = event("train", 1, [ds("/t", "v1")], [ds("/adapter", "v2", 4)])
    late = event("late", 2, [ds("/t", "v1")], [])
    late["eventTime"] = "9999-12-31T23:59:59-23:59"
    early = event("early", 2, [ds("/t", "v1")], [])
    early["eventTime"] = "0001-01-01T00:00:00+00:01"
    huge = event("huge", 3, [ds("/t", "v1")], [ds("/huge", "v3", HUGE)])
    deep_facet = json.dumps(event("deep", 4, [ds("/t", "v1")], [])).replace(
        '"facets": {', '"facets": {"deep": ' + "[" * DEEP + "]" * DEEP + ", ", 1
    )
    lines = [json.dumps(e) for e in (good, train, late, early, huge)]
    lines += ["[" * DEEP + "]" * DEEP, deep_facet]
    return "\n".join(lines) + "\n"


def test_hostile_lines_are_skipped_with_their_reasons_and_the_report_is_made(
    tmp_path: Path,
) -> None:
    path = tmp_path / "events.jsonl"
    path.write_text(hostile_lines())
    now = ("--now", "2025-01-10T00:00:00Z")
    for question in (["usage", *now], ["cost"], ["trace", "/adapter"]):
        status, text = cli(*question, "--events", str(path))
        assert status == 0, question
        assert "2 lines or values nested too deeply" in text
        assert "2 events whose time is out of range" in text
        status, answer = cli(*question, "--json", "--events", str(path))
        skipped = json.loads(answer)["skipped"]
        assert (skipped["too_deep"], skipped["out_of_range_times"]) == (2, 2), question
        page = tmp_path / f"{question[0]}.html"
        assert cli(*question, "--html", str(page), "--events", str(path))[0] == 0
        assert "events whose time is out of range" in page.read_text()
    status, answer = cli("usage", *now, "--json", "--events", str(path))
    report = json.loads(answer)
    rows = {row["name"]: row for row in report["usage"]["datasets"]}
    assert sorted(rows) == ["/adapter", "/c", "/huge", "/t"]
    assert rows["/huge"]["size"] is None and rows["/t"]["size"] == 10  # read as missing
    assert report["skipped"]["out_of_range_numbers"] >= 1
    assert (
        "numbers out of range (beyond 2**63 or not finite; read as missing)"
        in cli("usage", *now, "--events", str(path))[1]
    )


@pytest.mark.parametrize(
    ("value", "where"),
    [
        ("1e999", "size"),  # json reads infinity
        ("-1e999", "size"),
        ("NaN", "size"),  # msgspec refuses the line: read the slow way
        (str(-HUGE), "size"),
        (str(HUGE), "wallSeconds"),
        ("1e400", "wallSeconds"),
    ],
)
def test_numbers_out_of_range_are_read_as_missing_and_counted(
    tmp_path: Path, value: str, where: str
) -> None:
    """Each read as missing where the report reads it (a size by usage, a duration by cost),
    and counted once; no answer holds an infinity or a NaN."""
    adapter = {**ds("/adapter", "v2"), "outputFacets": {"outputStatistics": {"size": "SIZE"}}}
    usage = {"_schemaURL": RESOURCES, "wallSeconds": "WALL", "deviceCount": 1}
    made = event("train", 1, [ds("/t", "v1")], [adapter], llmLineage_resourceUsage=usage)
    line = json.dumps(made).replace('"SIZE"', value if where == "size" else "4")
    line = line.replace('"WALL"', value if where == "wallSeconds" else "2.5")
    path = tmp_path / "events.jsonl"
    path.write_text(line + "\n")
    now = ("--now", "2025-01-10T00:00:00Z")
    for question in (["usage", *now], ["cost"], ["trace", "/adapter"]):
        status, answer = cli(*question, "--json", "--events", str(path))
        assert status == 0, question
        assert "Infinity" not in answer and "NaN" not in answer
        page = tmp_path / "page.html"
        assert cli(*question, "--html", str(page), "--events", str(path))[0] == 0
        assert cli(*question, "--events", str(path))[0] == 0
    reader = ["usage", *now] if where == "size" else ["cost"]
    status, answer = cli(*reader, "--json", "--events", str(path))
    assert json.loads(answer)["skipped"]["out_of_range_numbers"] == 1


def test_values_nested_too_deep_to_use_are_read_as_missing(tmp_path: Path) -> None:
    """Deep enough for the parsers (500 levels), too deep to use: read as missing, counted."""
    nested: Any = 1
    for _ in range(500):
        nested = {"x": nested}
    usage = {"wallSeconds": 2.5, "extra": nested}
    made = event("train", 1, [ds("/t", "v1")], [ds("/a", "v2", 4)], llmLineage_resourceUsage=usage)
    path = write(tmp_path / "events.jsonl", [made])
    status, answer = cli("cost", "--json", "--events", str(path))
    assert status == 0
    assert json.loads(answer)["skipped"]["too_deep"] == 1


def test_out_of_range_options_are_clean_errors(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path / "e.jsonl", [event("extract", 1, [ds("/c", "v0")], [ds("/t", "v1")])])
    for option in (["--idle-days", "1e300"], ["--timeout", "0"], ["--max-time", "nan"]):
        with pytest.raises(SystemExit) as exit_:
            cli("usage", *option, "--events", str(path))
        assert exit_.value.code == 2
        assert option[0] in capsys.readouterr().err


# --- hostile servers ------------------------------------------------------------------------

Respond = Callable[[BaseHTTPRequestHandler], None]


class Server:
    """An HTTP server on 127.0.0.1 that answers every GET with ``respond``; counts requests."""

    def __init__(self, respond: Respond) -> None:
        self.requests: list[str] = []
        self.sent = 0
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                server.requests.append(self.path)
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    respond(self)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.http.daemon_threads = True
        threading.Thread(target=self.http.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.http.server_address[1]}"

    def stop(self) -> None:
        self.http.shutdown()
        self.http.server_close()


@pytest.fixture
def serve() -> Iterator[Callable[[Respond], Server]]:
    servers: list[Server] = []

    def start(respond: Respond) -> Server:
        servers.append(Server(respond))
        return servers[-1]

    yield start
    for server in servers:
        server.stop()


def send_json(handler: BaseHTTPRequestHandler, body: Any, status: int = 200) -> None:
    payload = json.dumps(body).encode()
    handler.send_response(status)
    handler.send_header("Content-Type", "application/json")
    handler.send_header("Content-Length", str(len(payload)))
    handler.end_headers()
    handler.wfile.write(payload)


def namespaces_from(offset: int) -> dict[str, Any]:
    return {"namespaces": [{"name": f"ns{offset + i}"} for i in range(100)], "totalCount": 10**9}


def test_a_server_that_ignores_offset_is_stopped_at_the_repeated_page(
    serve: Callable[[Respond], Server], capsys: pytest.CaptureFixture[str]
) -> None:
    """It made 52,000 requests in 60 s and never ended."""
    server = serve(lambda handler: send_json(handler, namespaces_from(0)))
    status, _ = cli("cost", "--marquez", server.url, "--max-time", "60")
    assert status == 2
    assert "repeats an earlier page (the server ignores offset?)" in capsys.readouterr().err
    assert len(server.requests) == 2


def test_endless_pages_stop_at_the_page_limit(
    serve: Callable[[Respond], Server],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(marquez, "MAX_PAGES", 5)

    def endless(handler: BaseHTTPRequestHandler) -> None:
        offset = int(parse_qs(urlsplit(handler.path).query)["offset"][0])
        send_json(handler, namespaces_from(offset))

    server = serve(endless)
    status, _ = cli("cost", "--marquez", server.url, "--max-time", "60")
    assert status == 2
    assert "more than the page limit of 5 pages (MAX_PAGES" in capsys.readouterr().err
    assert len(server.requests) == 5


def test_a_redirect_to_another_host_is_refused_and_that_host_never_asked(
    serve: Callable[[Respond], Server], capsys: pytest.CaptureFixture[str]
) -> None:
    """The report followed a 302 to another host and used its JSON."""
    elsewhere = MarquezApi(Catalog.from_events([event("x", 0, [], [ds("/evil", "v")])])).start()
    try:
        port = elsewhere.url.rsplit(":", 1)[1]

        def redirect(handler: BaseHTTPRequestHandler) -> None:
            handler.send_response(302)
            handler.send_header("Location", f"http://localhost:{port}{handler.path}")
            handler.send_header("Content-Length", "0")
            handler.end_headers()

        server = serve(redirect)
        status, _ = cli("usage", "--json", "--marquez", server.url)
    finally:
        elsewhere.stop()
    assert status == 2
    err = capsys.readouterr().err
    assert f"redirected to http://localhost:{port}/api/v1/namespaces" in err
    assert "another host" in err
    assert elsewhere.requests == []


def test_a_redirect_on_the_same_host_is_followed(
    serve: Callable[[Respond], Server], capsys: pytest.CaptureFixture[str]
) -> None:
    """A proxy that moved Marquez under a path of the same host still works."""
    api = MarquezApi(Catalog.from_events([event("x", 0, [], [ds("/kept", "v")])]))

    def moved(handler: BaseHTTPRequestHandler) -> None:
        parts = urlsplit(handler.path)
        if not parts.path.startswith("/moved/"):
            handler.send_response(308)
            handler.send_header("Location", "/moved" + handler.path)
            handler.send_header("Content-Length", "0")
            handler.end_headers()
            return
        status, body = api.answer(parts.path.removeprefix("/moved"), parse_qs(parts.query))
        send_json(handler, body, status)

    server = serve(moved)
    status, answer = cli("usage", "--json", "--marquez", server.url)
    assert status == 0, capsys.readouterr().err
    assert [row["name"] for row in json.loads(answer)["usage"]["datasets"]] == ["/kept"]


def test_a_600_mib_body_is_cut_at_the_limit(
    serve: Callable[[Respond], Server], capsys: pytest.CaptureFixture[str]
) -> None:
    """600 MiB of blanks, then an empty list: valid JSON that the report read into memory."""
    total = 600 * 2**20
    server: Server

    def huge(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(200)
        handler.send_header("Content-Type", "application/json")
        handler.end_headers()  # no Content-Length: the body runs until the connection closes
        handler.close_connection = True
        block = b" " * 2**20
        for _ in range(total // len(block)):
            handler.wfile.write(block)
            server.sent += len(block)
        handler.wfile.write(b'{"namespaces": []}')

    server = serve(huge)
    status, _ = cli("cost", "--marquez", server.url, "--max-time", "120")
    assert status == 2
    assert "over the 64 MiB limit per response (MAX_BODY_BYTES)" in capsys.readouterr().err
    time.sleep(0.5)
    assert server.sent < total / 2, server.sent


def test_a_declared_body_over_the_limit_is_refused_before_it_is_read(
    serve: Callable[[Respond], Server], capsys: pytest.CaptureFixture[str]
) -> None:
    def declared(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(200)
        handler.send_header("Content-Length", str(600 * 2**20))
        handler.end_headers()
        handler.wfile.write(b" " * 1024)

    server = serve(declared)
    assert cli("cost", "--marquez", server.url)[0] == 2
    assert "a body of 629,145,600 bytes is over the 64 MiB limit" in capsys.readouterr().err


def drip_headers(handler: BaseHTTPRequestHandler) -> None:
    """A status line, then a header one byte every half second, forever."""
    handler.wfile.write(b"HTTP/1.1 200 OK\r\nX-Slow: ")
    while True:
        handler.wfile.write(b"a")
        handler.wfile.flush()
        time.sleep(0.5)


def drip_body(handler: BaseHTTPRequestHandler) -> None:
    handler.send_response(200)
    handler.send_header("Content-Length", "100000")
    handler.end_headers()
    handler.wfile.write(b'{"namespaces": [')
    while True:
        handler.wfile.write(b" ")
        handler.wfile.flush()
        time.sleep(0.5)


@pytest.mark.parametrize("respond", [drip_headers, drip_body], ids=["headers", "body"])
def test_a_server_sending_a_byte_now_and_then_is_stopped_at_the_time_limit(
    serve: Callable[[Respond], Server], respond: Respond
) -> None:
    """It held the report indefinitely: no read ever waited longer than the read timeout. The
    command runs as a process of its own, as a person runs it, and must end within 60 s
    (the limit asked for is 3 s)."""
    server = serve(respond)
    started = time.monotonic()
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys; from llm_lineage.cli.main import main; sys.exit(main(sys.argv[1:]))",
            *("report", "cost", "--marquez", server.url, "--timeout", "10", "--max-time", "3"),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "PYTHONPATH": str(SRC)},
    )
    took = time.monotonic() - started
    assert result.returncode == 2, result.stderr[-2000:]
    assert "took longer than the time limit (--max-time 3 s for all requests)" in result.stderr
    assert took < 60
