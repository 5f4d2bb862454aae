"""``make demo``: run the documents-to-adapter example DAG and show the lineage it reported.

Everything stays inside the repository: Airflow's home and SQLite database in .airflow-demo/,
the outputs and OpenLineage events in .demo-output/. The events go to a file by default so the
demo needs no service; a transport the user configured is respected instead (and checked
before anything runs: settings that cannot send events stop the demo with exit 2).

Scenarios (``--scenario``):

- ``pipeline`` (the default, ``make demo``): documents -> text -> curated -> tokens -> adapter.
- ``usage`` (``make demo-usage``): the pipeline, then the extraction example into a second
  folder (the same text under another name, read by nothing), then ``llm-lineage report usage``
  judged a month from now, so it shows idle, orphaned and redundant data.

The demo deletes only what it made: an events file it did not write (or that changed since) is
moved aside, never removed, and a transport of your own is never touched.
"""

from __future__ import annotations

import argparse
import collections
import datetime as dt
import json
import os
import re
import shlex
import subprocess
import sys
import time
import urllib.parse
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from llm_lineage.events import keys

REPO = Path(__file__).resolve().parent.parent
AIRFLOW_HOME = REPO / ".airflow-demo"
DAGS_FOLDER = REPO / "example_dags"
OUTPUT = REPO / ".demo-output"
EVENTS = OUTPUT / "openlineage" / "events.jsonl"
DAGS_TEST_LOG = OUTPUT / "airflow-dags-test.log"
#: Fingerprint (size, mtime, inode) of the events file as the demo left it: the demo deletes
#: the file on its next run only when it is still exactly that.
EVENTS_MARK = EVENTS.with_name(".events.jsonl.demo")
DAG_ID = "llm_lineage_pipeline"
#: The usage scenario's second run: the same corpus extracted again, into extraction/.
COPY_DAG_ID = "llm_lineage_extraction"
#: The usage report is judged this many days from now, past its 30 idle days.
USAGE_DAYS_AHEAD = 31
STEPS = (
    ("extract_documents", "text"),
    ("curate", "curated"),
    ("tokenize", "tokens"),
    ("fine_tune", "adapter"),
)
NAMESPACE = "llm-lineage-demo"
MARQUEZ = '{"type": "http", "url": "http://localhost:5000", "endpoint": "api/v1/lineage"}'
#: Where the printed `airflow standalone` serves the UI (loopback only, so it can skip logins).
UI_PORT = 8080
UI_URL = f"http://127.0.0.1:{UI_PORT}"
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
_RUN_CREATED = re.compile(r"creating dag run .* run_id=(\S+)")
# The last line of a traceback, e.g. "FileNotFoundError: [Errno 2] ...".
_EXCEPTION = re.compile(r"^[A-Za-z_][\w.]*(?:Error|Exception|Failed|Interrupt)\w*: \S")


def use_folders(airflow_home: Path, output: Path) -> None:
    """Put Airflow's home and the outputs elsewhere (the tests run the demo in temp folders)."""
    global AIRFLOW_HOME, OUTPUT, EVENTS, EVENTS_MARK, DAGS_TEST_LOG
    AIRFLOW_HOME, OUTPUT = airflow_home.resolve(), output.resolve()
    EVENTS = OUTPUT / "openlineage" / "events.jsonl"
    EVENTS_MARK = EVENTS.with_name(".events.jsonl.demo")
    DAGS_TEST_LOG = OUTPUT / "airflow-dags-test.log"


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
        # The run goes into this database, and the printed `airflow standalone` reads it back.
        AIRFLOW__DATABASE__SQL_ALCHEMY_CONN=f"sqlite:///{AIRFLOW_HOME / 'airflow.db'}",
        AIRFLOW__CORE__DAGS_FOLDER=str(DAGS_FOLDER),
        AIRFLOW__CORE__LOAD_EXAMPLES="False",
    )
    env.setdefault("AIRFLOW__OPENLINEAGE__NAMESPACE", NAMESPACE)
    env.setdefault("LLM_LINEAGE_OUTPUT", str(OUTPUT))
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


