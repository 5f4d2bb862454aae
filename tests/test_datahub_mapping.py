"""DataHubTransport without a DAG run: the mapping of events taken from a real pipeline run.

``datahub_pipeline_events.jsonl`` holds the OpenLineage events of one ``llm_lineage_pipeline``
run (``airflow dags test``, file transport; paths rewritten to ``/data/llm-out`` and
``/opt/airflow/dags``). ``test_datahub_pipeline.py`` checks the same against a live run.
"""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from datahub.api.entities.datajob import DataFlow, DataJob
from datahub.api.entities.dataprocess.dataprocess_instance import DataProcessInstance
from datahub.metadata.urns import DataFlowUrn
from openlineage.client.transport import get_default_factory

from conftest import TESTS
from datahub_gms import RESTLI_VERSION, FakeGms, as_multiset, file_proposals, latest
from llm_lineage.common.errors import ConfigError
from llm_lineage.transports.datahub import DataHubConfig, DataHubTransport
from llm_lineage.transports.events import rehydrate
from llm_lineage.transports.forwarder import refused_status

EVENTS = [
    json.loads(line) for line in (TESTS / "datahub_pipeline_events.jsonl").read_text().splitlines()
]
OUT = "/data/llm-out/pipeline"
DAG = "llm_lineage_pipeline"
TYPE = "llm_lineage.transports.datahub.DataHubTransport"


def file_urn(path: str) -> str:
    return f"urn:li:dataset:(urn:li:dataPlatform:file,{path},PROD)"


TOKENS = file_urn(f"{OUT}/tokens/tokens.parquet")
TEXT = file_urn(f"{OUT}/extracted/text.parquet")
CORPUS = file_urn("/opt/airflow/dags/data/sample_corpus")


def event(task: str, kind: str) -> dict[str, Any]:
    name = f"{DAG}.{task}" if task else DAG
    [found] = [e for e in EVENTS if e["job"]["name"] == name and e["eventType"] == kind]
    return copy.deepcopy(found)


def transport(**config: Any) -> Any:
    return get_default_factory().create({"type": TYPE, **config})


def emit_all(target: Any, events: list[dict[str, Any]]) -> None:
    for item in events:
        target.emit(rehydrate(item))


@pytest.fixture(scope="module")
def catalog(tmp_path_factory: pytest.TempPathFactory) -> list[dict[str, Any]]:
    path = tmp_path_factory.mktemp("datahub") / "metadata.json"
    emit_all(transport(filename=str(path)), EVENTS)
    return file_proposals(path)


def adapter_urn() -> str:
    [adapter] = event("fine_tune", "COMPLETE")["outputs"]
    sha = adapter["facets"]["version"]["datasetVersion"]
    return f"urn:li:mlModel:(urn:li:dataPlatform:file,{OUT}/adapter@{sha[:16]},PROD)"


def by_name(items: list[dict[str, Any]]) -> dict[str, str]:
    return {item["name"]: item["value"] for item in items}


def test_adapter_is_an_ml_model_with_lora_settings_and_losses(catalog) -> None:
    run = event("fine_tune", "COMPLETE")["run"]["facets"]
    properties = latest(catalog, adapter_urn(), "mlModelProperties")
    params, metrics = by_name(properties["hyperParams"]), by_name(properties["trainingMetrics"])
    assert (params["lora_r"], params["lora_alpha"], params["lora_dropout"]) == ("8", "16", "0.05")
    assert params["lora_target_modules"] == '["c_attn"]'
    assert (params["learning_rate"], params["batch_size"], params["seed"]) == ("0.005", "4", "42")
    assert params["planned_steps"] == "30"
    loss = run["llmLineage_training"]["loss"]
    assert (
        float(metrics["loss_last"]) == loss["last"]
        and float(metrics["loss_first"]) == loss["first"]
    )
    assert metrics["tokens_seen"] == "15360" and metrics["steps"] == "30"
    assert float(metrics["estimated_cost"]) == run["llmLineage_resourceUsage"]["estimatedCost"]
    group = f"urn:li:mlModelGroup:(urn:li:dataPlatform:file,{OUT}/adapter,PROD)"
    assert properties["groups"] == [group]
    job = f"urn:li:dataJob:(urn:li:dataFlow:(airflow,{DAG},prod),fine_tune)"
    assert properties["trainingJobs"][0] == job
    sha = event("fine_tune", "COMPLETE")["outputs"][0]["facets"]["version"]["datasetVersion"]
    assert properties["version"]["versionTag"] == sha
    assert latest(catalog, group, "mlModelGroupProperties")["trainingJobs"] == [job]
    owners = latest(catalog, adapter_urn(), "ownership")["owners"]
    assert [o["owner"] for o in owners] == ["urn:li:corpuser:airflow"]


