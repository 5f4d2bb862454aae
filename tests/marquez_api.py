"""A read-only Marquez API on 127.0.0.1, filled from OpenLineage events.

It serves the shapes of Marquez's OpenAPI spec (``tests/marquez_spec/openapi.yml``) for what the
report reads: ``GET /api/v1/namespaces``, ``.../jobs``, ``.../jobs/{job}/runs``,
``.../datasets`` and ``.../datasets/{dataset}/versions``, paged with ``limit`` and ``offset``.
Each distinct (dataset, ``datasetVersion``) is one dataset version with a UUID, its facets merged
from every event that named it (later wins), ``createdByRun`` set for outputs of COMPLETE events.
Runs carry the version ids they read and wrote and their facets merged. This follows the API's
shapes, not Marquez's storage rules (real Marquez maps a read to the dataset's current version).
``max_page`` caps a page below the requested limit, as a server may, to exercise paging.
"""

from __future__ import annotations

import json
import threading
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

STATE = {"START": "RUNNING", "RUNNING": "RUNNING", "COMPLETE": "COMPLETED", "FAIL": "FAILED"}
STATE["ABORT"] = "ABORTED"


def _version_id(namespace: str, name: str, version: str | None) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"{namespace}\n{name}\n{version}"))


@dataclass
class Catalog:
    """The state a Marquez would hold after receiving ``events``."""

    namespaces: dict[str, str] = field(default_factory=dict)
    jobs: dict[str, dict[str, dict[str, Any]]] = field(default_factory=lambda: defaultdict(dict))
    runs: dict[tuple[str, str], list[dict[str, Any]]] = field(
        default_factory=lambda: defaultdict(list)
    )
    datasets: dict[str, dict[str, dict[str, Any]]] = field(
        default_factory=lambda: defaultdict(dict)
    )
    versions: dict[tuple[str, str], dict[str, dict[str, Any]]] = field(
        default_factory=lambda: defaultdict(dict)
    )

    @classmethod
    def from_events(cls, events: list[dict[str, Any]]) -> Catalog:
        catalog = cls()
        by_run: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for event in sorted(events, key=lambda e: e["eventTime"]):
            by_run[event["run"]["runId"]].append(event)
        for run_events in by_run.values():
            catalog._add_run(run_events)
        return catalog

    def _touch_namespace(self, name: str, when: str) -> None:
        self.namespaces.setdefault(name, when)

    def _add_run(self, events: list[dict[str, Any]]) -> None:
        first, last = events[0], events[-1]
        namespace, name = first["job"]["namespace"], first["job"]["name"]
        self._touch_namespace(namespace, first["eventTime"])
        run: dict[str, Any] = {
            "id": first["run"]["runId"],
            "createdAt": first["eventTime"],
            "updatedAt": last["eventTime"],
            "nominalStartTime": None,
            "nominalEndTime": None,
            "state": "NEW",
            "startedAt": None,
            "endedAt": None,
            "durationMs": None,
            "args": {},
            "jobVersion": {
                "namespace": namespace,
                "name": name,
                "version": _version_id(namespace, name, None),
            },
            "inputDatasetVersions": [],
            "outputDatasetVersions": [],
            "context": {},
            "facets": {},
        }
        inputs: dict[tuple[str, str], dict[str, Any]] = {}
        outputs: dict[tuple[str, str], dict[str, Any]] = {}
        for event in events:
            kind = event.get("eventType", "RUNNING")
            run["state"] = STATE.get(kind, run["state"])
            if kind == "START":
                run["startedAt"] = event["eventTime"]
            elif kind in ("COMPLETE", "FAIL", "ABORT"):
                run["endedAt"] = event["eventTime"]
            run["facets"].update(event["run"].get("facets") or {})
            for dataset in event.get("inputs") or []:
                self._version(dataset, event, None, inputs, "inputFacets")
            written = run if kind == "COMPLETE" else None
            for dataset in event.get("outputs") or []:
                entry = self._version(dataset, event, written, outputs, "outputFacets")
                entry["complete"] = entry.get("complete") or kind == "COMPLETE"
        run["inputDatasetVersions"] = [_entry(e) for e in inputs.values()]
        run["outputDatasetVersions"] = [_entry(e) for e in outputs.values() if e["complete"]]
        self.runs[(namespace, name)].insert(0, run)  # newest first, as Marquez lists them
        job = self.jobs[namespace].setdefault(name, _job(namespace, name, first))
        job["updatedAt"] = last["eventTime"]
        job["facets"].update(last["job"].get("facets") or {})
        job["latestRun"] = run

    def _version(
        self,
        dataset: dict[str, Any],
        event: dict[str, Any],
        written_by: dict[str, Any] | None,
        seen: dict[tuple[str, str], dict[str, Any]],
        io_key: str,
    ) -> dict[str, Any]:
        namespace, name = dataset["namespace"], dataset["name"]
        self._touch_namespace(namespace, event["eventTime"])
        facets = dataset.get("facets") or {}
        previous = seen.get((namespace, name))
        content = (facets.get("version") or {}).get("datasetVersion") or (
            previous["content"] if previous else None
        )
        version_id = _version_id(namespace, name, content)
        record = self.versions[(namespace, name)].setdefault(
            version_id, _dataset_version(namespace, name, version_id, event["eventTime"])
        )
        record["facets"].update(facets)
        if written_by is not None:
            record["createdByRun"] = {k: v for k, v in written_by.items() if k != "facets"}
        current = self.datasets[namespace].setdefault(
            name, _dataset(namespace, name, event["eventTime"])
        )
        current["updatedAt"] = event["eventTime"]
        current["facets"].update(facets)
        current["currentVersion"] = version_id
        entry = {
            "namespace": namespace,
            "name": name,
            "version": version_id,
            "content": content,
            "facets": {**(previous["facets"] if previous else {}), **(dataset.get(io_key) or {})},
            "complete": previous["complete"] if previous else False,
        }
        seen[(namespace, name)] = entry
        return entry


