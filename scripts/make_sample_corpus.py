"""Generate the sample corpus in example_dags/data/sample_corpus/, the same bytes every time.

The example DAG and ``make demo`` read this corpus, and its files are committed, so it must be
reproducible: every date is fixed (PDF CreationDate, DOCX core properties, HTML and Markdown
metadata), and DOCX packages are rewritten with fixed ZIP timestamps because python-docx stamps
each entry with the current time. All text is original, written for this project.

Usage: python scripts/make_sample_corpus.py [--output DIR]
"""

from __future__ import annotations

import argparse
import datetime as dt
import html
import sys
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DEFAULT_OUTPUT = REPO / "example_dags" / "data" / "sample_corpus"

sys.path.insert(0, str(REPO / "tests"))
from documents import make_docx, make_markdown, make_pdf  # noqa: E402

#: The earliest date a ZIP entry can carry; any fixed value would do.
ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)

MAYA = "Maya Okafor"
JONAS = "Jonas Lindqvist"
PRIYA = "Priya Raman"
TOMAS = "Tomás Ferreira"
ELENA = "Elena Brandt"


def utc(year: int, month: int, day: int, hour: int = 9, minute: int = 0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=dt.timezone.utc)


@dataclass(frozen=True)
class Doc:
    """One document of the corpus; ``parts`` are PDF pages or DOCX/HTML paragraphs."""

    path: str
    title: str
    parts: list[str]
    authors: list[str] = field(default_factory=list)
    created: dt.datetime | None = None
    modified: dt.datetime | None = None
    table: list[list[str]] | None = None


PDFS = [
    Doc(
        "reports/lineage-primer.pdf",
        "A Short Primer on Data Lineage",
        [
            "A Short Primer on Data Lineage\n\n"
            "Data lineage is the record of where a piece of data came from, what was done to it, "
            "and where it went next. A table in a warehouse, a file in a bucket, or a model "
            "adapter on a disk each has a history, and lineage writes that history down while "
            "the work happens rather than reconstructing it later from memory.\n\n"
            "The smallest useful unit of lineage is a run of a job: it read some datasets, it "
            "wrote some others, and it did so at a known time with known settings. Chain those "
            "runs together and you get a graph that starts at raw sources and ends at the "
            "things people actually use.",
            "Why bother? Three questions come up again and again. When a number looks wrong, "
            "which upstream change caused it? When a source must be deleted, what else was "
            "built from it? When a model behaves oddly, which documents taught it that? Each "
            "question is cheap to answer with lineage and expensive without it.\n\n"
            "Good lineage is boring to produce. It is emitted by the tools that do the work, "
            "in a shared format, to a catalog that anyone can query. Nobody should have to "
            "fill in a spreadsheet after the fact.",
        ],
        [MAYA],
        utc(2023, 4, 12, 9, 30),
    ),
    Doc(
        "reports/lake-zones.pdf",
        "Zones of a Data Lake: Raw, Refined, Curated",
        [
            "Zones of a Data Lake\n\n"
            "Most lakes we have worked with settle into three zones. The raw zone keeps files "
            "exactly as they arrived: scanned contracts, exported web pages, meeting notes. "
            "Nothing in it is edited, so it can always be replayed.\n\n"
            "The refined zone holds the same content in a form machines read easily: plain "
            "text, one row per document, with metadata pulled out into columns. The curated "
            "zone holds datasets built for one purpose, such as a training set for a support "
            "assistant, with every row traceable back to a raw file.",
            "Moving data between zones is where lineage earns its keep. Each move is a job "
            "with inputs and outputs, and each output carries a version derived from its "
            "content. If two curated datasets share a version, they are the same data under "
            "two names, and one of them can probably go.\n\n"
            "A zone is a promise about quality, not a folder name. Write the promise down in "
            "the catalog next to the datasets that keep it.",
        ],
        [MAYA, JONAS],
        utc(2023, 9, 3, 14, 0),
    ),
    Doc(
        "reports/document-provenance.pdf",
        "Provenance for Document Collections",
        [
            "Provenance for Document Collections\n\n"
            "A document collection is an awkward dataset. It has no schema until something "
            "reads it, its members come in half a dozen formats, and the interesting facts "
            "about it live inside the files: who wrote them, and when.\n\n"
            "We record a collection as a single dataset with aggregate facts: how many "
            "documents, in which formats, by how many distinct authors, over what range of "
            "dates. The full per-document list goes into a manifest, which is itself a "
            "dataset, so an event stays small even when the collection is large.\n\n"
            "Author names deserve care. They are personal data, so each pipeline chooses "
            "whether to include them, replace them with stable tokens, or leave them out.",
        ],
        [PRIYA],
        utc(2024, 1, 22, 11, 15),
    ),
]