def test_base_model_is_an_ml_model_used_by_the_training_job(catalog) -> None:
    base = f"urn:li:mlModel:(urn:li:dataPlatform:file,{OUT}/tiny-base-model,PROD)"
    properties = latest(catalog, base, "mlModelProperties")
    assert properties["downstreamJobs"] == [
        f"urn:li:dataJob:(urn:li:dataFlow:(airflow,{DAG},prod),fine_tune)"
    ]
    assert properties["type"] == "gpt2" and properties["version"]["versionTag"].startswith("1294")
    adapter = latest(catalog, adapter_urn(), "mlModelProperties")
    assert json.loads(adapter["customProperties"]["baseModel.urn"]) == [base]
    assert latest(catalog, base, "subTypes")["typeNames"] == ["Model", "Base Model"]


def test_training_data_is_the_tokens_with_their_chain_then_text_and_documents(catalog) -> None:
    data = latest(catalog, adapter_urn(), "mlModelTrainingData")["trainingData"]
    assert [d["dataset"] for d in data] == [TOKENS, TEXT, CORPUS]
    steps = data[0]["preProcessing"]
    assert steps[0].startswith("extraction.select_documents")
    assert steps[-1].startswith("tokenization.write_parquet")
    assert any(s.startswith("tokenization.encode") for s in steps)
    assert not any(s.startswith("training.") for s in steps)
    assert TOKENS in data[1]["motivation"] and TEXT in data[2]["motivation"]


def test_tokens_come_from_text_from_documents_with_column_lineage(catalog) -> None:
    tokens = latest(catalog, TOKENS, "upstreamLineage")
    assert [u["dataset"] for u in tokens["upstreams"]] == [TEXT]
    text_version = event("extract_documents", "COMPLETE")["outputs"][0]["facets"]["version"]
    assert tokens["upstreams"][0]["properties"] == {
        "datasetVersion": text_version["datasetVersion"]
    }
    fine = {f["downstreams"][0].rsplit(",", 1)[-1]: f for f in tokens["fineGrainedLineages"]}
    assert fine["input_ids)"]["upstreams"] == [f"urn:li:schemaField:({TEXT},text)"]
    assert "tokenizer encode" in fine["input_ids)"]["transformOperation"]
    text = latest(catalog, TEXT, "upstreamLineage")
    assert [u["dataset"] for u in text["upstreams"]] == [CORPUS]


def test_datasets_keep_the_facts_of_our_facets(catalog) -> None:
    corpus = latest(catalog, CORPUS, "datasetProperties")["customProperties"]
    assert corpus["documentCollection.documentCount"] == "12"
    assert corpus["documentCollection.authorPolicy"] == "include"
    assert "Maya Okafor" in corpus["documentCollection.authors"]
    assert corpus["documentCollection.created.earliest"].startswith("2023-04-12")
    assert '"format":"pdf"' in corpus["documentCollection.formats"]
    tokens = latest(catalog, TOKENS, "datasetProperties")
    props = tokens["customProperties"]
    assert props["tokenization.tokenizer.sha256"].startswith("2a8210fa")
    assert (
        props["tokenization.tokens"] == "5120" and props["tag.llm_lineage.step"] == "tokenization"
    )
    assert tokens["description"].startswith("5120 tokens in 40 sequences")
    fields = [f["fieldPath"] for f in latest(catalog, TOKENS, "schemaMetadata")["fields"]]
    assert fields[:3] == ["block_index", "input_ids", "num_tokens"]
    tags = latest(catalog, TOKENS, "globalTags")["tags"]
    assert tags == [{"tag": "urn:li:tag:llm_lineage.step:tokenization"}]
    assert latest(catalog, TOKENS, "datasetProfile")["rowCount"] == 40


