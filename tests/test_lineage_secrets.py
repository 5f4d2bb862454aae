"""The secrets rule: which variables may enter lineage, what of their values, and the salt."""

from __future__ import annotations

import json
import logging

import pytest
from airflow.providers.openlineage.utils.utils import TaskInfoComplete
from airflow.sdk._shared.secrets_masker import redact
from airflow.sdk.execution_time.task_runner import _serialize_rendered_fields
from openlineage.client.serde import Serde

from llm_lineage.lineage.secrets import (
    allowed_environment,
    credential_kind,
    redact_credentials,
    reportable_environment,
    reportable_parameters,
    secret_name,
)
from llm_lineage.operators.concealed import Concealed, conceal, revealed
from llm_lineage.operators.extraction import DocumentExtractionOperator
from llm_lineage.operators.lora import LoRAFineTuningOperator
from llm_lineage.operators.validation import InvalidParameterError

GITHUB_TOKEN = "ghp_" + "a1B2" * 9
JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U"


@pytest.mark.parametrize(
    "name",
    [
        "DATABASE_URL",
        "GITHUB_PAT",
        "github_pat",
        "AZURE_STORAGE_CONNECTION_STRING",
        "PGPASS",
        "PGPASSWORD",
        "MYSQL_PWD",
        "HF_TOKEN",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_ACCESS_KEY_ID",
        "OPENAI_API_KEY",
        "APIKEY",
        "SENTRY_DSN",
        "GOOGLE_APPLICATION_CREDENTIALS",
        "BASIC_AUTH",
        "AUTHORIZATION",
        "SSH_PRIVATE_KEY",
        "SESSION_COOKIE",
        "REQUEST_SIGNATURE",
        "SSL_CERT",
        "SLACK_WEBHOOK_URL",
        "AUTHOR_SALT",
        "AIRFLOW_CONN_WAREHOUSE",
        "AIRFLOW_VAR_ANYTHING",
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN",
        "AccountKey",
    ],
)
def test_credential_names_are_refused(name: str) -> None:
    assert secret_name(name)


@pytest.mark.parametrize(
    "name",
    [
        "PATH",
        "PYTHONPATH",
        "CUDA_VISIBLE_DEVICES",
        "HF_HOME",
        "OMP_NUM_THREADS",
        "MONKEY",
        "KEYBOARD_LAYOUT",
        "TOKENIZERS_PARALLELISM",
        "MAX_TOKENS",
        "num_tokens_per_step",
        "DEFAULT_AUTHOR",
        "MY_SERVICE_URL",
        "HOSTNAME",
    ],
)
def test_ordinary_names_pass(name: str) -> None:
    assert not secret_name(name)


@pytest.mark.parametrize(
    ("value", "kind"),
    [
        (GITHUB_TOKEN, "GitHub token"),
        ("github_pat_11ABCDEFG0123456789_abcdefghijklmnop", "GitHub token"),
        (f"https://{GITHUB_TOKEN}@github.com/org/repo.git", "GitHub token"),
        ("AKIAIOSFODNN7EXAMPLE", "AWS access key id"),
        ("xoxb-123456789012-abcdefABCDEF", "Slack token"),
        ("xoxp-123456789012-abcdefABCDEF", "Slack token"),
        ("sk-proj-abcdefghijklmnopqrstuvwx", "API secret key"),
        ("hf_" + "x" * 34, "Hugging Face token"),
        (JWT, "JWT"),
        ("-----BEGIN PRIVATE KEY-----\nMIIEvQ...", "private key"),
        ("-----BEGIN OPENSSH PRIVATE KEY-----", "private key"),
        ("Bearer abcdefghijklmnop", "authorization header"),
    ],
)
def test_credential_values_are_recognised(value: str, kind: str) -> None:
    assert credential_kind(value) == kind


@pytest.mark.parametrize(
    "value", ["0,1", "/home/airflow/.cache/huggingface", "sk-short", "true", "en_US.UTF-8"]
)
def test_ordinary_values_are_not_credentials(value: str) -> None:
    assert credential_kind(value) is None


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("postgresql://u:s3cret@h/db", "postgresql://u:***@h/db"),
        ("postgresql://u:s3c@ret@h:5432/db", "postgresql://u:***@h:5432/db"),
        ("redis://:s3cret@cache:6379/0", "redis://:***@cache:6379/0"),
        ("a://u:x1@h b://v:x2@h", "a://u:***@h b://v:***@h"),
        (
            "Server=db;Database=d;User Id=u;Password=s3 cret;Encrypt=true",
            "Server=db;Database=d;User Id=u;Password=***;Encrypt=true",
        ),
        ('Driver={x};Uid=u;Pwd="s3;cret";', "Driver={x};Uid=u;Pwd=***;"),
        ("host=h user=u password=s3cret dbname=d", "host=h user=u password=*** dbname=d"),
        (
            "DefaultEndpointsProtocol=https;AccountName=a;AccountKey=s3cret+/==;EndpointSuffix=x",
            "DefaultEndpointsProtocol=https;AccountName=a;AccountKey=***;EndpointSuffix=x",
        ),
        (
            "https://a.blob.core/c?sv=2020&sig=s3cret%3D&se=1",
            "https://a.blob.core/c?sv=2020&sig=***&se=1",
        ),
        ("https://h/p?token=s3cret", "https://h/p?token=***"),
        ("https://h:8080/path?page=2", "https://h:8080/path?page=2"),
        ("0,1", "0,1"),
    ],
)
def test_redaction(value: str, expected: str) -> None:
    assert redact_credentials(value) == expected


