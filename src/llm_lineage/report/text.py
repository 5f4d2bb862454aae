"""The answers as plain text: a tree for a trace, the lines of a diff (usage and cost:
``text_usage.py``)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from llm_lineage.events import kinds
from llm_lineage.events.units import count, money, seconds, short, size
from llm_lineage.report.diff import INPUT, OUTCOME, VERSION, Change, Diff
from llm_lineage.report.documents import DocumentAnswer
from llm_lineage.report.tally import Tally
from llm_lineage.report.timeutil import shown
from llm_lineage.report.trace import Node, Step


def compact(value: Any) -> str:
    """Parameters on one line, keys sorted, as JSON (a value never breaks the line)."""
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(", ", "="))


def skipped(tally: Tally) -> list[str]:
    phrases = tally.skipped()
    return [f"skipped: {'; '.join(phrases)}"] if phrases else []


# -- trace -----------------------------------------------------------------------------------


def trace_text(root: Node, answer: DocumentAnswer | None, tally: Tally) -> str:
    lines = _tree(root, "", "")
    if answer is not None:
        lines += ["", *document_lines(answer)]
    return "\n".join([*lines, *skipped(tally)]) + "\n"


def _tree(node: Node, lead: str, rest: str) -> list[str]:
    lines = [f"{lead}{node.kind:<10} {node.id.uri}"]
    lines += [f"{rest}{' ' * 11}{line}" for line in _node_lines(node)]
    for index, child in enumerate(node.inputs):
        last = index == len(node.inputs) - 1
        lines += _tree(child, rest + ("└─ " if last else "├─ "), rest + ("   " if last else "│  "))
    return lines


def _node_lines(node: Node) -> list[str]:
    when = f", written {shown(node.written)}" if node.written else ""
    lines = [f"version {short(node.version)}{when}, {size(node.size)}"]
    lines += _DETAILS.get(node.kind, lambda details: [])(node.details)
    if node.step is not None:
        lines += _step_lines(node.step)
    return lines


def _documents(details: Mapping[str, Any]) -> list[str]:
    formats = ", ".join(f"{name} ({number})" for name, number in details["formats"].items())
    created, modified = details["created"], details["modified"]
    authors = ", ".join(f"{a['name']} ({a['documents']})" for a in details["authors"]) or "none"
    more = " (truncated)" if details["authors_truncated"] else ""
    return [
        f"{count(details['documents'])} documents, {count(details['failed'])} failed, "
        f"{size(details['bytes'])}; formats: {formats or '-'}",
        f"created {_day(created['earliest'])} to {_day(created['latest'])}, "
        f"modified {_day(modified['earliest'])} to {_day(modified['latest'])}",
        f"authors ({details['author_policy'] or '?'}): {authors}{more}; "
        f"{count(details['distinct_authors'])} distinct, "
        f"{count(details['documents_without_author'])} documents without author",
        f"manifest {details['manifest'] or '-'}",
    ]


def _day(value: str | None) -> str:
    return value[:10] if value else "?"


def _tokens(details: Mapping[str, Any]) -> list[str]:
    tokenizer = details["tokenizer"]
    lines = [
        f"{count(details['tokens'])} tokens in {count(details['sequences'])} sequences "
        f"(block {details['block_size']}, packing {details['packing']})",
        f"tokenizer {tokenizer['name']} ({tokenizer['type']}, vocabulary "
        f"{count(tokenizer['vocabulary'])}, sha256 {short(tokenizer['sha256'])}, "
        f"{tokenizer['library']} {tokenizer['library_version']})",
    ]
    return lines + [
        f"transform {t['name']} {compact(t['parameters'])}: changed {t['changed']}, "
        f"dropped {t['dropped']}"
        for t in details["transforms"]
    ]


def _adapter(details: Mapping[str, Any]) -> list[str]:
    lora, base = details["lora"], details["base_model"]
    return [
        f"LoRA r={lora['r']} alpha={lora['alpha']:g} dropout={lora['dropout']:g} on "
        f"{', '.join(lora['target_modules']) or '?'}: {count(details['trainable_parameters'])} "
        f"of {count(details['total_parameters'])} parameters (peft {details['peft_version']})"
        if lora["alpha"] is not None and lora["dropout"] is not None
        else f"LoRA {compact(lora)}",
        f"base model {base['name']}, fingerprint {short(base['fingerprint'])}"
        + (f" ({base['model_type']})" if base["model_type"] else ""),
    ]


def _base_model(details: Mapping[str, Any]) -> list[str]:
    return [f"fingerprint {short(details['fingerprint'])} ({details['model_type'] or '?'})"]


def _embeddings(details: Mapping[str, Any]) -> list[str]:
    model, store = details["model"], details["vector_store"]
    lines = [
        f"{count(details['chunks'])} chunks ({count(details['tokens'])} tokens, "
        f"{details['chunk_tokens']}-token windows, overlap {details['overlap_tokens']}, "
        f"{count(details['truncated_chunks'])} truncated) of {count(details['documents_embedded'])} "
        f"documents",
        f"model {model['name']}, fingerprint {short(model['fingerprint'])}, "
        f"{model['dimension']} dimensions, {model['similarity']}"
        + (", normalized" if details["normalized"] else ""),
    ]
    if store:
        lines.append(
            f"{store['kind']} table {store['table']} in {store['uri']} at table version "
            f"{store['table_version']}"
        )
    return lines


_DETAILS = {
    kinds.DOCUMENTS: _documents,
    kinds.TOKENS: _tokens,
    kinds.ADAPTER: _adapter,
    kinds.BASE_MODEL: _base_model,
    kinds.EMBEDDINGS: _embeddings,
    kinds.EMBEDDING_MODEL: _base_model,
}


def _step_lines(step: Step) -> list[str]:
    run = step.run
    lines = [f"<- {run.job_name} run {run.run_id} ({run.state}, {shown(run.ended)})"]
    lines += [
        f"   {t['name']} ({t['library']} {t['version']}): {compact(t['parameters'])}"
        for t in step.transforms
    ]
    training = step.training
    if training is not None:
        loss = training["loss"]
        lines += [
            f"   trained {count(training['steps'])} steps, {count(training['tokens_seen'])} "
            f"tokens on {training['device']} ({training['precision']}): loss "
            f"{_loss(loss['first'])} -> {_loss(loss['last'])} (best {_loss(loss['best'])})",
            f"   hyperparameters {compact(training['hyperparameters'])}",
        ]
        if (training.get("world_size") or 1) > 1:
            lines.append(
                f"   data-parallel: world size {training['world_size']} "
                f"({training['backend']}), {training['devices']} devices"
            )
    lines += provenance_lines(step.code, step.environment)
    resources = step.resources
    if resources["reported"]:
        cost = f", estimated cost {money(resources['cost'])}" if resources["cost"] else ""
        device = f" on {resources['device']}" if resources["device"] else ""
        lines.append(f"   compute {seconds(resources['compute_seconds'])}{device}{cost}")
    return lines


def provenance_lines(
    code: Mapping[str, Any] | None, environment: Mapping[str, Any] | None
) -> list[str]:
    """``code: repo@commit (branch), environment fingerprint ... (Python, OS)``, when known."""
    parts = []
    if code is not None:
        parts.append(f"code: {code_text(code)}")
    if environment is not None:
        parts.append(
            f"environment fingerprint {short(environment['fingerprint'])} (Python "
            f"{environment['python']}, {environment['os']} {environment['architecture']})"
        )
    return [f"   {', '.join(parts)}"] if parts else []


def code_text(code: Mapping[str, Any]) -> str:
    """``repo@commit`` with the branch or tag, and ``dirty`` when the tree was."""
    marks = [mark for mark in (code.get("tag") or code.get("branch"),) if mark]
    if code.get("dirty"):
        marks.append("dirty")
    where = f" ({', '.join(marks)})" if marks else ""
    return f"{code.get('repository')}@{short(code.get('commit'))}{where}"


def _loss(value: float | None) -> str:
    return "?" if value is None else f"{value:.4f}"


def document_lines(answer: DocumentAnswer) -> list[str]:
    wanted = answer.query
    label = wanted.path or wanted.sha256 or "?"
    lines = [
        f"document {label}"
        + (f" (sha256 {wanted.sha256})" if wanted.path and wanted.sha256 else "")
    ]
    because = f" ({answer.explanation})" if answer.explanation else ""
    lines.append(f"feeds this dataset: {answer.verdict}{because}")
    for check in answer.checks:
        lines.append(f"  collection {check.collection}: manifest {check.manifest or '-'}")
        if not check.reachable:
            lines.append(f"    not readable: {check.reason}")
            continue
        if check.stale:
            lines.append(
                f"    the manifest was rewritten since (now {short(check.manifest_version)}, "
                f"traced {short(check.expected_version)}): this is what it lists now"
            )
        lines += [
            f"    listed: {row['relative_path']} sha256 {short(row['sha256'])} status {row['status']}"
            for row in check.matches
        ] or ["    not listed"]
    for curation in answer.curations:
        lines.append(f"  curation {curation.dataset}: decisions {curation.decisions or '-'}")
        if not curation.reachable:
            lines.append(f"    not readable: {curation.reason}")
            continue
        lines += [f"    {row['relative_path']}: {row['explanation']}" for row in curation.rows] or [
            "    not read by this curation"
        ]
    chunks = answer.chunks
    if chunks is not None:
        lines.append(
            f"document {label} is in {count(chunks.chunks)} chunks of index {chunks.index} "
            f"(version {short(chunks.version)})"
            if chunks.chunks is not None
            else f"chunks in index {chunks.index}: not readable: {chunks.reason}"
        )
    return lines


# -- usage -----------------------------------------------------------------------------------


def diff_text(changes: Diff, tally: Tally) -> str:
    lines = [f"diff {changes.dataset.uri}", f"  from {changes.before}", f"  to   {changes.after}"]
    for kind, title in (
        (INPUT, "changed inputs and settings"),
        (VERSION, "versions that follow from them"),
        (OUTCOME, "outcomes (measured)"),
    ):
        found = changes.of(kind)
        lines += ["", f"{title} ({len(found)}):"] if found else ["", f"{title}: none"]
        for change in found:
            lines += _change_lines(change)
    lines += ["", f"unchanged: {', '.join(_grouped(changes.unchanged)) or 'nothing'}"]
    return "\n".join([*lines, *skipped(tally)]) + "\n"


def _grouped(names: list[str]) -> list[str]:
    """Field names, those sharing a first part three or more times counted as one entry."""
    heads: dict[str, list[str]] = {}
    for name in names:
        heads.setdefault(name.split(".", 1)[0], []).append(name)
    shown = []
    for head, members in heads.items():
        shown += [f"{head} ({len(members)} fields)"] if len(members) > 2 else members
    return shown


def _change_lines(change: Change) -> list[str]:
    lines = [f"  {change.name}: {_value(change.before)} -> {_value(change.after)}"]
    extra = change.extra
    if extra.get("names"):
        lines.append(f"    names: {extra['names']}")
    for sign, key in (("+", "added"), ("-", "removed")):
        names = extra.get(key) or []
        lines += [f"    {sign} {name}" for name in names]
        more = (extra.get(f"{key}_count") or 0) - len(names)
        if more > 0:
            lines.append(f"    {sign} ... and {count(more)} more")
    return lines


def _value(value: Any) -> str:
    if isinstance(value, str):
        return short(value, 40) if len(value) == 64 else value
    return "-" if value is None else compact(value)
