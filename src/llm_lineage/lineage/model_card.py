"""The adapter's README.md: a Hugging Face model card that states where the adapter came from.

A model hub shows this one file, and PEFT's template says nothing and names the base model by a
local path. The card says what the OpenLineage events say: the documents (authors as the
extraction's author policy presented them), the text and token datasets with the same
``datasetVersion`` values, the tokenizer, the base model's fingerprint, the LoRA and training
settings, the losses, the compute and its cost, and the OpenLineage run. The document facts come
from the token files' footers (``lineage/chain.py``), so the card describes data made by any
DAG at any time; the numbers come from the builders the events use. The card names no local
path except inside dataset URIs, which are what lineage names.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import PurePath
from typing import Any

import yaml

from llm_lineage import __version__
from llm_lineage.common.hub import looks_like_hub_id
from llm_lineage.facets import LlmLineageEnvironmentRunFacet
from llm_lineage.lineage.chain import CurationSummary, DocumentsSummary
from llm_lineage.lineage.code_location import CodeLocation
from llm_lineage.lineage.naming import dataset_id
from llm_lineage.lineage.standard_facets import SourceInfo
from llm_lineage.lineage.training import TrainingPlan, resource_facet
from llm_lineage.training import ADAPTER_WEIGHTS, METRICS_FILE, BaseModelInfo, TrainingResult

#: Token datasets described one by one; more shards than this are counted, not listed.
MAX_SHARDS = 20


@dataclass(frozen=True)
class RunReference:
    """The OpenLineage run that trained the adapter: where a catalog holds its events."""

    namespace: str
    job: str
    run_id: str


def model_card(
    plan: TrainingPlan,
    base: BaseModelInfo,
    infos: Sequence[SourceInfo],
    result: TrainingResult,
    run: RunReference | None = None,
    code: CodeLocation | None = None,
    environment: LlmLineageEnvironmentRunFacet | None = None,
) -> str:
    """The card's text: YAML front matter for the hub, then the lineage in Markdown.

    ``code`` and ``environment`` are what the run's ``sourceCodeLocation`` and
    ``llmLineage_environment`` facets say (``lineage/provenance.py``).
    """
    matter = yaml.safe_dump(
        front_matter(plan, base, infos), sort_keys=False, allow_unicode=True, width=1000
    )
    sections = [
        _introduction(plan, base, result),
        _lineage(plan, infos, result, run),
        _base_model(base),
        _lora(plan, result),
        _training(plan, result),
        _code_and_environment(code, environment),
    ]
    return f"---\n{matter}---\n\n" + "\n\n".join(sections) + "\n"


def base_model_name(base: BaseModelInfo) -> str:
    """The base model as a hub knows it, never a local path.

    A hub id as given; for a local folder, the hub id its config was saved from
    (``_name_or_path``) when it is one, else the folder's name. The fingerprint on the card
    identifies the weights exactly either way.
    """
    if not base.location.startswith("file:"):
        return base.source
    if base.name_or_path and looks_like_hub_id(base.name_or_path):
        return base.name_or_path
    return PurePath(base.path).name or base.source


def public_name(spec: str) -> str:
    """A tokenizer as named off this machine: a hub id as is, a local path by its last part."""
    return spec if looks_like_hub_id(spec) else PurePath(spec).name or spec


def front_matter(
    plan: TrainingPlan, base: BaseModelInfo, infos: Sequence[SourceInfo]
) -> dict[str, Any]:
    """Hub metadata; no ``license``, because nothing in the lineage says which applies."""
    tags = ["lora", "peft", "llm-lineage"]
    if base.model_type:
        tags.append(base.model_type)
    datasets: list[str] = []
    for uri, info in _shards(plan, infos)[:MAX_SHARDS]:
        datasets.append(dataset_id(uri).uri)
        if info and info.provenance and info.provenance.text:
            datasets.append(info.provenance.text.uri)
    return {
        "base_model": base_model_name(base),
        "library_name": "peft",
        "pipeline_tag": "text-generation",
        "tags": tags,
        "datasets": list(dict.fromkeys(datasets)),
    }


def _shards(plan: TrainingPlan, infos: Sequence[SourceInfo]) -> list[tuple[str, SourceInfo | None]]:
    """Each token dataset with its footer's facts (None where the footer was not read)."""
    padded: list[SourceInfo | None] = [*infos, *[None] * (len(plan.datasets) - len(infos))]
    return list(zip(plan.datasets, padded, strict=False))