def migrate(env: dict[str, str], step: str) -> bool:
    started = time.monotonic()
    done = subprocess.run(airflow("db", "migrate"), env=env, capture_output=True, text=True)
    if done.returncode != 0:
        print(done.stdout[-4000:] + done.stderr[-4000:])
        print(f"{step} airflow db migrate failed (exit {done.returncode})")
        return False
    pin_config()
    took = time.monotonic() - started
    print(f"{step} metadata database ready: {rel(AIRFLOW_HOME / 'airflow.db')} ({took:.1f}s)")
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


def run_dag(
    env: dict[str, str], dag_id: str, step: str
) -> tuple[int, collections.Counter[str], str | None]:
    """Run a DAG, echo its progress; return the exit code, events emitted by type and run id."""
    print(f"{step} airflow dags test {dag_id}  (full output: {rel(DAGS_TEST_LOG)})")
    started = time.monotonic()
    with (
        DAGS_TEST_LOG.open("a") as log,
        subprocess.Popen(
            airflow("dags", "test", dag_id),
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        ) as process,
    ):
        assert process.stdout is not None
        last = None
        emitted: collections.Counter[str] = collections.Counter()
        run_id = None
        for line in process.stdout:
            log.write(line)
            emitted.update(_EMITTED.findall(line))
            created = _RUN_CREATED.search(line) if run_id is None else None
            run_id = created.group(1) if created else run_id
            shown = progress_line(line.rstrip())
            if shown and shown != last:  # chained tracebacks repeat their last line
                print(f"      | {shown}", flush=True)
                last = shown
    took = time.monotonic() - started
    outcome = "succeeded" if process.returncode == 0 else f"FAILED (exit {process.returncode})"
    print(f"      DAG run {outcome} in {took:.1f}s")
    return process.returncode, emitted, run_id


