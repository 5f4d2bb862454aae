"""The one redaction every error text passes before a log line, a file or the command's output."""

from __future__ import annotations

import pytest

from llm_lineage.transports.redaction import error_text, known_secrets, redact, redact_url

SECRET = "s3cr3t-VALUE-42"


@pytest.mark.parametrize(
    "text",
    [
        f"Authorization: Bearer {SECRET}",
        f"HTTP 401: bad header\nauthorization: Basic {SECRET}\nHost: x",
        f'{{"message": "Unauthorized: bad Authorization: Bearer {SECRET}", "status": 401}}',
        f"{{'Authorization': 'Bearer {SECRET}', 'Accept': '*/*'}}",
        f'{{"headers": {{"Proxy-Authorization": "Basic {SECRET}"}}}}',
        f"the upstream said: bearer {SECRET} is expired",
        f"GET /api?access_token={SECRET}&page=2",
        f"POST /x?api_key={SECRET}",
        f"password={SECRET} user=bob",
        f"db_password: '{SECRET}'",
        f'{{"token": "{SECRET}", "user": "bob"}}',
        f'{{"client_secret":"{SECRET}"}}',
        f'{{"apiKey": "{SECRET}"}}',
        f'{{"password": "a\\"{SECRET}"}}',
        f"X-Api-Key: {SECRET}",
        f"503 Server Error for url: http://bob:{SECRET}@marquez:5000/api/v1/lineage",
        f"kafka://bob:{SECRET}@broker:9092",
    ],
)
def test_every_credential_form_is_masked(text: str) -> None:
    redacted = redact(text)
    assert SECRET not in redacted
    assert "***" in redacted


def test_what_is_not_a_credential_stays() -> None:
    text = (
        "HTTPConnectionPool(host='127.0.0.1', port=9): Max retries exceeded with url: "
        '/api/v1/lineage; tokenizer: gpt2; 422 {"errors": ["eventTime must not be null"]}'
    )
    assert redact(text) == text


def test_known_secrets_are_masked_in_any_form() -> None:
    config = {
        "type": "composite",
        "transports": [
            {"type": "http", "url": "http://alice:pw-4711@h", "auth": {"apiKey": "k-1234"}},
            {"type": "x", "token": "t-5678"},
        ],
    }
    secrets = known_secrets(config)
    assert {"pw-4711", "k-1234", "t-5678"} <= set(secrets)
    assert redact("echo: k-1234 / t-5678 / pw-4711", secrets) == "echo: *** / *** / ***"


def test_urls_lose_their_user_information_and_errors_are_cut() -> None:
    assert redact_url("https://user:pw@host:8080/p?x=1") == "https://***@host:8080/p?x=1"
    assert redact_url("http://host/p") == "http://host/p"
    error = ConnectionError(f"for url: http://u:{SECRET}@h/ " + "x" * 1000)
    text = error_text(error)
    assert text.startswith("ConnectionError: for url: http://***@h/")
    assert len(text) == 500 and SECRET not in text
