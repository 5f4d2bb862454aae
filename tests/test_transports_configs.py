"""Every transport example in the delivery guide (docs/delivery.md) works as written.

The examples are read from the page's ``export AIRFLOW__OPENLINEAGE__TRANSPORT='...'`` lines,
so the documentation cannot drift from what is tested. Each is built by the OpenLineage client's
own factory (as the Airflow provider does); locations are pointed at this test's folder and
server, and then an event is delivered through it. Kafka goes to librdkafka's mock
cluster (a broker inside the client, on 127.0.0.1) and is read back with a real consumer.
"""

from __future__ import annotations

import io
import json
import logging
import re
import uuid
from pathlib import Path
from typing import Any

import pytest
from openlineage.client import event_v2
from openlineage.client.serde import Serde
from openlineage.client.transport import get_default_factory
from openlineage.client.transport.kafka import KafkaTransport

from lineage_servers import FakeMarquez
from llm_lineage.transports.events import rehydrate
from llm_lineage.transports.forwarder import forward
from llm_lineage.transports.spool import SpoolTransport

PAGE = Path(__file__).resolve().parent.parent / "docs" / "delivery.md"
_EXPORT = re.compile(r"^export AIRFLOW__OPENLINEAGE__TRANSPORT='(.+?)'$", re.M)


def readme_examples() -> dict[str, dict[str, Any]]:
    """The page's transport examples in "Sending the events somewhere", by type."""
    section = PAGE.read_text().split("## Sending the events somewhere", 1)[1].split("\n## ", 1)[0]
    examples = [json.loads(text) for text in _EXPORT.findall(section)]
    return {example["type"].rsplit(".", 1)[-1]: example for example in examples}


def localise(config: Any, folder: Path, url: str) -> Any:
    """The same configuration with its paths under ``folder`` and its URLs at ``url``."""
    if isinstance(config, dict):
        return {key: localise(value, folder, url) for key, value in config.items()}
    if isinstance(config, str) and config.startswith("http://"):
        return url
    if isinstance(config, str) and config.startswith(("/tmp/", "/var/")):
        return str(folder / config.lstrip("/"))
    return config


def an_event() -> event_v2.RunEvent:
    return event_v2.RunEvent(
        eventType=event_v2.RunState.START,
        eventTime="2026-11-28T10:00:00.000000+00:00",
        run=event_v2.Run(runId=str(uuid.uuid4())),
        job=event_v2.Job(namespace="readme", name="dag.task"),
        producer="https://github.com/airflow-provider-llm-lineage/tests",
    )


@pytest.fixture
def backend() -> Any:
    server = FakeMarquez().start()
    yield server
    server.stop()


def test_the_readme_shows_every_backend() -> None:
    assert set(readme_examples()) == {
        "file",
        "console",
        "http",
        "kafka",
        "composite",
        "SpoolTransport",
    }


@pytest.mark.parametrize("kind", ["file", "http", "composite", "SpoolTransport"])
def test_each_example_delivers_an_event(kind: str, tmp_path: Path, backend: FakeMarquez) -> None:
    config = localise(readme_examples()[kind], tmp_path, backend.url)
    (tmp_path / "tmp" / "ol").mkdir(parents=True)  # the file transport makes no folders
    transport = get_default_factory().create(dict(config))
    event = an_event()
    transport.emit(event)
    if isinstance(transport, SpoolTransport):
        assert backend.wait_for(1, timeout=60) == [json.loads(Serde.to_json(event))]
        return
    if kind in {"http", "composite"}:
        assert backend.stored() == [json.loads(Serde.to_json(event))]
    if kind in {"file", "composite"}:
        [written] = (tmp_path / "tmp" / "ol").glob("events.jsonl*")
        assert json.loads(written.read_text()) == json.loads(Serde.to_json(event))


def test_the_console_example_logs_the_event(caplog: pytest.LogCaptureFixture) -> None:
    transport = get_default_factory().create(dict(readme_examples()["console"]))
    event = an_event()
    with caplog.at_level(logging.INFO, logger="openlineage.client.transport.console"):
        transport.emit(event)
    assert json.loads(caplog.records[-1].getMessage()) == json.loads(Serde.to_json(event))


def test_the_kafka_example_is_a_valid_configuration_and_keys_spooled_events_by_job() -> None:
    """Events coming out of the spool keep the partition key Kafka gives the live event."""
    transport = get_default_factory().create(dict(readme_examples()["kafka"]))
    assert isinstance(transport, KafkaTransport)
    assert transport.topic == "openlineage"
    assert transport.kafka_config.config["bootstrap.servers"] == "broker:9092"
    event = an_event()
    spooled = rehydrate(json.loads(Serde.to_json(event)))
    assert transport._get_message_key(spooled) == transport._get_message_key(event)
    assert transport._get_message_key(spooled) == "run:readme/dag.task"


def _mock_broker_producer_config() -> tuple[dict[str, Any], io.StringIO]:
    """librdkafka's own mock cluster: a Kafka broker inside the producer, on 127.0.0.1."""
    stream = io.StringIO()
    logger = logging.getLogger(f"rdkafka-{uuid.uuid4()}")
    logger.addHandler(logging.StreamHandler(stream))
    logger.setLevel(logging.INFO)
    config = {"bootstrap.servers": "unused:9092", "test.mock.num.brokers": 1, "logger": logger}
    return config, stream


def test_the_spool_in_front_of_kafka_delivers_to_a_broker_with_the_run_key(tmp_path: Path) -> None:
    """Through the spool and the real Kafka client to a (mock) broker, then read back."""
    confluent_kafka = pytest.importorskip("confluent_kafka")
    producer_config, broker_log = _mock_broker_producer_config()
    kafka = {**readme_examples()["kafka"], "config": producer_config}
    spool = SpoolTransport(
        SpoolTransport.config_class.from_dict(
            {"directory": str(tmp_path / "spool"), "transport": kafka, "background": False}
        )
    )
    event = an_event()
    spool.emit(event)
    result = forward(spool.spool, spool.inner, window_seconds=0, lock_wait=0)
    assert result is not None and (result.delivered, result.pending) == (1, 0)

    address = re.search(r"replaced with (127\.0\.0\.1:\d+)", broker_log.getvalue())
    assert address, broker_log.getvalue()
    consumer = confluent_kafka.Consumer(
        {"bootstrap.servers": address.group(1), "group.id": "t", "auto.offset.reset": "earliest"}
    )
    consumer.subscribe(["openlineage"])
    try:
        message = None
        for _ in range(30):
            message = consumer.poll(1.0)
            if message is not None and not message.error():
                break
        assert message is not None and not message.error()
        assert message.key() == b"run:readme/dag.task"
        assert json.loads(message.value()) == json.loads(Serde.to_json(event))
    finally:
        consumer.close()
