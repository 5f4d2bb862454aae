"""Personal data in text: e-mail addresses, IBANs, payment cards, IP addresses, phone numbers.

Each kind is a pattern that finds candidates and, where the kind has one, a check that rejects
look-alikes: IBANs pass the ISO 13616 mod-97 check, card numbers the Luhn check, IP addresses
Python's ``ipaddress`` parser, phone numbers a digit count (8 to 15, as E.164 allows) and not a
date. Kinds are searched in ``PII_KINDS`` order, and text one kind matched is not searched by
the next, so a card number is never also counted as a phone number. Only counts leave this
module; the values found never do.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable
from dataclasses import dataclass

#: The typed placeholder that replaces each kind when redacting.
PLACEHOLDERS: dict[str, str] = {
    "email": "<EMAIL>",
    "iban": "<IBAN>",
    "card": "<CARD_NUMBER>",
    "ip": "<IP_ADDRESS>",
    "phone": "<PHONE>",
}

_EMAIL = re.compile(
    r"(?<![\w.%+-])[A-Za-z0-9][A-Za-z0-9._%+-]{0,63}@"
    r"(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,24}(?![\w-])"
)
_IBAN = re.compile(
    r"(?<![A-Za-z0-9])[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?(?![A-Za-z0-9])"
)
_CARD = re.compile(r"(?<![\d-])\d(?:[ -]?\d){12,18}(?![\d-])")
_IPV4 = re.compile(r"(?<![\d.])(?:\d{1,3}\.){3}\d{1,3}(?![\d.]*\d)")
_IPV6 = re.compile(r"(?<![\w:])(?:[0-9A-Fa-f]{0,4}:){2,7}[0-9A-Fa-f]{0,4}(?![\w:])")
_PHONE = re.compile(
    r"(?<![\w+])(?:\+\d{1,3}[ .-]?)?(?:\(\d{1,5}\)[ .-]?)?\d{2,5}(?:[ .-]\d{2,8}){1,5}(?![\w]|[ .-]\d)"
)
_DATE = re.compile(r"\d{4}[-./]\d{1,2}[-./]\d{1,2}|\d{1,2}[-./]\d{1,2}[-./]\d{4}")


def _digits(text: str) -> str:
    return "".join(char for char in text if char.isdigit())


def luhn_valid(number: str) -> bool:
    """The Luhn checksum of a string of digits (payment card numbers carry one)."""
    total = 0
    for position, char in enumerate(reversed(number)):
        digit = int(char)
        if position % 2:
            digit = digit * 2 - 9 if digit > 4 else digit * 2
        total += digit
    return total % 10 == 0


def iban_valid(candidate: str) -> bool:
    """ISO 13616: the country code and check digits moved to the end, mod 97 is 1."""
    compact = candidate.replace(" ", "")
    if not 15 <= len(compact) <= 34:
        return False
    moved = compact[4:] + compact[:4]
    return int("".join(str(int(char, 36)) for char in moved)) % 97 == 1


def _card(candidate: str) -> bool:
    digits = _digits(candidate)
    return 13 <= len(digits) <= 19 and luhn_valid(digits)


def _ip(candidate: str) -> bool:
    try:
        address = ipaddress.ip_address(candidate)
    except ValueError:
        return False
    # "::" and "1:2" style strings parse as IPv6 but are mostly times and ratios in prose.
    return address.version == 4 or candidate.count(":") >= 3


def _phone(candidate: str) -> bool:
    return 8 <= len(_digits(candidate)) <= 15 and not _DATE.fullmatch(candidate.strip())


def _any(_: str) -> bool:
    return True


@dataclass(frozen=True)
class _Kind:
    patterns: tuple[re.Pattern[str], ...]
    valid: Callable[[str], bool]


_KINDS: dict[str, _Kind] = {
    "email": _Kind((_EMAIL,), _any),
    "iban": _Kind((_IBAN,), iban_valid),
    "card": _Kind((_CARD,), _card),
    "ip": _Kind((_IPV4, _IPV6), _ip),
    "phone": _Kind((_PHONE,), _phone),
}


def find_and_redact(text: str, kinds: tuple[str, ...], redact: bool) -> tuple[str, dict[str, int]]:
    """Counts of each kind found in ``text``, and the text with each replaced when ``redact``.

    Every kind is searched in the text with the earlier kinds' finds already replaced by their
    placeholders, so one span counts once. Without ``redact`` the text comes back unchanged.
    """
    counts: dict[str, int] = {}
    working = text
    for kind in kinds:
        found = 0

        def replace(match: re.Match[str], kind: str = kind) -> str:
            nonlocal found
            if not _KINDS[kind].valid(match.group(0)):
                return match.group(0)
            found += 1
            return PLACEHOLDERS[kind]

        for pattern in _KINDS[kind].patterns:
            working = pattern.sub(replace, working)
        counts[kind] = found
    if not redact or not any(counts.values()):
        return text, counts
    return working, counts