def _introduction(plan: TrainingPlan, base: BaseModelInfo, result: TrainingResult) -> str:
    name = base_model_name(base)
    return "\n".join(
        [
            f"# LoRA adapter for {_escape(name)}",
            "",
            f"A LoRA adapter (r={plan.lora.r}, alpha={plan.lora.alpha}, on "
            f"{_modules(result)}) for the base model {_code(name)}, trained with PEFT by the "
            f"Airflow provider `airflow-provider-llm-lineage` {__version__}. Every fact below is "
            "also in the OpenLineage events of the runs that made the documents' text, the "
            "tokens and this adapter. `base_model` names the base model by its hub id, or by "
            "its folder's name when it was a local folder; its fingerprint identifies the exact "
            "weights.",
            "",
            "```python",
            "from peft import PeftModel",
            "from transformers import AutoModelForCausalLM",
            "",
            f"base = AutoModelForCausalLM.from_pretrained({json.dumps(name)})",
            'model = PeftModel.from_pretrained(base, "path/to/this/adapter")',
            "```",
        ]
    )


def _lineage(
    plan: TrainingPlan,
    infos: Sequence[SourceInfo],
    result: TrainingResult,
    run: RunReference | None,
) -> str:
    run_line = (
        f"- OpenLineage run {_code(run.run_id)} of job {_code(run.job)} in namespace "
        f"{_code(run.namespace)}."
        if run
        else "- OpenLineage run: none known (trained outside an Airflow task)."
    )
    version = result.output.content_hash if result.output else "unknown"
    lines = [
        "## Lineage",
        "",
        run_line,
        f"- Adapter {_code(dataset_id(plan.output).uri)}, datasetVersion {_code(version)} "
        f"(sha256 of `{ADAPTER_WEIGHTS}`).",
        f"- `{METRICS_FILE}` beside this card holds every step's loss and the transformation "
        "chain from the documents to this adapter.",
    ]
    shards = _shards(plan, infos)
    for index, (uri, info) in enumerate(shards[:MAX_SHARDS], 1):
        heading = "### Training data" + (f" ({index} of {len(shards)})" if len(shards) > 1 else "")
        lines += ["", heading, "", *_shard(uri, info)]
    if len(shards) > MAX_SHARDS:
        lines += ["", f"{len(shards) - MAX_SHARDS} more token datasets are in the events."]
    return "\n".join(lines)


def _shard(uri: str, info: SourceInfo | None) -> list[str]:
    version = info.content_hash if info else None
    lines = [f"- Tokens {_code(dataset_id(uri).uri)}, datasetVersion {_version(version)}."]
    provenance = info.provenance if info else None
    if provenance is None:
        return [*lines, "- Text, documents and tokenizer: not recorded in the tokens' footer."]
    if provenance.text:
        lines.append(
            f"- Text {_code(provenance.text.uri)}, datasetVersion "
            f"{_version(provenance.text.version)}."
        )
    if provenance.tokenizer:
        tokenizer = provenance.tokenizer
        revision = f", revision {_code(tokenizer.revision)}" if tokenizer.revision else ""
        lines.append(
            f"- Tokenizer {_code(public_name(tokenizer.name))}{revision}, sha256 of its "
            f"`tokenizer.json` {_code(tokenizer.sha256)}."
        )
    if provenance.curation:
        lines.append(_curation(provenance.curation))
    if provenance.documents:
        lines += _documents(provenance.documents)
    else:
        lines.append("- Documents: not recorded in the text's footer.")
    return lines