def _entry(entry: dict[str, Any]) -> dict[str, Any]:
    return {
        "datasetVersionId": {k: entry[k] for k in ("namespace", "name", "version")},
        "facets": entry["facets"],
    }


def _job(namespace: str, name: str, event: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": {"namespace": namespace, "name": name},
        "type": "BATCH",
        "name": name,
        "simpleName": name.rsplit(".", 1)[-1],
        "createdAt": event["eventTime"],
        "updatedAt": event["eventTime"],
        "namespace": namespace,
        "inputs": [],
        "outputs": [],
        "location": None,
        "description": None,
        "latestRun": None,
        "facets": {},
        "currentVersion": _version_id(namespace, name, None),
    }


def _dataset(namespace: str, name: str, when: str) -> dict[str, Any]:
    return {
        "id": {"namespace": namespace, "name": name},
        "type": "DB_TABLE",
        "name": name,
        "physicalName": name,
        "createdAt": when,
        "updatedAt": when,
        "namespace": namespace,
        "sourceName": namespace,
        "fields": [],
        "tags": [],
        "lastModifiedAt": None,
        "description": None,
        "facets": {},
        "currentVersion": None,
        "deleted": False,
    }


def _dataset_version(namespace: str, name: str, version_id: str, when: str) -> dict[str, Any]:
    return {
        "id": {"namespace": namespace, "name": name, "version": version_id},
        "type": "DB_TABLE",
        "name": name,
        "physicalName": name,
        "createdAt": when,
        "version": version_id,
        "namespace": namespace,
        "sourceName": namespace,
        "fields": [],
        "tags": "",
        "description": "",
        "facets": {},
    }


@dataclass
class MarquezApi:
    """Serve ``catalog`` until ``stop()``; ``requests`` records every path asked for."""

    catalog: Catalog
    max_page: int = 1000
    requests: list[str] = field(default_factory=list)
    _server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def start(self) -> MarquezApi:
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    def answer(self, path: str, query: dict[str, list[str]]) -> tuple[int, Any]:
        """(status, body) for a GET of ``path`` (already split from its query)."""
        parts = [unquote(part) for part in path.split("/")[3:]]  # after /api/v1/
        limit = min(int(query.get("limit", ["100"])[0]), self.max_page)
        offset = int(query.get("offset", ["0"])[0])
        listing = self._listing(parts)
        if listing is None:
            return 404, {"code": 404, "message": f"not found: {path}"}
        key, items = listing
        return 200, {key: items[offset : offset + limit], "totalCount": len(items)}

    def _listing(self, parts: list[str]) -> tuple[str, list[Any]] | None:
        catalog = self.catalog
        if parts == ["namespaces"]:
            return "namespaces", [
                _namespace(name, when) for name, when in sorted(catalog.namespaces.items())
            ]
        if len(parts) == 3 and parts[0] == "namespaces" and parts[2] == "jobs":
            return "jobs", [
                catalog.jobs[parts[1]][name] for name in sorted(catalog.jobs.get(parts[1], {}))
            ]
        if (
            len(parts) == 5
            and parts[0] == "namespaces"
            and parts[2] == "jobs"
            and parts[4] == "runs"
        ):
            return "runs", list(catalog.runs.get((parts[1], parts[3]), []))
        if len(parts) == 3 and parts[0] == "namespaces" and parts[2] == "datasets":
            datasets = catalog.datasets.get(parts[1], {})
            return "datasets", [datasets[name] for name in sorted(datasets)]
        if (
            len(parts) == 5
            and parts[0] == "namespaces"
            and parts[2] == "datasets"
            and parts[4] == "versions"
        ):
            versions = catalog.versions.get((parts[1], parts[3]), {})
            return "versions", sorted(versions.values(), key=lambda v: v["createdAt"], reverse=True)
        return None


def _namespace(name: str, when: str) -> dict[str, Any]:
    return {
        "name": name,
        "createdAt": when,
        "updatedAt": when,
        "ownerName": "anonymous",
        "description": None,
    }


def _handler(api: MarquezApi) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            parts = urlsplit(self.path)
            api.requests.append(parts.path)
            status, body = api.answer(parts.path, parse_qs(parts.query))
            payload = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def do_POST(self) -> None:  # the report must never write
            api.requests.append("POST " + self.path)
            self.send_response(405)
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler
