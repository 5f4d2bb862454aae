"""Curation against the bare libraries' own loops on the same texts, and its memory at 10x.

The baseline is what curation cannot do without: lingua's ``compute_language_confidence_values
_in_parallel`` over the same samples, then a datasketch ``MinHash`` per text (same shingles,
permutations and seed) queried against and inserted into a ``MinHashLSH``. Ours also reads and
writes Parquet, hashes both outputs, runs the quality and personal-data rules and writes a
decision per document. Memory: the peak of a fresh process curating N and 10N documents.
"""

from __future__ import annotations

import random
import re
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
from harness import Row, best_seconds, python_in_subprocess, speed_row

from llm_lineage.curation import CurationSettings, curate_corpus

ENGLISH = str.split(
    "the data lineage of every model starts with documents that people wrote and shared "
    "across teams before anyone thought about training a model on them so the record of "
    "where each file came from matters when a question arrives about an answer or a source "
    "that should have been excluded and the catalog shows which step read which version"
)
GERMAN = str.split(
    "die herkunft der daten beginnt mit dokumenten die menschen geschrieben und geteilt haben "
    "bevor jemand daran dachte ein modell damit zu trainieren deshalb zählt der nachweis "
    "woher jede datei stammt wenn eine frage zu einer antwort oder einer quelle kommt"
)
SETTINGS = {"languages": ("en",), "batch_size": 1000, "progress_interval": 3600}

MEMORY = r"""
import json, resource, sys
from pathlib import Path
from llm_lineage.curation import CurationSettings, curate_corpus
result = curate_corpus(Path(sys.argv[1]), Path(sys.argv[2]),
    CurationSettings(languages=("en",), batch_size=1000, progress_interval=3600))
print(json.dumps({"peak": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
                  "kept": result.documents_out}))
"""


def make_texts(count: int, seed: int = 11) -> list[str]:
    """English texts of 150 to 400 words, one in ten German, one in ten a near-copy."""
    rng = random.Random(seed)
    texts: list[str] = []
    for index in range(count):
        if index % 10 == 9 and texts:
            words = rng.choice(texts).split()
            words[rng.randrange(len(words))] = "changed"
            texts.append(" ".join(words))
            continue
        vocabulary = GERMAN if index % 10 == 4 else ENGLISH
        words = [rng.choice(vocabulary) for _ in range(rng.randint(150, 400))]
        texts.append("\n".join(" ".join(words[i : i + 15]) + "." for i in range(0, len(words), 15)))
    return texts


def write_text(path: Path, texts: list[str]) -> Path:
    ids = [f"d{i:07d}" for i in range(len(texts))]
    pq.write_table(pa.table({"doc_id": ids, "relative_path": ids, "text": texts}), path)
    return path


def bare_loops(texts: list[str], settings: CurationSettings) -> int:
    """lingua, then datasketch, as a script would call them; returns the texts kept."""
    from datasketch import MinHash, MinHashLSH
    from lingua import LanguageDetectorBuilder

    detector = LanguageDetectorBuilder.from_all_languages().build()
    sample = settings.language_sample_characters
    values = detector.compute_language_confidence_values_in_parallel([t[:sample] for t in texts])
    lsh = MinHashLSH(threshold=settings.jaccard_threshold, num_perm=settings.num_perm)
    size, kept = settings.shingle_size, 0
    for index, (text, ranked) in enumerate(zip(texts, values, strict=True)):
        if not ranked or ranked[0].language.iso_code_639_1.name.lower() != "en":
            continue
        words = re.findall(r"\w+", text.lower())
        minhash = MinHash(num_perm=settings.num_perm, seed=settings.minhash_seed)
        minhash.update_batch(
            [" ".join(words[i : i + size]).encode() for i in range(len(words) - size + 1)]
        )
        if not lsh.query(minhash):
            lsh.insert(index, minhash)
            kept += 1
    return kept


def rows(root: Path, count: int) -> list[Row]:
    texts = make_texts(count)
    source = write_text(root / "curation-text.parquet", texts)
    settings = CurationSettings(**SETTINGS)
    curate_corpus(source, root / "warm", settings)  # lingua loads its models once per process
    bare_loops(texts[:50], settings)
    ours = best_seconds(lambda: curate_corpus(source, root / "curated", settings), rounds=2)
    baseline = best_seconds(lambda: bare_loops(texts, settings), rounds=2)
    speed = speed_row(
        f"curation, {count:,} documents (vs lingua + datasketch loops)",
        ours,
        baseline,
        0.5,
        "ours adds Parquet in and out, quality and personal-data rules, a decision per document",
    )
    big = write_text(root / "curation-text-10x.parquet", make_texts(count * 10, seed=12))
    small_peak = python_in_subprocess(MEMORY, str(source), str(root / "mem-1"))["peak"]
    large_peak = python_in_subprocess(MEMORY, str(big), str(root / "mem-10"))["peak"]
    ratio = large_peak / small_peak
    memory = Row(
        f"curation peak memory, {count * 10:,} vs {count:,} documents",
        f"{large_peak / 2**20:.0f} MiB",
        f"{small_peak / 2**20:.0f} MiB",
        ratio,
        "<= 2x",
        ratio <= 2.0,
        "signatures per kept document, never the texts",
    )
    return [speed, memory]
