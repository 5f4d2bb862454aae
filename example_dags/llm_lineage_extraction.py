"""Example DAG: extract the sample corpus to Parquet and report its lineage through OpenLineage."""

from __future__ import annotations

import os
from pathlib import Path

from airflow.sdk import DAG, Param

from llm_lineage.hooks.storage import default_conn_id
from llm_lineage.operators.extraction import DocumentExtractionOperator

HERE = Path(__file__).resolve().parent
SAMPLE_CORPUS = HERE / "data" / "sample_corpus"
#: Outside the DAG folder so that Airflow never parses the outputs; LLM_LINEAGE_OUTPUT moves it.
DEFAULT_DESTINATION = str(
    Path(os.environ.get("LLM_LINEAGE_OUTPUT", HERE.parent / ".demo-output")) / "extraction"
)

DOC_MD = """
### Document extraction with lineage

Reads every PDF, DOCX, HTML, Markdown and text document under `source` (a folder, read
recursively, or one file; a local path or an `s3://`, `gs://`, ... URL) and writes into
`destination`:

- `text.parquet`: one row per document with its extracted text and metadata;
- `manifest.parquet`: one row per selected document (no text) with its status and error.

The OpenLineage provider reports the run: the source is one input dataset whose facets give
the document count, formats, authors and date range; the two Parquet files are outputs with a
content-hash `datasetVersion`. Where the events go is Airflow configuration only
(`[openlineage] transport`, `OPENLINEAGE_URL`, ...).

**Params.** By default `source` is the sample corpus shipped next to this file (twelve
original short documents) and `destination` is `extraction/` under `$LLM_LINEAGE_OUTPUT`, else
under `.demo-output/` at the repository root. Trigger with other params to run on another corpus, e.g.
`{"source": "s3://my-bucket/docs", "destination": "s3://my-bucket/extracted"}`.
`source_conn_id` and `destination_conn_id` name their Airflow connections; empty, an `s3://`
location uses `aws_default` and a local path none.

Authors are included in lineage as written (`author_policy="include"`); use `"hash"` or
`"omit"` for corpora where author names are personal data.
"""

with DAG(
    dag_id="llm_lineage_extraction",
    schedule=None,
    catchup=False,
    doc_md=DOC_MD,
    tags=["llm-lineage", "example", "openlineage"],
    params={
        "source": Param(
            str(SAMPLE_CORPUS), type="string", minLength=1, description="Folder or file to read"
        ),
        "destination": Param(
            DEFAULT_DESTINATION, type="string", minLength=1, description="Folder for the outputs"
        ),
        "source_conn_id": Param("", type="string", description="Empty: aws_default for s3://"),
        "destination_conn_id": Param("", type="string", description="Empty: aws_default for s3://"),
    },
    user_defined_macros={"default_conn_id": default_conn_id},
):
    DocumentExtractionOperator(
        task_id="extract_documents",
        source="{{ params.source }}",
        destination="{{ params.destination }}",
        exclude=["README.md"],
        author_policy="include",
        source_conn_id="{{ default_conn_id(params.source, params.source_conn_id) or '' }}",
        destination_conn_id=(
            "{{ default_conn_id(params.destination, params.destination_conn_id) or '' }}"
        ),
    )