DOCXS = [
    Doc(
        "reports/retention-review.docx",
        "Retention Review for the Document Lake",
        [
            "Retention Review for the Document Lake",
            "This review sets how long each zone of the document lake keeps its files, and "
            "who decides when something may be deleted. It replaces the informal rule of "
            "keeping everything forever, which had become expensive and hard to defend.",
            "Raw files are kept for as long as anything built from them is still in use. "
            "Lineage tells us when that stops being true: when no active dataset or model "
            "adapter has a raw file upstream, the file becomes a candidate for deletion.",
            "Refined and curated datasets are rebuilt rather than archived. Because every "
            "rebuild on the same inputs produces the same content hash, we can drop an old "
            "copy and trust that a rerun will give it back exactly.",
            "The table below lists the agreed periods.",
        ],
        [JONAS],
        utc(2024, 2, 14, 10, 0),
        utc(2024, 3, 1, 16, 45),
        table=[
            ["Zone", "Retention", "Owner"],
            ["raw", "while used downstream", "Platform team"],
            ["refined", "90 days after last read", "Data engineering"],
            ["curated", "until the consuming model is retired", "Model owners"],
        ],
    ),
    Doc(
        "reports/catalog-rollout.docx",
        "Rolling Out a Lineage Catalog",
        [
            "Rolling Out a Lineage Catalog",
            "We introduced the catalog in two steps. First, every scheduled pipeline sent its "
            "lineage events to a file, so we could read them and fix naming problems before "
            "anyone else saw them. Second, the same events went to the catalog service, "
            "chosen by configuration alone, with no change to any pipeline.",
            "Most of the work in the first step was naming. A dataset written by one job must "
            "be read by the next under exactly the same namespace and name, or the graph "
            "falls apart into islands. Absolute paths and bucket URLs turned out to be the "
            "least surprising choice.",
            "The second step was quiet, which was the goal. The one lesson worth passing on: "
            "put the facts people search for on datasets, not only on runs, because some "
            "catalogs keep little of what a run reports.",
        ],
        [PRIYA],
        utc(2024, 5, 6, 8, 20),
        utc(2024, 5, 20, 17, 5),
    ),
    Doc(
        "reports/tokenizer-audit.docx",
        "Auditing Tokenizer Versions",
        [
            "Auditing Tokenizer Versions",
            "A tokenizer is part of a model's input pipeline, and a quiet change to it can "
            "change what a model learns. During the audit we found two training sets that "
            "claimed to use the same tokenizer but had been built with different versions of "
            "its vocabulary file.",
            "Nothing was broken, but nothing could be compared either. We now record the "
            "tokenizer's name, its revision and a hash of its files with every tokenized "
            "dataset, next to the document collection it came from.",
            "With that in place, the question 'were these two adapters trained on the same "
            "tokens?' is a lookup rather than an investigation.",
        ],
        [TOMAS],
        utc(2024, 7, 9, 13, 0),
        utc(2024, 7, 11, 9, 40),
    ),
]

HTMLS = [
    Doc(
        "web/what-is-a-document-lake.html",
        "What Is a Document Lake?",
        [
            "<h1>What Is a Document Lake?</h1>",
            "<p>A document lake is a data lake whose raw zone is mostly prose: reports, "
            "manuals, tickets, web pages and notes. It is where teams gather the text they "
            "want a language model to learn from.</p>",
            "<p>The hard part is not storage. It is knowing, months later, <em>which</em> "
            "documents went into <em>which</em> model, under what licence, and written by "
            "whom. A document lake without lineage turns into a pile of files that nobody "
            "dares to delete.</p>",
            "<h2>Three habits that help</h2>",
            "<ul><li>Keep the raw files unchanged and addressable by a stable path.</li>"
            "<li>Record every extraction as a job with inputs and outputs.</li>"
            "<li>Give every output a version computed from its content.</li></ul>",
        ],
        [ELENA],
        utc(2023, 11, 2, 12, 0),
        utc(2024, 1, 15, 7, 30),
    ),
    Doc(
        "web/glossary.html",
        "Lineage Glossary",
        [
            "<h1>Lineage Glossary</h1>",
            "<dl><dt>Dataset</dt><dd>Anything a job reads or writes that has a stable "
            "namespace and name: a table, a file, a folder of documents.</dd>"
            "<dt>Job</dt><dd>A repeatable piece of work, such as a task in a pipeline.</dd>"
            "<dt>Run</dt><dd>One execution of a job, with a start, an end and an outcome.</dd>"
            "<dt>Facet</dt><dd>A small, typed bundle of facts attached to a dataset, job or "
            "run, such as its schema or its version.</dd>"
            "<dt>Manifest</dt><dd>A per-item record of a collection, kept as its own dataset "
            "so that events stay small.</dd></dl>",
            "<p>This page is maintained by the whole team; edits are welcome.</p>",
        ],
        [],
        utc(2024, 3, 18, 15, 0),
    ),
]