def test_flow_job_and_run_urns_are_the_ones_datahubs_airflow_plugin_writes(catalog) -> None:
    """Built with the SDK classes ``airflow_generator.py`` uses, with the plugin's ids."""
    complete = event("fine_tune", "COMPLETE")
    run_id = complete["run"]["facets"]["airflow"]["dagRun"]["run_id"]
    flow = DataFlow(env="prod", id=DAG, orchestrator="airflow")
    job = DataJob(id="fine_tune", flow_urn=DataFlowUrn.create_from_ids("airflow", DAG, "prod"))
    task_run = DataProcessInstance.from_datajob(job, id=f"{DAG}_fine_tune_{run_id}")
    dag_run = DataProcessInstance.from_dataflow(flow, id=run_id)
    urns = {p["entityUrn"] for p in catalog}
    assert {str(flow.urn), str(job.urn), str(task_run.urn), str(dag_run.urn)} <= urns
    relationships = latest(catalog, str(task_run.urn), "dataProcessInstanceRelationships")
    assert relationships["parentTemplate"] == str(job.urn)
    assert relationships["parentInstance"] == str(dag_run.urn)
    events = [p["aspect"] for p in catalog if p["entityUrn"] == str(task_run.urn)]
    runs = [e for e in events if "status" in e and "timestampMillis" in e]
    assert [r["status"] for r in runs] == ["STARTED", "COMPLETE"]
    assert runs[1]["result"]["type"] == "SUCCESS"
    training = latest(catalog, str(task_run.urn), "mlTrainingRunProperties")
    assert by_name(training["hyperParams"])["lora_r"] == "8"
    assert latest(catalog, str(task_run.urn), "dataProcessInstanceOutput")["outputs"] == [
        adapter_urn()
    ]
    io = latest(catalog, str(job.urn), "dataJobInputOutput")
    assert io["inputDatasets"] == [TOKENS]
    assert io["inputDatajobs"] == [str(job.urn).replace("fine_tune", "tokenize")]
    flow_info = latest(catalog, str(flow.urn), "dataFlowInfo")
    assert flow_info["name"] == DAG and "Documents to adapter" in flow_info["description"]


def test_every_aspect_is_one_its_entity_has(catalog) -> None:
    """The entity registry of the installed SDK (its ``*Key`` schemas) allows each aspect."""
    import datahub.metadata

    schemas = Path(datahub.metadata.__file__).parent / "schemas"
    allowed: dict[str, set[str]] = {}
    for path in schemas.glob("*Key.avsc"):
        spec = json.loads(path.read_text()).get("Aspect") or {}
        if spec.get("keyForEntity"):
            allowed[spec["keyForEntity"]] = set(spec.get("entityAspects") or [])
    wrong = {
        (p["entityType"], p["aspectName"])
        for p in catalog
        if p["aspectName"] not in allowed[p["entityType"]]
    }
    assert not wrong