def _curation(summary: CurationSummary) -> str:
    dropped = ", ".join(f"{_escape(rule)} {count}" for rule, count in summary.dropped) or "none"
    found = ", ".join(f"{_escape(kind)} {count}" for kind, count in summary.pii_found)
    return (
        f"- Curation: {summary.documents_out} of {summary.documents_in} documents kept "
        f"(dropped: {dropped}); personal data ({_escape(summary.pii_mode)}): "
        f"{found or 'none found'}, {summary.documents_changed} document(s) changed; decisions "
        f"{_code(summary.decisions.uri)}, datasetVersion {_version(summary.decisions.version)}."
    )


def _documents(summary: DocumentsSummary) -> list[str]:
    formats = ", ".join(f"{_escape(name)} {count}" for name, count in summary.formats)
    lines = [
        f"- Documents {_code(summary.source)}, datasetVersion {_code(summary.version)}: "
        f"{summary.documents} read, {summary.failed} failed ({formats}).",
        f"- Authors (author policy `{_escape(summary.author_policy)}`): {_authors(summary)}.",
    ]
    for label, span in (("Created", summary.created), ("Modified", summary.modified)):
        if span:
            lines.append(f"- {label} {span[0][:10]} to {span[1][:10]}.")
    return lines


def _authors(summary: DocumentsSummary) -> str:
    without = f"{summary.documents_without_author} document(s) without an author"
    if not summary.authors:
        return f"{summary.distinct_authors} distinct, not shown; {without}"
    shown = ", ".join(f"{_escape(name)} ({count})" for name, count in summary.authors)
    more = summary.distinct_authors - len(summary.authors)
    return f"{shown}{f' and {more} more' if more > 0 else ''}; {without}"


def _base_model(base: BaseModelInfo) -> str:
    kind = ", ".join([base.model_type or "unknown type", *base.architectures])
    revision = base.resolved_revision or base.revision
    lines = [
        "## Base model",
        "",
        f"- {_code(base_model_name(base))} ({_escape(kind)})"
        + (f" at revision {_code(revision)}" if revision else "")
        + ".",
        f"- Fingerprint {_code(base.fingerprint)}: the base model's datasetVersion, a sha256 "
        "over its config and every weight file, the same for any copy of the same weights.",
        f"- {len(base.weight_files)} {base.weight_format} weight file(s), {base.size_bytes:,} "
        "bytes.",
    ]
    return "\n".join(lines)


def _lora(plan: TrainingPlan, result: TrainingResult) -> str:
    lora = plan.lora
    trainable, total = result.trainable_parameters or 0, result.total_parameters or 0
    share = f" ({trainable / total:.2%})" if total else ""
    return "\n".join(
        [
            "## LoRA",
            "",
            f"- r {lora.r}, alpha {lora.alpha}, dropout {lora.dropout}, bias {lora.bias}, "
            f"task {lora.task_type}.",
            f"- Target modules (as PEFT resolved them): {_modules(result)}.",
            f"- {trainable:,} of {total:,} parameters trained{share}; PEFT "
            f"{_escape(result.libraries.get('peft', 'unknown'))}.",
        ]
    )


