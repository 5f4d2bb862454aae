"""A stand-in for DataHub GMS on 127.0.0.1: the calls acryl-datahub's REST emitter makes.

``GET /config`` (the version decides the protocol: 1.0.1 and later means OpenAPI, earlier
Rest.li), ``POST /openapi/v3/entity/<type>``, ``POST /aspects?action=ingestProposal`` and
``ingestProposalBatch``, and ``GET /aspects/<urn>?aspect=<name>`` answered from what was
ingested. Every proposal is recorded in one normalized form, whichever protocol carried it,
so tests compare it with DataHub's metadata file. ``refuse`` makes ingestion answer 422;
``unauthorized`` makes every call answer 401 quoting the request's ``Authorization`` header, as
some proxies and servers do.
"""

from __future__ import annotations

import json
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from datahub.metadata.schema_classes import ASPECT_NAME_MAP

OPENAPI_VERSION = "v1.3.0"
RESTLI_VERSION = "v0.14.1"


def normalized(entity_type: str, urn: str, aspect_name: str, value: Any) -> dict[str, Any]:
    return {"entityType": entity_type, "entityUrn": urn, "aspectName": aspect_name, "aspect": value}


class FakeGms:
    def __init__(self, version: str = OPENAPI_VERSION) -> None:
        self.version = version
        self.refuse = False
        self.unauthorized = False
        self.proposals: list[dict[str, Any]] = []
        self.paths: list[str] = []
        self.authorization: set[str] = set()
        self._lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self) -> FakeGms:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    def record(self, proposal: dict[str, Any]) -> None:
        with self._lock:
            self.proposals.append(proposal)

    def latest(self, urn: str, aspect_name: str) -> Any:
        with self._lock:
            found = [
                p["aspect"]
                for p in self.proposals
                if (p["entityUrn"], p["aspectName"]) == (urn, aspect_name)
            ]
        return found[-1] if found else None


def _handler(gms: FakeGms) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:  # quiet
            pass

        def _reply(self, status: int, body: Any) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _body(self) -> Any:
            return json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))))

        def _refused_unauthorized(self) -> bool:
            if gms.unauthorized:
                header = self.headers.get("Authorization", "")
                self._reply(401, {"message": f"Unauthorized: bad Authorization: {header}"})
            return gms.unauthorized

        def do_GET(self) -> None:
            gms.paths.append(f"GET {self.path}")
            gms.authorization.add(self.headers.get("Authorization", ""))
            if self._refused_unauthorized():
                return
            parsed = urllib.parse.urlparse(self.path)
            if parsed.path == "/config":
                versions = {"acryldata/datahub": {"version": gms.version, "commit": "test"}}
                self._reply(200, {"noCode": "true", "versions": versions})
            elif parsed.path.startswith("/aspects/"):
                self._aspect(parsed)
            else:
                self._reply(404, {"message": "not found"})

        def _aspect(self, parsed: urllib.parse.ParseResult) -> None:
            urn = urllib.parse.unquote(parsed.path[len("/aspects/") :])
            name = urllib.parse.parse_qs(parsed.query)["aspect"][0]
            value = gms.latest(urn, name)
            if value is None:
                self._reply(404, {"message": "not found"})
                return
            full = ASPECT_NAME_MAP[name].RECORD_SCHEMA.fullname.replace(".pegasus2avro", "")
            self._reply(200, {"aspect": {full: value}, "version": 0})

        def do_POST(self) -> None:
            gms.paths.append(f"POST {self.path}")
            gms.authorization.add(self.headers.get("Authorization", ""))
            body = self._body()
            if self._refused_unauthorized():
                return
            if gms.refuse:
                self._reply(422, {"message": "Invalid aspect", "status": 422})
                return
            parsed = urllib.parse.urlparse(self.path)
            if parsed.path.startswith("/openapi/v3/entity/"):
                self._openapi(parsed.path.rsplit("/", 1)[-1], body)
            elif parsed.query == "action=ingestProposal":
                self._restli([body["proposal"]])
                self._reply(200, {"value": body["proposal"]["entityUrn"]})
            elif parsed.query == "action=ingestProposalBatch":
                self._restli(body["proposals"])
                self._reply(200, {})
            else:
                self._reply(404, {"message": "not found"})

        def _openapi(self, entity_type: str, items: list[dict[str, Any]]) -> None:
            for item in items:
                for name, aspect in item.items():
                    if name != "urn":
                        gms.record(normalized(entity_type, item["urn"], name, aspect["value"]))
            self._reply(200, items)

        def _restli(self, proposals: list[dict[str, Any]]) -> None:
            for p in proposals:
                value = json.loads(p["aspect"]["value"])
                gms.record(normalized(p["entityType"], p["entityUrn"], p["aspectName"], value))

    return Handler


def file_proposals(path: Any) -> list[dict[str, Any]]:
    """A DataHub metadata file's records in the form ``FakeGms`` records proposals."""
    with open(path, encoding="utf-8") as handle:
        records = json.load(handle)
    return [
        normalized(r["entityType"], r["entityUrn"], r["aspectName"], r["aspect"]["json"])
        for r in records
    ]


def as_multiset(proposals: list[dict[str, Any]]) -> list[str]:
    """Order-free comparison: OpenAPI batches proposals by entity type."""
    return sorted(json.dumps(p, sort_keys=True) for p in proposals)


def latest(proposals: list[dict[str, Any]], urn: str, aspect_name: str) -> Any:
    found = [
        p["aspect"] for p in proposals if (p["entityUrn"], p["aspectName"]) == (urn, aspect_name)
    ]
    assert found, f"no {aspect_name} on {urn}"
    return found[-1]
