"""Events rebuilt from a Marquez server's HTTP API, read-only.

Marquez keeps runs and dataset versions, not the events themselves, so the report walks
``/namespaces``, each namespace's ``/jobs`` and their ``/runs``, and ``/datasets`` with their
``/versions``, and turns each run back into a START and a closing event carrying the dataset
versions it read and wrote, with each version's facets. ``runs.fold_runs`` then treats them like
events from a file, so both sources give the same answers. Only GET requests are made. Lists
are paged with ``limit`` and ``offset`` until a page comes back empty; a page that repeats an
earlier one of the same list (a server that ignores ``offset``) or more than MAX_PAGES pages of
one list stop the report with an error. Each request is bounded by ``fetch.Fetcher``: the given
host only, MAX_BODY_BYTES per response, a time limit for all requests together.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any
from urllib.parse import quote

import requests

from llm_lineage.common.errors import LlmLineageError
from llm_lineage.report.fetch import Fetcher, FetchError
from llm_lineage.report.tally import Tally

PAGE = 100
#: Pages read of one list (a job's runs, a dataset's versions): a million items.
MAX_PAGES = 10_000
#: All requests of one report together, in seconds (``--max-time``).
MAX_TIME = 600.0
#: Marquez run states to the OpenLineage event that ends them.
STATES = {"COMPLETED": "COMPLETE", "FAILED": "FAIL", "ABORTED": "ABORT", "RUNNING": "RUNNING"}
VersionKey = tuple[str, str, str]


class MarquezError(LlmLineageError):
    """Marquez could not be read (unreachable, an error status, not JSON)."""


class MarquezClient:
    def __init__(self, url: str, timeout: float = 30.0, max_time: float = MAX_TIME) -> None:
        base = url.rstrip("/")
        self.base = base if base.endswith("/api/v1") else base + "/api/v1"
        self.fetcher = Fetcher(self.base, timeout, max_time)

    def get(self, path: str, params: Mapping[str, Any] | None = None) -> tuple[Any, bytes]:
        """The JSON at ``path`` and its body's digest."""
        try:
            return self.fetcher.get_json(self.base + path, params)
        except requests.RequestException as error:
            raise MarquezError(f"cannot reach Marquez at {self.base}: {error}") from error
        except FetchError as error:
            raise MarquezError(str(error)) from error

    def paged(self, path: str, key: str) -> Iterator[dict[str, Any]]:
        offset, seen = 0, set()
        for _ in range(MAX_PAGES):
            body, digest = self.get(path, {"limit": PAGE, "offset": offset})
            page = body.get(key) if isinstance(body, dict) else None
            if not isinstance(page, list) or not page:
                return
            if digest in seen:
                raise MarquezError(
                    f"GET {self.base}{path}: the page at offset {offset} repeats an earlier "
                    "page (the server ignores offset?); stopped"
                )
            seen.add(digest)
            yield from (item for item in page if isinstance(item, dict))
            offset += len(page)
        raise MarquezError(
            f"GET {self.base}{path}: more than the page limit of {MAX_PAGES:,} pages "
            f"(MAX_PAGES, {MAX_PAGES * PAGE:,} items); stopped"
        )


def _segment(name: str) -> str:
    return quote(name, safe="")


def marquez_events(
    url: str, tally: Tally, timeout: float = 30.0, max_time: float = MAX_TIME
) -> Iterator[dict[str, Any]]:
    """START and closing events for every run of every job Marquez knows."""
    client = MarquezClient(url, timeout, max_time)
    namespaces = [
        ns["name"]
        for ns in client.paged("/namespaces", "namespaces")
        if isinstance(ns.get("name"), str)
    ]
    versions = _dataset_versions(client, namespaces)
    for namespace in namespaces:
        for job in client.paged(f"/namespaces/{_segment(namespace)}/jobs", "jobs"):
            name = job.get("name")
            if not isinstance(name, str):
                tally.malformed += 1
                continue
            path = f"/namespaces/{_segment(namespace)}/jobs/{_segment(name)}/runs"
            for run in client.paged(path, "runs"):
                tally.records += 1
                yield from _events(namespace, job, run, versions)


def _dataset_versions(client: MarquezClient, namespaces: list[str]) -> dict[VersionKey, Any]:
    """Facets of every dataset version, by (namespace, name, Marquez's version id)."""
    found: dict[VersionKey, Any] = {}
    for namespace in namespaces:
        for dataset in client.paged(f"/namespaces/{_segment(namespace)}/datasets", "datasets"):
            name = dataset.get("name")
            if not isinstance(name, str):
                continue
            path = f"/namespaces/{_segment(namespace)}/datasets/{_segment(name)}/versions"
            for version in client.paged(path, "versions"):
                found[(namespace, name, str(version.get("version")))] = version.get("facets") or {}
    return found


def _events(
    namespace: str, job: dict[str, Any], run: dict[str, Any], versions: dict[VersionKey, Any]
) -> Iterator[dict[str, Any]]:
    facets: dict[str, Any] = run["facets"] if isinstance(run.get("facets"), dict) else {}
    common = {
        "producer": _producer(facets),
        "run": {"runId": run.get("id"), "facets": facets},
        "job": {"namespace": namespace, "name": job.get("name"), "facets": job.get("facets") or {}},
    }
    inputs = _datasets(run.get("inputDatasetVersions"), versions, "inputFacets")
    if run.get("startedAt"):
        yield {**common, "eventType": "START", "eventTime": run["startedAt"], "inputs": inputs}
    ended = run.get("endedAt") or run.get("updatedAt")
    state = STATES.get(str(run.get("state")))
    if ended and state:
        outputs = _datasets(run.get("outputDatasetVersions"), versions, "outputFacets")
        yield {
            **common,
            "eventType": state,
            "eventTime": ended,
            "inputs": inputs,
            "outputs": outputs,
        }


def _datasets(entries: Any, versions: dict[VersionKey, Any], io_key: str) -> list[dict[str, Any]]:
    datasets = []
    for entry in entries if isinstance(entries, list) else []:
        identity = entry.get("datasetVersionId") if isinstance(entry, dict) else None
        if not isinstance(identity, dict):
            continue
        namespace, name = identity.get("namespace"), identity.get("name")
        if not isinstance(namespace, str) or not isinstance(name, str):
            continue
        key = (namespace, name, str(identity.get("version")))
        datasets.append(
            {
                "namespace": key[0],
                "name": key[1],
                "facets": versions.get(key, {}),
                io_key: entry.get("facets") or {},
            }
        )
    return datasets


def _producer(facets: dict[str, Any]) -> str | None:
    """Marquez keeps no event producer; each facet still names the one that wrote it."""
    for facet in facets.values():
        if isinstance(facet, dict) and isinstance(facet.get("_producer"), str):
            return str(facet["_producer"])
    return None
