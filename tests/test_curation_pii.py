"""Personal data (curation/pii.py): what each kind finds, the checks that reject look-alikes,
typed placeholders, and counts."""

from __future__ import annotations

import pytest

from llm_lineage.curation import PII_KINDS, PLACEHOLDERS
from llm_lineage.curation.pii import find_and_redact, iban_valid, luhn_valid


def redact(text: str) -> tuple[str, dict[str, int]]:
    return find_and_redact(text, PII_KINDS, redact=True)


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("write to jane.doe@example.com today", "email"),
        ("write to first.last+tag@mail.example.co.uk today", "email"),
        ("pay into DE89 3704 0044 0532 0130 00 please", "iban"),
        ("pay into GB82WEST12345698765432 please", "iban"),
        ("card 4111 1111 1111 1111 on file", "card"),
        ("card 5500-0000-0000-0004 on file", "card"),
        ("card 378282246310005 on file", "card"),
        ("host 192.168.10.42 answered", "ip"),
        ("host 2001:db8::8a2e:370:7334 answered", "ip"),
        ("call +44 20 7946 0958 now", "phone"),
        ("call (555) 123-4567 now", "phone"),
        ("call +1-202-555-0143 now", "phone"),
        ("call 030 12345678 now", "phone"),
    ],
)
def test_each_kind_is_found_and_replaced_by_its_placeholder(text: str, kind: str) -> None:
    redacted, counts = redact(text)
    assert counts[kind] == 1 and sum(counts.values()) == 1
    assert PLACEHOLDERS[kind] in redacted
    assert redacted.split()[0] == text.split()[0] and redacted.split()[-1] == text.split()[-1]


@pytest.mark.parametrize(
    "text",
    [
        "reference 4111 1111 1111 1112 is not a card",  # fails Luhn
        "pay into DE89 3704 0044 0532 0130 01 please",  # fails mod 97
        "version 1.2.3 and 300.1.2.999 are not addresses",
        "the meeting on 2024-01-15 at 10:30, ratio 3:2",
        "page 12 of 300, 1,000,000 users in 2023",
        "an at sign @ alone, or user@ and @host",
    ],
)
def test_look_alikes_are_left_alone(text: str) -> None:
    redacted, counts = redact(text)
    assert redacted == text and not any(counts.values())


def test_one_span_counts_once_and_flagging_keeps_the_text() -> None:
    text = "card 4111111111111111, mail a@example.com, again a@example.com"
    redacted, counts = redact(text)
    assert counts == {"email": 2, "iban": 0, "card": 1, "ip": 0, "phone": 0}
    assert redacted == "card <CARD_NUMBER>, mail <EMAIL>, again <EMAIL>"
    flagged, flag_counts = find_and_redact(text, PII_KINDS, redact=False)
    assert flagged == text and flag_counts == counts


def test_only_the_chosen_kinds_are_looked_for() -> None:
    text, counts = find_and_redact("a@example.com 4111111111111111", ("email",), redact=True)
    assert text == "<EMAIL> 4111111111111111" and counts == {"email": 1}


def test_the_checksums() -> None:
    assert luhn_valid("4111111111111111") and not luhn_valid("4111111111111112")
    assert luhn_valid("79927398713") and not luhn_valid("79927398710")
    assert iban_valid("GB82 WEST 1234 5698 7654 32") and not iban_valid(
        "GB82 WEST 1234 5698 7654 33"
    )
    assert not iban_valid("DE89")