def test_reportable_environment_drops_and_redacts_naming_only_the_variable(
    caplog: pytest.LogCaptureFixture,
) -> None:
    environ = {
        "CUDA_VISIBLE_DEVICES": "0,1",
        "DATABASE_URL": "postgresql://u:s3cret@h/db",
        "MY_SERVICE_URL": "postgresql://u:s3cret@h/db",
        "MY_HANDLE": GITHUB_TOKEN,
    }
    names = ["MY_HANDLE", "CUDA_VISIBLE_DEVICES", "UNSET", "DATABASE_URL", "MY_SERVICE_URL"]
    with caplog.at_level(logging.WARNING, logger="llm_lineage.lineage.secrets"):
        reported = reportable_environment(names, environ)
    assert reported == (
        ("CUDA_VISIBLE_DEVICES", "0,1"),
        ("MY_SERVICE_URL", "postgresql://u:***@h/db"),
    )
    logged = caplog.text
    assert "MY_HANDLE" in logged and "GitHub token" in logged and "DATABASE_URL" in logged
    assert GITHUB_TOKEN not in logged and "s3cret" not in logged


def test_allowed_environment_reads_this_process_through_the_rule(monkeypatch) -> None:
    monkeypatch.setenv("MY_SERVICE_URL", "mysql://u:s3cret@h/db")
    monkeypatch.setenv("PGPASS", "s3cret")
    assert allowed_environment(["MY_SERVICE_URL", "PGPASS"]) == (
        ("MY_SERVICE_URL", "mysql://u:***@h/db"),
    )


def test_operator_refuses_credential_names_at_parse_time() -> None:
    names = ["PATH", "DATABASE_URL", "GITHUB_PAT", "AZURE_STORAGE_CONNECTION_STRING", "PGPASS"]
    with pytest.raises(InvalidParameterError) as raised:
        LoRAFineTuningOperator(
            task_id="fine_tune",
            dataset="/d",
            base_model="/b",
            output="/o",
            environment_variables=names,
        )
    message = str(raised.value)
    assert "parameter 'environment_variables'" in message
    assert "DATABASE_URL, GITHUB_PAT, AZURE_STORAGE_CONNECTION_STRING, PGPASS" in message
    assert "PATH," not in message
    operator = LoRAFineTuningOperator(
        task_id="fine_tune",
        dataset="/d",
        base_model="/b",
        output="/o",
        environment_variables=["PATH", "CUDA_VISIBLE_DEVICES", "HF_HOME", "OMP_NUM_THREADS"],
    )
    assert operator.environment_variables == (
        "PATH",
        "CUDA_VISIBLE_DEVICES",
        "HF_HOME",
        "OMP_NUM_THREADS",
    )


def test_concealed_prints_as_mask_and_is_masked_in_logs() -> None:
    salt = "salt-for-the-concealed-test"
    hidden = conceal(salt)
    assert isinstance(hidden, Concealed)
    assert (str(hidden), repr(hidden), revealed(hidden)) == ("***", "'***'", salt)
    assert f"{hidden}" == "***"
    assert redact(f"the salt is {salt}") == "the salt is ***"
    assert conceal(hidden) is hidden and conceal(None) is None and conceal("") == ""
    assert revealed("plain") == "plain" and revealed(None) is None


def test_rendered_salt_never_reaches_rendered_fields_or_full_task_info() -> None:
    salt = "salt-for-the-rendering-test"
    operator = DocumentExtractionOperator(
        task_id="extract",
        source="/corpus",
        destination="/out",
        author_policy="hash",
        author_salt="{{ params.salt }}",
    )
    operator.render_template_fields({"params": {"salt": salt}})  # type: ignore[arg-type]
    assert revealed(operator.author_salt) == salt
    assert operator._plan().author_salt == salt
    assert _serialize_rendered_fields(operator)["author_salt"] == "***"
    # include_full_task_info copies every operator attribute into the event
    task_info = Serde.to_json(TaskInfoComplete(operator))
    assert salt not in task_info
    assert "author_salt" in json.loads(task_info)


