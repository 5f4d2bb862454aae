"""A lineage backend on 127.0.0.1 that answers like Marquez's ``POST /api/v1/lineage``.

Marquez answers 201 to an event it stores, 400 to a body that is not JSON and 422 to JSON that
is not an OpenLineage event (missing ``eventTime``, ``run.runId``, ``job``, ...). Faults are
switched on per test: down (the port refuses connections), a number of 500s, a delay longer than
the client's timeout, 422 for chosen jobs, or at random a share of 503s (``fail_ratio``) and of
422s (``refuse_ratio``), drawn from a seeded generator. Every request that arrives is recorded, including
those the client gave up on, because those are the duplicates a catalog would see.
"""

from __future__ import annotations

import json
import random
import socket
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Faults:
    failures_left: int = 0
    fail_until: float = 0.0
    delay_seconds: float = 0.0
    refuse_jobs: tuple[str, ...] = ()
    fail_ratio: float = 0.0
    refuse_ratio: float = 0.0
    random: random.Random = field(default_factory=lambda: random.Random(21))
    echo_authorization: bool = False


@dataclass
class FakeMarquez:
    """Start with ``start()``; ``port`` stays the same across ``stop()``/``start()``."""

    port: int = 0
    faults: Faults = field(default_factory=Faults)
    received: list[dict[str, Any]] = field(default_factory=list)
    answers: list[int] = field(default_factory=list)
    authorizations: set[str] = field(default_factory=set)
    _server: ThreadingHTTPServer | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        if not self.port:
            with socket.socket() as probe:
                probe.bind(("127.0.0.1", 0))
                self.port = probe.getsockname()[1]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> FakeMarquez:
        handler = _handler(self)
        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def stored(self) -> list[dict[str, Any]]:
        """Events answered with 201, in the order they were stored."""
        with self._lock:
            return [e for e, code in zip(self.received, self.answers, strict=True) if code == 201]

    def wait_for(self, count: int, timeout: float = 90.0) -> list[dict[str, Any]]:
        """Poll until ``count`` different events are stored (background forwarders deliver them)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if len({json.dumps(e, sort_keys=True) for e in self.stored()}) >= count:
                return self.stored()
            time.sleep(0.2)
        return self.stored()

    def answer(self, body: bytes) -> tuple[int, str]:
        try:
            event = json.loads(body)
        except ValueError:
            return 400, '{"code": 400, "message": "Unable to process JSON"}'
        missing = [k for k in ("eventTime", "job", "producer") if k not in event]
        if "run" in event and "runId" not in event["run"]:
            missing.append("run.runId")
        job = (event.get("job") or {}).get("name", "")
        if missing or any(job.endswith(f".{task}") for task in self.faults.refuse_jobs):
            return 422, json.dumps(
                {"errors": [f"{k} must not be null" for k in missing] or ["refused"]}
            )
        if self.faults.refuse_ratio and self.faults.random.random() < self.faults.refuse_ratio:
            return 422, '{"errors": ["refused at random"]}'
        if self.faults.fail_ratio and self.faults.random.random() < self.faults.fail_ratio:
            return 503, '{"code": 503, "message": "Service Unavailable"}'
        if self.faults.failures_left > 0 or time.monotonic() < self.faults.fail_until:
            self.faults.failures_left -= 1
            return 500, '{"code": 500, "message": "There was an error processing your request."}'
        return 201, ""


def _handler(server: FakeMarquez) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            if self.path.rstrip("/") != "/api/v1/lineage":
                self._reply(404, '{"code": 404}')
                return
            with server._lock:
                code, text = server.answer(body)
                authorization = self.headers.get("Authorization", "")
                server.authorizations.add(authorization)
                if server.faults.echo_authorization and code >= 400:
                    # As some servers do: the request's headers quoted in the error.
                    text = f"{text} (request had Authorization: {authorization})"
                try:
                    event = json.loads(body)
                except ValueError:
                    event = {"unparsable": True}
                server.received.append(event)
                server.answers.append(code)
            time.sleep(server.faults.delay_seconds)
            self._reply(code, text)

        def _reply(self, code: int, text: str) -> None:
            data = text.encode()
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: Any) -> None:
            pass

    return Handler