def _training(plan: TrainingPlan, result: TrainingResult) -> str:
    settings = plan.training
    usage = resource_facet(plan, result)
    length = (
        f"max_steps {settings.max_steps}" if settings.max_steps else f"{settings.epochs} epoch(s)"
    )
    cost = (
        f"estimated cost {usage.estimatedCost} {plan.currency} at {plan.cost_per_hour} "
        f"{plan.currency} per device-hour"
        if usage.estimatedCost is not None
        else "no cost_per_hour given, so no cost estimate"
    )
    best = result.loss_best
    libraries = ", ".join(f"{name} {version}" for name, version in sorted(result.libraries.items()))
    return "\n".join(
        [
            "## Training",
            "",
            f"- {length}, learning rate {settings.learning_rate}, batch size "
            f"{settings.batch_size} x {settings.gradient_accumulation_steps} gradient "
            f"accumulation = {settings.effective_batch_size} sequences per step, warmup "
            f"{settings.warmup_steps} steps, weight decay {settings.weight_decay}, max grad norm "
            f"{settings.max_grad_norm}, seed {settings.seed}; AdamW with a linear schedule.",
            f"- {result.steps} of {result.planned_steps} steps, {result.epochs_done:.2f} epochs, "
            f"{result.sequences_seen:,} sequences, {result.tokens_seen:,} tokens.",
            f"- Loss {_loss(result.loss_first)} at the first step, {_loss(result.loss_last)} at "
            f"the last" + (f" (best {best.loss:.4f} at step {best.step})." if best else "."),
            f"- On {_escape(result.device or 'unknown')} "
            f"({_escape(result.device_name or 'unknown device')}) x {usage.deviceCount or 1}, "
            f"precision {result.precision}: {usage.computeSeconds} device-seconds, {cost}.",
            *_distributed(result),
            f"- {_escape(libraries)}.",
        ]
    )


def _code_and_environment(
    code: CodeLocation | None, environment: LlmLineageEnvironmentRunFacet | None
) -> str:
    lines = ["## Code and environment", ""]
    if code is None:
        lines.append("- Code: not recorded (the DAG was neither in a versioned bundle nor in git).")
    else:
        mark = code.tag or code.branch
        where = f" ({_escape(mark)})" if mark else ""
        dirty = " The working tree had uncommitted changes." if code.dirty else ""
        lines.append(
            f"- Code: {_code(code.path)} at commit {_version(code.version)}{where} of "
            f"{_code(code.repo_url)}.{dirty}"
        )
    if environment is not None:
        accelerator = environment.accelerator
        device = (
            f", {accelerator.deviceCount} x {_escape(accelerator.deviceName or 'GPU')} (driver "
            f"{_escape(accelerator.driverVersion or 'unknown')}, CUDA "
            f"{_escape(accelerator.cudaVersion or 'unknown')})"
            if accelerator
            else ""
        )
        lines += [
            f"- Environment fingerprint {_code(environment.fingerprint)} (sha256 of the "
            f"{environment.distributionCount} installed distributions): Python "
            f"{_escape(environment.pythonVersion)} on {_escape(environment.os)} "
            f"{_escape(environment.architecture)}{device}; airflow-provider-llm-lineage "
            f"{_escape(environment.providerVersion)}.",
        ]
    return "\n".join(lines)


def _modules(result: TrainingResult) -> str:
    return ", ".join(_code(name) for name in result.target_modules) or "none"


def _loss(value: float | None) -> str:
    return f"{value:.4f}" if value is not None else "none"


def _version(value: str | None) -> str:
    return _code(value) if value else "not recorded"


def _code(text: str) -> str:
    """An inline code span that shows ``text`` as it is, whatever backticks it holds."""
    text = " ".join(text.split()) or " "
    fence = "`" * (max((len(run) for run in re.findall(r"`+", text)), default=0) + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def _escape(text: str) -> str:
    """Plain text inside a Markdown line: one line, and what would format it escaped.

    Only marks that act mid-line (emphasis, code, links, HTML, tables); the card never starts a
    line with a value, so list and heading marks cannot act.
    """
    return re.sub(r"([\\`*_\[\]<>|~&])", r"\\\1", " ".join(text.split()))


def _distributed(result: TrainingResult) -> list[str]:
    """A data-parallel run's world size, backend and each rank's device and share."""
    if not result.ranks:
        return []
    ranks = "; ".join(
        f"rank {r.rank} on {_escape(r.device_name or r.device or 'unknown device')}: "
        f"{r.tokens_seen:,} tokens, {r.wall_seconds:.1f} s"
        for r in result.ranks
    )
    return [
        f"- Data-parallel on {result.world_size} processes ({result.backend}, "
        f"{result.launcher}), gradients all-reduced each step: {ranks}."
    ]