def test_parameters_keep_what_names_a_tokenizer_and_mask_secrets() -> None:
    """Airflow's key rule hides any key containing ``token``; the provider's rule does not."""
    sha = "9f" * 32
    parameters = {
        "tokenizer": "/models/gpt2",
        "tokenizer_sha256": sha,
        "revision": "main",
        "add_special_tokens": False,
        "max_tokens": 512,
        "api_key": "not-for-lineage",
        "hf_token": "not-for-lineage",
        "nested": {"password": "not-for-lineage", "depth": 2, "auth": ["a", "b"]},
        "base_url": "https://u:s3cret@hub.example/models",
        "handle": GITHUB_TOKEN,
        "include": ["*.pdf", "notes/*.md"],
    }
    assert reportable_parameters(parameters) == {
        "tokenizer": "/models/gpt2",
        "tokenizer_sha256": sha,
        "revision": "main",
        "add_special_tokens": False,
        "max_tokens": 512,
        "api_key": "***",
        "hf_token": "***",
        "nested": {"password": "***", "depth": 2, "auth": ["***", "***"]},
        "base_url": "https://u:***@hub.example/models",
        "handle": "***",
        "include": ["*.pdf", "notes/*.md"],
    }
    assert redact(parameters)["tokenizer"] == "***"  # what Airflow's own rule would have shown


#: Each form a credential takes in an environment value, for each kind of secret-ish key.
_FORMS = {
    "json": ('{{"{key}": "s3cret-v", "user": "u"}}', '{{"{key}": "***", "user": "u"}}'),
    "json-compact": ('{{"db":{{"{key}":"s3cret-v"}}}}', '{{"db":{{"{key}":"***"}}}}'),
    "json-number": ('{{"{key}": 123456}}', '{{"{key}": "***"}}'),
    "python-repr": ("{{'{key}': 's3cret-v', 'n': 8}}", "{{'{key}': '***', 'n': 8}}"),
    "yaml": ("user: u\n{key}: s3cret-v\nhost: h", "user: u\n{key}: ***\nhost: h"),
    "yaml-nested": ("db:\n  {key}: s3cret v\n", "db:\n  {key}: ***\n"),
    "yaml-flow": ("{{{key}: s3cret-v, ttl: 5}}", "{{{key}: ***, ttl: 5}}"),
    "flag": ("run --{key} s3cret-v --verbose", "run --{key} *** --verbose"),
    # as a ``key=value`` pair the value runs to the next pair: the flags after it go too
    "flag-equals": ("run --{key}=s3cret-v --verbose", "run --{key}=***"),
    "flag-quoted": ("run --{key} 's3cret v' -q", "run --{key} '***' -q"),
    "odbc-braces": (
        "Driver={{x}};Uid=u;{key}={{s3;cret}};Server=s",
        "Driver={{x}};Uid=u;{key}=***;Server=s",
    ),
}
_KEYS = ["password", "passwd", "pwd", "token", "secret", "api_key", "api-key", "credentials"]


@pytest.mark.parametrize("key", _KEYS)
@pytest.mark.parametrize("form", sorted(_FORMS))
def test_environment_values_mask_every_form_of_a_secret_key(form: str, key: str) -> None:
    raw, masked = (text.format(key=key) for text in _FORMS[form])
    assert reportable_environment(["SETTINGS"], {"SETTINGS": raw}) == (("SETTINGS", masked),)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("Driver={x};Uid=u;Pwd={a;b};", "Driver={x};Uid=u;Pwd=***;"),  # leaked "b}" before
        ("Pwd={a}}b;c};Server=s", "Pwd=***;Server=s"),  # "}}" is a "}" inside the braces
        (
            'curl -H "Authorization: Bearer abcdefghijk" https://h/api',
            'curl -H "Authorization: ***',  # the rest of the header line goes too
        ),
        ("X-Trace: 1; Authorization: Basic dXNlcjpwYXNz", "X-Trace: 1; Authorization: ***"),
        ("--header=Bearer abcdefghij --retry 3", "--header=Bearer *** --retry 3"),
        ("sent with token 9f8e7d6c5b4a", "sent with token ***"),
        ("-H X-Api-Key:abc123 -v", "-H X-Api-Key:***"),
    ],
    ids=["odbc", "odbc-escaped-brace", "header-in-command", "header-after-another",
         "bearer-anywhere", "token-scheme", "header-without-space"],
)  # fmt: skip
def test_environment_values_mask_headers_anywhere_and_odbc_braces(
    value: str, expected: str
) -> None:
    assert reportable_environment(["V"], {"V": value}) == (("V", expected),)


@pytest.mark.parametrize(
    "value",
    [
        "0,1",
        "/home/airflow/.cache/huggingface",
        "en_US.UTF-8",
        "https://h:8080/path?page=2",
        "redis:6379",
        "C:\\data\\models",
        "backup at 12:30 daily",
        '{"batch_size": 8, "tokenizer": "gpt2", "author": "Ada"}',
        "level: debug\nformat: json",
        "--tokenizer gpt2 --max-tokens 512 --verbose",
        "use Basic authentication, see the token parameter",
        "s3://bucket/secret-reports/2024",  # a word in a path is no key
    ],
)
def test_ordinary_environment_values_are_still_reported(value: str) -> None:
    assert reportable_environment(["V"], {"V": value}) == (("V", value),)
