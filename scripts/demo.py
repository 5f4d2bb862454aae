"""``make demo``: run the example DAG on the sample corpus and show the lineage it reported.

Everything stays inside the repository: Airflow's home and SQLite database in .airflow-demo/,
the outputs and OpenLineage events in .demo-output/. The events go to a file by default so the
demo needs no service; a transport the user configured is respected instead.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
AIRFLOW_HOME = REPO / ".airflow-demo"
DAGS_FOLDER = REPO / "example_dags"
OUTPUT = REPO / ".demo-output"
EVENTS = OUTPUT / "openlineage" / "events.jsonl"
DAGS_TEST_LOG = OUTPUT / "airflow-dags-test.log"
DAG_ID = "llm_lineage_extraction"
NAMESPACE = "llm-lineage-demo"
COLLECTION = "llmLineage_documentCollection"
MARQUEZ = '{"type": "http", "url": "http://localhost:5000", "endpoint": "api/v1/lineage"}'
#: Settings with which a user picks their own OpenLineage backend (Airflow's and the client's).
USER_TRANSPORT_VARS = (
    "AIRFLOW__OPENLINEAGE__TRANSPORT",
    "AIRFLOW__OPENLINEAGE__CONFIG_PATH",
    "OPENLINEAGE_URL",
    "OPENLINEAGE_CONFIG",
)

# "<time> [level    ] message [logger] key=value ...", as Airflow 3 logs to the console.
_LOG_LINE = re.compile(
    r"^\S+ \[(?P<level>\w+)\s*\] (?P<message>.*?)(?: \[(?P<logger>[\w.]+)\].*)?$"
)
_EMITTED = re.compile(r"Successfully emitted OpenLineage `(\w+)` event")
# The last line of a traceback, e.g. "FileNotFoundError: [Errno 2] ...".
_EXCEPTION = re.compile(r"^[A-Za-z_][\w.]*(?:Error|Exception|Failed|Interrupt)\w*: \S")


def rel(path: Path) -> str:
    return str(path.relative_to(REPO)) if path.is_relative_to(REPO) else str(path)


def user_transport() -> list[str]:
    """Names of the OpenLineage settings the user already set; the demo then leaves them be."""
    return [
        name
        for name in os.environ
        if name in USER_TRANSPORT_VARS or name.startswith("OPENLINEAGE__TRANSPORT")
    ]


def demo_environment() -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        AIRFLOW_HOME=str(AIRFLOW_HOME),
        AIRFLOW__CORE__DAGS_FOLDER=str(DAGS_FOLDER),
        AIRFLOW__CORE__LOAD_EXAMPLES="False",
    )
    env.setdefault("AIRFLOW__OPENLINEAGE__NAMESPACE", NAMESPACE)
    env.setdefault("LLM_LINEAGE_OUTPUT", str(OUTPUT / "extraction"))
    if not user_transport():
        env["AIRFLOW__OPENLINEAGE__TRANSPORT"] = json.dumps(
            {"type": "file", "log_file_path": str(EVENTS), "append": True}
        )
    return env


def airflow(*args: str) -> list[str]:
    return [sys.executable, "-m", "airflow", *args]


def pin_config() -> None:
    """Write the DAG folder into .airflow-demo/airflow.cfg so `airflow standalone` finds the DAG.

    Airflow writes a full airflow.cfg on its first ``db migrate``; only these two keys change.
    """
    config = AIRFLOW_HOME / "airflow.cfg"
    if not config.exists():
        return
    text = config.read_text()
    text = re.sub(r"^dags_folder = .*$", f"dags_folder = {DAGS_FOLDER}", text, count=1, flags=re.M)
    text = re.sub(r"^load_examples = .*$", "load_examples = False", text, count=1, flags=re.M)
    config.write_text(text)


def migrate(env: dict[str, str]) -> bool:
    started = time.monotonic()
    done = subprocess.run(airflow("db", "migrate"), env=env, capture_output=True, text=True)
    if done.returncode != 0:
        print(done.stdout[-4000:] + done.stderr[-4000:])
        print(f"[1/3] airflow db migrate failed (exit {done.returncode})")
        return False
    pin_config()
    took = time.monotonic() - started
    print(f"[1/3] metadata database ready: {rel(AIRFLOW_HOME / 'airflow.db')} ({took:.1f}s)")
    return True


def progress_line(line: str) -> str | None:
    """The part of one ``airflow dags test`` output line worth showing, or None."""
    match = _LOG_LINE.match(line)
    if match is None:
        return line if _EXCEPTION.match(line) else None
    level, message, logger = match["level"], match["message"].strip(), match["logger"] or ""
    emitted = _EMITTED.search(message)
    if emitted:
        return f"OpenLineage {emitted.group(1)} event emitted"
    if message.startswith("[DAG TEST] running task"):
        return None
    if message.startswith("[DAG TEST]"):
        return re.sub(r" map_index=-1$", "", message.removeprefix("[DAG TEST] "))
    if "llm_lineage" in logger:
        return message
    if message.startswith("DagRun Finished"):
        state = re.search(r"state=(\w+)", line)
        return f"DAG run finished: {state.group(1) if state else 'unknown state'}"
    if level in ("error", "critical") or (level == "warning" and "openlineage" in logger):
        return f"{level.upper()}: {message}"
    return None


def run_dag(env: dict[str, str]) -> tuple[int, set[str]]:
    """Run the DAG, echo its progress; return the exit code and the event types emitted."""
    print(f"[2/3] airflow dags test {DAG_ID}  (full output: {rel(DAGS_TEST_LOG)})")
    started = time.monotonic()
    with (
        DAGS_TEST_LOG.open("w") as log,
        subprocess.Popen(
            airflow("dags", "test", DAG_ID),
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        ) as process,
    ):
        assert process.stdout is not None
        last = None
        emitted: set[str] = set()
        for line in process.stdout:
            log.write(line)
            emitted.update(_EMITTED.findall(line))
            shown = progress_line(line.rstrip())
            if shown and shown != last:  # chained tracebacks repeat their last line
                print(f"      | {shown}", flush=True)
                last = shown
    took = time.monotonic() - started
    outcome = "succeeded" if process.returncode == 0 else f"FAILED (exit {process.returncode})"
    print(f"      DAG run {outcome} in {took:.1f}s")
    return process.returncode, emitted


def read_events(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def _counts(items: Iterable[dict[str, Any]], name: str) -> str:
    return ", ".join(f"{item[name]} ({item['documentCount']})" for item in items)


def _day(value: str) -> str:
    return value[:10]


def describe_input(dataset: dict[str, Any]) -> list[str]:
    lines = [f"  input   {dataset['name']}  (namespace {dataset['namespace']})"]
    facet = dataset.get("facets", {}).get(COLLECTION)
    if not facet:
        return lines
    lines.append(
        f"          {facet['documentCount']} documents read, "
        f"{facet['failedDocumentCount']} failed, {facet['totalBytes']:,d} bytes"
    )
    lines.append(f"          formats: {_counts(facet['formats'], 'format')}")
    authors = _counts(facet["authors"], "name") or "none"
    if facet["authorsTruncated"]:
        authors += f", ... ({facet['distinctAuthorCount']} in all)"
    lines.append(
        f"          authors ({facet['authorPolicy']}): {authors}; "
        f"{facet['documentsWithoutAuthor']} documents without author"
    )
    if facet.get("created"):
        span = facet["created"]
        lines.append(
            f"          created {_day(span['earliest'])} to {_day(span['latest'])} "
            f"({facet['datesFromMetadata']} dates from document metadata, "
            f"{facet['datesFromFilesystem']} from file times)"
        )
    if facet["encodingFallbacks"]:
        lines.append(
            f"          not UTF-8, decoded with a detected encoding: {facet['encodingFallbacks']}"
        )
    return lines


def describe_failures(run_facets: dict[str, Any]) -> list[str]:
    errors = run_facets.get("extractionError", {}).get("errors", [])
    return [f"  failed  {error['task']}: {error['errorMessage']}" for error in errors]


def describe_output(dataset: dict[str, Any]) -> str:
    name = f"  output  {dataset['name']}  (namespace {dataset['namespace']})"
    version = dataset.get("facets", {}).get("version", {}).get("datasetVersion")
    if version is None:
        return f"{name}\n          not written"
    stats = dataset.get("outputFacets", {}).get("outputStatistics", {})
    rows = f", {stats['rowCount']} rows, {stats['size']:,d} bytes" if stats else ""
    return f"{name}\n          datasetVersion {version}{rows}"


def summarize(events: list[dict[str, Any]]) -> bool:
    """Print what the events say; True when a COMPLETE event is among them."""
    print(f"[3/3] {len(events)} OpenLineage events in {rel(EVENTS)}")
    for event in events:
        print(f"  {event['eventType']:<9} {event['job']['namespace']}/{event['job']['name']}")
    completes = [e for e in events if e["eventType"] == "COMPLETE" and e.get("inputs")]
    failures = [e for e in events if e["eventType"] == "FAIL" and e.get("inputs")]
    for event in completes or failures:
        print(f"\n  {event['job']['name']} ({event['eventType']}):")
        for dataset in event["inputs"]:
            print("\n".join(describe_input(dataset)))
        for line in describe_failures(event["run"].get("facets", {})):
            print(line)
        for dataset in event.get("outputs", []):
            print(describe_output(dataset))
    return any(e["eventType"] == "COMPLETE" for e in events)


def main() -> int:
    OUTPUT.mkdir(exist_ok=True)
    EVENTS.parent.mkdir(parents=True, exist_ok=True)
    EVENTS.unlink(missing_ok=True)
    env = demo_environment()
    own = user_transport()
    print(f"Airflow home {rel(AIRFLOW_HOME)} (SQLite), DAGs from {rel(DAGS_FOLDER)}")
    if own:
        print(f"OpenLineage: using your settings ({', '.join(own)}), not the demo's event file")
    else:
        namespace = env["AIRFLOW__OPENLINEAGE__NAMESPACE"]
        print(f"OpenLineage: file transport to {rel(EVENTS)}, namespace {namespace}")
    if not migrate(env):
        return 1
    returncode, emitted = run_dag(env)
    if own:
        print("[3/3] events went to your OpenLineage backend; no local summary")
        complete = "COMPLETE" in emitted
    else:
        complete = summarize(read_events(EVENTS))
        print(f"\nEvents file: {rel(EVENTS)}")
        print(f"Send them to Marquez instead:  export AIRFLOW__OPENLINEAGE__TRANSPORT='{MARQUEZ}'")
    # standalone starts its components as `airflow ...` from PATH, so the venv must be on it.
    print(
        f"Open the Airflow UI:  PATH={Path(sys.executable).parent}:$PATH "
        f"AIRFLOW_HOME={AIRFLOW_HOME} airflow standalone  (http://localhost:8080, user admin)"
    )
    if returncode != 0:
        print(f"Demo failed: the DAG run failed; see {rel(DAGS_TEST_LOG)}")
        return returncode
    if not complete:
        print(f"Demo failed: no OpenLineage COMPLETE event was emitted; see {rel(DAGS_TEST_LOG)}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