def read_events(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def _counts(items: Iterable[dict[str, Any]], name: str) -> str:
    return ", ".join(f"{item[name]} ({item['documentCount']})" for item in items)


def _day(value: str) -> str:
    return value[:10]


def describe_input(dataset: dict[str, Any]) -> list[str]:
    lines = [f"  documents {name_of(dataset)}"]
    facet = keys.COLLECTION.on(dataset)
    if not facet:
        return lines
    lines.append(
        f"            {facet['documentCount']} documents read, "
        f"{facet['failedDocumentCount']} failed, {facet['totalBytes']:,d} bytes"
    )
    lines.append(f"            formats: {_counts(facet['formats'], 'format')}")
    authors = _counts(facet["authors"], "name") or "none"
    if facet["authorsTruncated"]:
        authors += f", ... ({facet['distinctAuthorCount']} in all)"
    lines.append(
        f"            authors ({facet['authorPolicy']}): {authors}; "
        f"{facet['documentsWithoutAuthor']} documents without author"
    )
    if facet.get("created"):
        span = facet["created"]
        lines.append(
            f"            created {_day(span['earliest'])} to {_day(span['latest'])} "
            f"({facet['datesFromMetadata']} dates from document metadata, "
            f"{facet['datesFromFilesystem']} from file times)"
        )
    if facet["encodingFallbacks"]:
        lines.append(
            f"            not UTF-8, decoded with a detected encoding: {facet['encodingFallbacks']}"
        )
    return lines


def describe_failures(run_facets: Any) -> list[str]:
    errors = keys.EXTRACTION_ERROR.of(run_facets).get("errors", [])
    return [f"  failed  {error['task']}: {error['errorMessage']}" for error in errors]


def short(version: str | None) -> str:
    return version[:16] if version else "(none)"


def name_of(dataset: dict[str, Any]) -> str:
    name = dataset["name"]
    if dataset["namespace"] == "file":
        return rel(Path(name))
    return f"{dataset['namespace']}/{name}"


def version_of(dataset: dict[str, Any]) -> str | None:
    return keys.DATASET_VERSION.text(dataset.get("facets"))


def step_line(event: dict[str, Any]) -> str:
    """`task (1.2s, cost ...)` from the run's resource facet."""
    task = event["job"]["name"].rsplit(".", 1)[-1]
    usage = keys.RESOURCES.on(event["run"])
    parts = [f"{usage['wallSeconds']:.1f}s"] if "wallSeconds" in usage else []
    if usage.get("estimatedCost") is not None:
        parts.append(f"estimated cost {usage['estimatedCost']:.6f} {usage.get('currency', '')}")
    return f"{task} ({', '.join(parts)})" if parts else task


def describe_dataset(kind: str, dataset: dict[str, Any]) -> list[str]:
    """The node's name and version, then what its facets say in one or two lines."""
    lines = [
        f"  {kind:<9} {name_of(dataset)}",
        f"  {'':<9} datasetVersion {short(version_of(dataset))}",
    ]
    tokenization = keys.TOKENIZATION.on(dataset)
    if tokenization:
        tokenizer = tokenization["tokenizer"]
        lines.append(
            f"  {'':<9} {tokenization['tokens']:,d} tokens in {tokenization['sequences']} blocks "
            f"of {tokenization.get('blockSize')}, tokenizer {tokenizer['modelType']} "
            f"(vocabulary {tokenizer['vocabSize']}, sha256 {tokenizer['sha256'][:12]})"
        )
    lines += describe_curation(keys.CURATION.on(dataset))
    adapter = keys.ADAPTER.on(dataset)
    if adapter:
        lines.append(
            f"  {'':<9} LoRA r={adapter['r']} alpha={adapter['alpha']} on "
            f"{', '.join(adapter['targetModules'])}: {adapter['trainableParameters']:,d} of "
            f"{adapter['totalParameters']:,d} parameters trained (peft {adapter['peftVersion']})"
        )
    stats = keys.OUTPUT_STATISTICS.on(dataset)
    if stats.get("rowCount") is not None and not tokenization:
        lines.append(f"  {'':<9} {stats['rowCount']} rows, {stats.get('size', 0):,d} bytes")
    return lines


def describe_curation(curation: dict[str, Any] | None) -> list[str]:
    """Kept and dropped documents, the rules that dropped them, the personal data found."""
    if not curation:
        return []
    dropped = ", ".join(f"{item['rule']} {item['documents']}" for item in curation["dropped"])
    found = ", ".join(
        f"{item['kind']} {item['found']}" for item in curation["piiFound"] if item["found"]
    )
    return [
        f"  {'':<9} kept {curation['documentsOut']} of {curation['documentsIn']} documents; "
        f"dropped: {dropped or 'none'}",
        f"  {'':<9} personal data ({curation['piiMode']}): {found or 'none found'} in "
        f"{curation['piiDocuments']} documents; decisions in {curation.get('decisionsUri')}",
    ]


def describe_training(event: dict[str, Any]) -> list[str]:
    training = keys.TRAINING.on(event["run"])
    if not training:
        return []
    loss = training["loss"]
    hyper = training["hyperparameters"]
    return [
        f"  {'':<9} trained {training['steps']} steps ({training['epochs']:g} epochs, "
        f"{training['tokensSeen']:,d} tokens) on {training.get('device')} in "
        f"{training['durationSeconds']:.1f}s: loss {loss['first']:.4f} -> {loss['last']:.4f} "
        f"(best {loss['best']:.4f}), learning rate {hyper['learningRate']}, seed {hyper['seed']}"
    ]


def arrow(event: dict[str, Any]) -> list[str]:
    lines = [f"  {'':<4}|   {step_line(event)}"]
    for extra in event["inputs"][1:]:  # the base model joins the graph at fine-tuning
        lines.append(
            f"  {'':<4}|   + base model {name_of(extra)}, fingerprint {short(version_of(extra))}"
        )
    lines.append(f"  {'':<4}v")
    return lines


def summarize(events: list[dict[str, Any]], step: str = "[3/3]") -> bool:
    """Print the graph the events describe; True when every step completed."""
    print(f"{step} {len(events)} OpenLineage events in {rel(EVENTS)}")
    for event in events:
        print(f"  {event['eventType']:<9} {event['job']['namespace']}/{event['job']['name']}")
    completes = {
        e["job"]["name"].rsplit(".", 1)[-1]: e for e in events if e["eventType"] == "COMPLETE"
    }
    failures = [e for e in events if e["eventType"] == "FAIL"]
    for event in failures:
        message = keys.ERROR_MESSAGE.on(event["run"]).get("message", "")
        print(f"\n  FAILED {event['job']['name']}: {message[:500]}")
    if not all(task in completes for task, _ in STEPS):
        return False
    print("\nThe lineage graph, read back from the COMPLETE events:\n")
    first = completes[STEPS[0][0]]
    documents = first["inputs"][0]
    for line in describe_input(documents) + describe_failures(first["run"].get("facets")):
        print(line)
    print(f"  {'':<9} datasetVersion {short(version_of(documents))}")
    for task, kind in STEPS:
        event = completes[task]
        for line in arrow(event):
            print(line)
        output = next(d for d in event["outputs"] if kind == "adapter" or kind in d["name"])
        for line in describe_dataset(kind, output):
            print(line)
        if kind == "adapter":
            for line in describe_training(event):
                print(line)
    return True


def ui_environment(env: dict[str, str], own_transport: bool) -> dict[str, str]:
    """Everything `airflow standalone` needs to show the demo's run, with its lineage.

    The demo's home, database, DAG folder, outputs and OpenLineage settings (so that runs
    started from the UI write where this one did; a transport of the user's own stays theirs,
    unprinted), and a UI on 127.0.0.1 only, where every user is an admin and nobody logs in.
    """
    names = [
        "AIRFLOW_HOME",
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN",
        "AIRFLOW__CORE__DAGS_FOLDER",
        "AIRFLOW__CORE__LOAD_EXAMPLES",
        "LLM_LINEAGE_OUTPUT",
        "AIRFLOW__OPENLINEAGE__NAMESPACE",
    ]
    if not own_transport:
        names.append("AIRFLOW__OPENLINEAGE__TRANSPORT")
    return {
        **{name: env[name] for name in names},
        "AIRFLOW__API__HOST": "127.0.0.1",
        "AIRFLOW__API__PORT": str(UI_PORT),
        # Tasks reach the API server here; its default names localhost, which may not be
        # 127.0.0.1.
        "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"{UI_URL}/execution/",
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS": "True",
    }


def ui_instructions(env: dict[str, str], own_transport: bool, run_id: str | None) -> list[str]:
    """How to open this run in the Airflow UI: the command, then the page to open."""
    # standalone starts its components as `airflow ...` from PATH, so the venv must be on it.
    lines = [f'  PATH={shlex.quote(str(Path(sys.executable).parent))}:"$PATH" \\']
    for name, value in ui_environment(env, own_transport).items():
        lines.append(f"  {name}={shlex.quote(value)} \\")
    lines.append("  airflow standalone")
    page = f"{UI_URL}/dags/{DAG_ID}"
    if run_id:
        page += f"/runs/{urllib.parse.quote(run_id, safe='')}/tasks/fine_tune"
    return [
        "See this run in the Airflow UI (the Lineage tab of each task, and of the run):",
        *lines,
        f"then open {page}",
        "  (no login: every user is an admin, and the UI listens on 127.0.0.1 only; Ctrl+C stops it)",
    ]


#: Run in a child process with the demo's environment: what Airflow's OpenLineage provider
#: will make of the settings (the check every step hook logs), and whether lineage is off.
_CHECK = """
import json
from airflow.providers.openlineage import conf
from llm_lineage.hooks.openlineage_config import openlineage_settings_problem
problem = openlineage_settings_problem()
print(json.dumps({"problem": problem, "disabled": None if problem else conf.is_disabled()}))
"""


def transport_problem(env: dict[str, str]) -> str | None:
    """Why the OpenLineage settings the DAG run will use cannot send an event, or None."""
    done = subprocess.run(
        [sys.executable, "-c", _CHECK], env=env, capture_output=True, text=True, check=False
    )
    lines = done.stdout.strip().splitlines()
    if done.returncode != 0 or not lines:
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        return f"the OpenLineage settings could not be read: {last}"
    found = json.loads(lines[-1])
    if found["problem"]:
        return str(found["problem"])
    if found["disabled"]:
        return (
            "OpenLineage is off ([openlineage] disabled, OPENLINEAGE_DISABLED, or no transport "
            "configured): the DAG would run and send no event"
        )
    return None


def _fingerprint(path: Path) -> str:
    found = path.stat()
    return f"{found.st_size} {found.st_mtime_ns} {found.st_ino}"


def clear_previous_events() -> Path | None:
    """Delete the events file if the demo wrote it and nothing changed it since; otherwise move
    it aside and return where it went. A file the demo did not make is never deleted."""
    if not EVENTS.exists():
        EVENTS_MARK.unlink(missing_ok=True)
        return None
    if EVENTS_MARK.exists() and EVENTS_MARK.read_text() == _fingerprint(EVENTS):
        EVENTS.unlink()
        EVENTS_MARK.unlink()
        return None
    stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%S%fZ")
    kept = EVENTS.with_name(f"events-kept-{stamp}.jsonl")
    EVENTS.rename(kept)
    return kept


def mark_events() -> None:
    """Remember the events file as the demo leaves it, so the next run may delete it."""
    if EVENTS.exists():
        EVENTS_MARK.write_text(_fingerprint(EVENTS))


def announce(env: dict[str, str], own: list[str]) -> bool:
    """Say where events go, after checking they can go there; False: the settings cannot."""
    problem = transport_problem(env)
    whose = f"your settings ({', '.join(own)})" if own else "the demo's settings"
    if problem:
        print(f"OpenLineage: {whose} cannot send events: {problem}")
        print(
            "Demo stopped before running anything: fix the setting, or unset it to use the demo's"
        )
        print(f"events file ({rel(EVENTS)}).")
        return False
    if own:
        print(f"OpenLineage: using {whose}, not the demo's event file")
        return True
    EVENTS.parent.mkdir(parents=True, exist_ok=True)
    kept = clear_previous_events()
    if kept:
        print(f"An events file the demo did not write was at {rel(EVENTS)}: moved to {rel(kept)}")
    namespace = env["AIRFLOW__OPENLINEAGE__NAMESPACE"]
    print(f"OpenLineage: file transport to {rel(EVENTS)}, namespace {namespace}")
    return True


def sent_to_own_backend(step: str, emitted: collections.Counter[str]) -> bool:
    """What the run's log says was sent, with a transport of the user's own; True on COMPLETE."""
    if not emitted:
        print(f"{step} no OpenLineage event was emitted: your backend got nothing from this run")
        print(f"      (the WARNING lines above, and {rel(DAGS_TEST_LOG)}, say why)")
        return False
    counts = ", ".join(f"{count} {kind}" for kind, count in sorted(emitted.items()))
    print(f"{step} {sum(emitted.values())} OpenLineage events sent to your backend ({counts})")
    return emitted["COMPLETE"] > 0


def usage_report(env: dict[str, str], step: str) -> bool:
    """``llm-lineage report usage`` on the events, a month on; True if it flags all three."""
    now = dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=USAGE_DAYS_AHEAD)
    stamp = now.strftime("%Y-%m-%dT%H:%M:%SZ")
    command = ["report", "usage", "--events", str(EVENTS), "--now", stamp]
    print(f"{step} llm-lineage report usage --events {rel(EVENTS)} --now {stamp}")
    print(f"      (judged {USAGE_DAYS_AHEAD} days from now: what was read today is idle by then)\n")
    cli = [sys.executable, "-m", "llm_lineage.cli", *command]
    text = subprocess.run(cli, env=env, capture_output=True, text=True, check=False)
    print(text.stdout + text.stderr)
    found = subprocess.run([*cli, "--json"], env=env, capture_output=True, text=True, check=False)
    if found.returncode != 0:
        return False
    flags = collections.Counter(
        flag
        for dataset in json.loads(found.stdout)["usage"]["datasets"]
        for flag in dataset["flags"]
    )
    wanted = ("idle", "orphaned", "redundant")
    print("Flagged: " + ", ".join(f"{flags[flag]} {flag}" for flag in wanted))
    return all(flags[flag] for flag in wanted)