def test_a_failed_training_keeps_what_it_got_through_without_erasing_the_jobs_outputs() -> None:
    failed = event("fine_tune", "COMPLETE")
    failed["eventType"], failed["outputs"] = "FAIL", []
    failed["run"]["facets"]["llmLineage_training"]["status"] = "out_of_memory"
    config = DataHubConfig.from_dict({"filename": "unused"})
    from llm_lineage.transports.datahub.mapping import proposals

    made = {(p.entityUrn, p.aspectName): p.aspect for p in proposals(failed, config)}
    assert not [key for key in made if key[1] in ("dataJobInputOutput", "mlModelTrainingData")]
    [training] = [a for (u, n), a in made.items() if n == "mlTrainingRunProperties"]
    assert training.customProperties["status"] == "out_of_memory"
    assert by_name([m.to_obj() for m in training.trainingMetrics])["loss_best"]
    [run_event] = [a for (u, n), a in made.items() if n == "dataProcessInstanceRunEvent"]
    assert run_event.result.type == "FAILURE"


def test_events_of_other_operators_become_datasets_jobs_and_runs_without_descriptions() -> None:
    """A SQL task's event: its tables exist and are linked, DataHub's sources describe them."""
    foreign = event("fine_tune", "COMPLETE")
    foreign["job"]["name"] = f"{DAG}.load_table"
    foreign["run"]["facets"] = {"airflow": foreign["run"]["facets"]["airflow"]}
    foreign["run"]["facets"]["airflow"]["task"]["task_id"] = "load_table"
    foreign["inputs"] = [{"namespace": "postgres://db:5432", "name": "shop.public.orders"}]
    foreign["outputs"] = [
        {"namespace": "s3://lake", "name": "orders/2024", "facets": {"schema": {"fields": []}}}
    ]
    from llm_lineage.transports.datahub.mapping import proposals

    config = DataHubConfig.from_dict({"filename": "never-written.json"})
    made = [(p.entityUrn, p.aspectName) for p in proposals(foreign, config)]
    orders = "urn:li:dataset:(urn:li:dataPlatform:postgres,shop.public.orders,PROD)"
    lake = "urn:li:dataset:(urn:li:dataPlatform:s3,lake/orders/2024,PROD)"
    assert (orders, "status") in made and (lake, "status") in made
    assert not [n for u, n in made if u in (orders, lake) and n != "status"]
    job = f"urn:li:dataJob:(urn:li:dataFlow:(airflow,{DAG},prod),load_table)"
    assert (job, "dataJobInputOutput") in made and (job, "dataJobInfo") in made
    assert sum(n == "dataProcessInstanceRunEvent" for _, n in made) == 1


def test_the_same_event_gives_the_same_proposals_as_object_or_as_dict() -> None:
    from llm_lineage.transports.datahub.mapping import proposals

    config = DataHubConfig.from_dict({"filename": "unused"})
    raw = event("tokenize", "COMPLETE")
    once = [p.to_obj() for p in proposals(raw, config)]
    from openlineage.client.serde import Serde

    assert once == [p.to_obj() for p in proposals(Serde.to_dict(rehydrate(raw)), config)]
    assert once == [p.to_obj() for p in proposals(copy.deepcopy(raw), config)]


def test_emit_jobs_false_leaves_jobs_to_the_airflow_plugin_but_keeps_training_runs() -> None:
    from llm_lineage.transports.datahub.mapping import proposals

    config = DataHubConfig.from_dict({"filename": "unused", "emit_jobs": "false"})
    made = {p.aspectName for p in proposals(event("fine_tune", "COMPLETE"), config)}
    assert "mlTrainingRunProperties" in made and "mlModelProperties" in made
    assert not made & {"dataJobInfo", "dataFlowInfo", "dataProcessInstanceRunEvent"}