MARKDOWNS = [
    Doc(
        "notes/2024-06-standup.md",
        "Stand-up notes, June 2024",
        [
            "# Stand-up notes, June 2024\n",
            "## Done\n",
            "- Extraction now writes text and manifest to Parquet in one atomic step.",
            "- The first lineage events reached the test catalog; names matched on both sides.\n",
            "## Next\n",
            "- Decide the author policy for the support-ticket corpus (probably `hash`).",
            "- Add the tokenizer revision to the tokenized dataset's facets.\n",
            "## Risks\n",
            "Scanned PDFs without a text layer come out empty. We record them as failures "
            "with a reason instead of silently training on nothing.\n",
        ],
        [MAYA],
        utc(2024, 6, 4),
    ),
    Doc(
        "notes/dedup-ideas.md",
        "Ideas for finding duplicate datasets",
        [
            "# Ideas for finding duplicate datasets\n",
            "Two datasets with the same content hash are the same data, whatever they are "
            "called. The catalog can group outputs by `datasetVersion` and show every group "
            "with more than one name.\n",
            "Near-duplicates are harder. A corpus that differs by a single document gets a "
            "new hash, but its manifest shares almost every row with the old one. Comparing "
            "manifests by document hash would catch that cheaply.\n",
            "Open question: should a rebuilt dataset with an unchanged hash count as *read* "
            "for retention purposes? Probably yes, since something still depends on it.\n",
        ],
        [TOMAS],
        utc(2024, 8, 19),
    ),
    # A re-edited copy of the note above: a near-duplicate that curation drops.
    Doc(
        "notes/dedup-notes-copy.md",
        "Ideas for finding duplicate datasets",
        [
            "# Ideas for finding duplicate datasets\n",
            "Two datasets with the same content hash are the same data, whatever they are "
            "named. The catalog can group outputs by `datasetVersion` and show every group "
            "with more than one name.\n",
            "Near-duplicates are harder. A corpus that differs by a single document gets a "
            "new hash, but its manifest shares almost every row with the old one. Comparing "
            "manifests by document hash would catch that cheaply.\n",
            "Open question: should a rebuilt dataset with an unchanged hash count as *read* "
            "for retention purposes? Probably yes, because something still depends on it.\n",
        ],
        [TOMAS],
        utc(2024, 8, 26),
    ),
]

FIELD_NOTES = """\
Field notes: tracing one answer back to its sources

A colleague asked why the support assistant recommended an old configuration flag.
We started from the adapter that served the answer and walked the lineage graph upstream.

The adapter was trained on a curated dataset built in March. That dataset was tokenized
from the refined text of the product manuals, and the refined text came from a folder of
PDF and DOCX files in the raw zone. One of those files was a manual from two releases ago
that should have been excluded.

The fix took ten minutes: add the old manual to the exclusion list, rebuild, retrain.
Finding the cause took less than that, because every step had recorded what it read.
"""

WORKSHOP_NOTES = """\
Workshop notes, Lisboa, October 2023

We met in a small café near the Praça do Comércio to sketch the lineage model for the
document lake. Tomás drew the first graph on a napkin: raw files on the left, the adapter
on the right, and a long chain of jobs in between.

Three decisions came out of the day:
- every dataset gets a name that the next job can reuse exactly;
- author names follow a policy, because naïve logging of personal data is a liability;
- the manifest, not the event, holds the per-document record.

Inês Conceição, our host, reminded us that the point is trust: a model is only as credible
as the record of what it was taught. Obrigado to everyone who came.
"""


#: A document in German: curation with languages=["en"] drops it.
BERLIN_NOTES = """\
Protokoll: Treffen zur Datenherkunft, Berlin, Februar 2024

Wir haben besprochen, wie das Team die Herkunft der Trainingsdaten nachweisen kann. Jede
Verarbeitungsstufe soll festhalten, welche Dateien sie gelesen und welche sie geschrieben hat,
damit sich später jede Antwort eines Modells bis zu den ursprünglichen Dokumenten
zurückverfolgen lässt. Für personenbezogene Daten gilt eine eigene Regel: Namen von Autorinnen
und Autoren werden nur als Prüfsumme gespeichert, und Dokumente mit Kundendaten werden vor dem
Training geprüft. Das nächste Treffen findet im April statt.
"""