def print_task_logs() -> None:
    print(f"Task logs: {rel(DAGS_TEST_LOG)}, every task of the demo's runs, in order.")
    print("  airflow dags test runs the tasks in its own process and logs them there, so the Logs")
    print("  tab of these runs in the UI is empty; runs you trigger from the UI log to")
    print(f"  {rel(AIRFLOW_HOME / 'logs')} and show in their Logs tab.")


def arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0] if __doc__ else None)
    parser.add_argument(
        "--scenario",
        choices=("pipeline", "usage"),
        default="pipeline",
        help="pipeline: documents to adapter (default); usage: the pipeline, a redundant copy, "
        "and `llm-lineage report usage` showing idle, orphaned and redundant data",
    )
    parser.add_argument("--airflow-home", type=Path, default=AIRFLOW_HOME, help=argparse.SUPPRESS)
    parser.add_argument("--output", type=Path, default=OUTPUT, help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    options = arguments(argv)
    use_folders(options.airflow_home, options.output)
    env = demo_environment()
    own = user_transport()
    usage = options.scenario == "usage"
    total = 5 if usage else 3
    print(f"Airflow home {rel(AIRFLOW_HOME)} (SQLite), DAGs from {rel(DAGS_FOLDER)}")
    if not announce(env, own):
        return 2
    OUTPUT.mkdir(parents=True, exist_ok=True)
    DAGS_TEST_LOG.write_text("")
    if not migrate(env, f"[1/{total}]"):
        return 1
    returncode, emitted, run_id = run_dag(env, DAG_ID, f"[2/{total}]")
    if own:
        complete = sent_to_own_backend(f"[3/{total}]", emitted)
    else:
        complete = summarize(read_events(EVENTS), f"[3/{total}]")
    if usage and returncode == 0 and complete:
        copied, _, _ = run_dag(env, COPY_DAG_ID, f"[4/{total}]")
        returncode = returncode or copied
        if own:
            print(f"[5/{total}] llm-lineage report usage --marquez URL: ask your backend")
        elif returncode == 0 and not usage_report(env, f"[5/{total}]"):
            mark_events()
            print("Demo failed: the usage report does not show idle, orphaned and redundant data")
            return 1
    if not own:
        mark_events()
        print(f"\nEvents file: {rel(EVENTS)} (one JSON event a line)")
        print(f"Send them to Marquez instead:  export AIRFLOW__OPENLINEAGE__TRANSPORT='{MARQUEZ}'")
        print("  (a Marquez of your own: docker compose -f docker/docker-compose.yml up --build)")
    print()
    print_task_logs()
    for line in ui_instructions(env, bool(own), run_id):
        print(line)
    if returncode != 0:
        print(f"Demo failed: the DAG run failed; see {rel(DAGS_TEST_LOG)}")
        return returncode
    if not complete:
        print(f"Demo failed: no OpenLineage COMPLETE event was emitted; see {rel(DAGS_TEST_LOG)}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