@pytest.mark.parametrize("version", ["v1.3.0", RESTLI_VERSION])
def test_rest_sink_sends_what_the_file_sink_writes(version: str, catalog, caplog) -> None:
    """OpenAPI to a 1.x GMS, Rest.li to an older one; the token is sent and never logged."""
    caplog.set_level("DEBUG")
    with FakeGms(version) as gms:
        emit_all(transport(server=gms.url, token="tok-s3cret"), EVENTS)
    assert as_multiset(gms.proposals) == as_multiset(catalog)
    posts = {p.split("?")[0] for p in gms.paths if p.startswith("POST")}
    if version == RESTLI_VERSION:
        assert posts == {"POST /aspects"}
    else:
        assert "POST /openapi/v3/entity/mlModel" in posts
    assert gms.authorization == {"Bearer tok-s3cret"}
    assert "tok-s3cret" not in caplog.text
    assert "tok-s3cret" not in json.dumps(gms.proposals)
    assert "tok-s3cret" not in repr(DataHubConfig.from_dict({"server": "x", "token": "tok-s3cret"}))


def test_a_refusing_gms_surfaces_its_status_for_the_spool_and_a_dead_one_raises() -> None:
    with FakeGms() as gms:
        gms.refuse = True
        target = transport(server=gms.url)
        with pytest.raises(Exception) as refused:
            target.emit(rehydrate(event("tokenize", "START")))
    assert refused_status(refused.value)[0] == 422
    dead = transport(server="http://127.0.0.1:9", retry_max_times=0, timeout_sec=2)
    with pytest.raises(Exception) as unreachable:
        dead.emit(rehydrate(event("tokenize", "START")))
    assert refused_status(unreachable.value)[0] is None


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({"sink": "kafka", "server": "x"}, "unknown 'sink' 'kafka'"),
        ({"sink": "server"}, "sink 'server' needs 'server'"),
        ({"sink": "filename"}, "sink 'filename' needs 'filename'"),
        ({}, "set 'sink'"),
        ({"filename": "x", "servr": "y"}, "unknown key(s) ['servr'] (did you mean 'server'?)"),
        ({"sink": "servr", "server": "x"}, "unknown 'sink' 'servr' (did you mean 'server'?)"),
        ({"filename": "x", "timeout_sec": "soon"}, "'timeout_sec'"),
    ],
)
def test_configuration_errors_name_the_key(config: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError) as error:
        transport(**config)
    assert message in str(error.value)
    assert str(error.value).startswith("DataHubTransport: ") and "\n" not in str(error.value)


def test_a_missing_extra_names_the_install_command(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "datahub.emitter.mcp", None)
    with pytest.raises(ImportError, match=r"pip install 'airflow-provider-llm-lineage\[datahub\]'"):
        DataHubTransport(DataHubConfig.from_dict({"filename": "x"}))


def test_llm_lineage_imports_without_acryl_datahub() -> None:
    code = (
        "import sys; sys.modules['datahub'] = None\n"
        "import llm_lineage.transports.datahub, llm_lineage.transports.spool\n"
        "import llm_lineage.operators.lora, llm_lineage.lineage.training\n"
        "from llm_lineage.transports.datahub import DataHubConfig\n"
        "print(DataHubConfig.from_dict({'filename': 'x'}).sink)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip() == "filename"


def test_many_processes_appending_leave_one_valid_file_with_every_proposal(tmp_path: Path) -> None:
    """Four writers at once, under the file's lock: nothing lost, never half a file."""
    target = tmp_path / "shared.json"
    code = (
        "import json, sys\n"
        "from openlineage.client.transport import get_default_factory\n"
        "from llm_lineage.transports.events import rehydrate\n"
        f"t = get_default_factory().create({{'type': '{TYPE}', 'filename': sys.argv[1]}})\n"
        "for line in open(sys.argv[2]):\n"
        "    t.emit(rehydrate(json.loads(line)))\n"
    )
    source = str(TESTS / "datahub_pipeline_events.jsonl")
    writers = [
        subprocess.Popen([sys.executable, "-c", code, str(target), source]) for _ in range(4)
    ]
    assert [w.wait(timeout=120) for w in writers] == [0, 0, 0, 0]
    written = file_proposals(target)
    single = tmp_path / "single.json"
    emit_all(transport(filename=str(single)), EVENTS)
    assert as_multiset(written) == sorted(as_multiset(file_proposals(single)) * 4)
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".shared.json.")]