#: A support request with an e-mail address: curation replaces it with <EMAIL>.
SUPPORT_REQUEST = """\
Support request: lineage events missing after the upgrade

After upgrading the provider last week, the tokenization step no longer shows up in our
catalog, although the extraction step still does. The task logs say the events were sent, and
the spool folder is empty, so nothing seems to be waiting for delivery. Could someone check
whether the namespace changed between the two versions? Please reply to the data platform
team at platform-team@example.org, and include the version of the provider that you tested
with, so that we can reproduce the problem on our staging cluster before the next release.
"""


def normalize_zip(path: Path) -> None:
    """Rewrite a ZIP package with fixed entry timestamps so that its bytes are reproducible."""
    with zipfile.ZipFile(path) as source:
        entries = [(info.filename, source.read(info)) for info in source.infolist()]
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as target:
        for name, data in entries:
            info = zipfile.ZipInfo(name, date_time=ZIP_EPOCH)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            target.writestr(info, data)


def write_html(path: Path, doc: Doc) -> None:
    """A plain article page; the dates and author are the meta tags the HTML reader looks for."""
    metas = [f'<meta name="author" content="{html.escape(name)}">' for name in doc.authors]
    if doc.created:
        metas.append(
            f'<meta property="article:published_time" content="{doc.created:%Y-%m-%dT%H:%M:%SZ}">'
        )
    if doc.modified:
        metas.append(
            f'<meta property="article:modified_time" content="{doc.modified:%Y-%m-%dT%H:%M:%SZ}">'
        )
    head = "\n".join(
        [
            '<meta charset="utf-8">',
            f"<title>{html.escape(doc.title)}</title>",
            *metas,
            "<style>body { font-family: sans-serif; max-width: 40em; }</style>",
        ]
    )
    body = "\n".join(doc.parts)
    page = (
        f'<!doctype html>\n<html lang="en">\n<head>\n{head}\n</head>\n'
        f"<body>\n<article>\n{body}\n</article>\n</body>\n</html>\n"
    )
    path.write_text(page, encoding="utf-8")


def build(output: Path) -> list[Path]:
    """Write every document of the corpus under ``output``; return their paths, sorted."""
    written: list[Path] = []

    def target(relative: str) -> Path:
        path = output / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        written.append(path)
        return path

    for doc in PDFS:
        make_pdf(target(doc.path), doc.parts, doc.title, "; ".join(doc.authors), doc.created)
    for doc in DOCXS:
        path = target(doc.path)
        make_docx(
            path, doc.parts, doc.title, "; ".join(doc.authors), doc.created, doc.modified, doc.table
        )
        normalize_zip(path)
    for doc in HTMLS:
        write_html(target(doc.path), doc)
    for doc in MARKDOWNS:
        date = f"{doc.created:%Y-%m-%d}" if doc.created else ""
        make_markdown(target(doc.path), "\n".join(doc.parts), doc.title, doc.authors, date)
    target("notes/field-notes.txt").write_text(FIELD_NOTES, encoding="utf-8")
    target("notes/lisboa-workshop.txt").write_bytes(WORKSHOP_NOTES.encode("latin-1"))
    target("notes/berlin-protokoll.txt").write_text(BERLIN_NOTES, encoding="utf-8")
    target("notes/support-request.txt").write_text(SUPPORT_REQUEST, encoding="utf-8")
    target("README.md").write_text(README, encoding="utf-8")
    return sorted(written)


README = """\
# Sample corpus

Fifteen short documents about data lineage and document lakes, in every format that
`DocumentExtractionOperator` reads: PDF, DOCX, HTML, Markdown and plain text (one file in
Latin-1, to show the encoding fallback). Their metadata carries titles, authors (shared
across documents, one document with two, some with none) and fixed dates. Three are there for
`TextCurationOperator`: a re-edited copy of a note (a near-duplicate), a note in German, and a
support request with an e-mail address.

The example DAG `llm_lineage_extraction` and `make demo` read this folder; the DAG excludes
this README. All files were generated by `scripts/make_sample_corpus.py` and all text is
original, written for this project. Do not edit them by hand: change the script and run
`.venv/bin/python scripts/make_sample_corpus.py`; `tests/test_example_dags.py` checks that
the committed files match what the script generates.
"""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT, help="target folder")
    args = parser.parse_args(argv)
    paths = build(args.output)
    for path in paths:
        print(f"{path.stat().st_size:>8,d}  {path.relative_to(args.output)}")
    print(
        f"{sum(p.stat().st_size for p in paths):>8,d}  bytes in {len(paths)} files under {args.output}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
