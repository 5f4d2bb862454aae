"""The one redaction of error texts and URLs before a transport writes them anywhere.

Backends answer with text we do not control: a GMS that echoes the ``Authorization`` header in
a 401 body, ``requests`` naming the full URL (``user:password@`` included) in an HTTP error, a
proxy quoting the query string. Every text of that kind passes through ``redact`` before it
reaches a log line, a ``.response`` file in the spool, or the output of ``llm-lineage``:

* ``Authorization: <scheme> <credentials>`` anywhere in a text (a header line, a JSON or
  Python-dict pair, ``Proxy-Authorization`` too);
* ``Bearer <token>`` and ``Basic <credentials>`` wherever they stand;
* values of credential-like keys (token, password, api key, secret, ...) in query strings,
  ``key=value`` and ``key: value`` text and JSON;
* the user information of URLs (``scheme://user:password@host`` -> ``scheme://***@host``);
* any literal secret the caller knows (the configured token, the URL's password).

``redact_url`` shows a URL without its user information, for log lines that name a backend.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

MASK = "***"

#: Key names whose values are credentials, matched case-insensitively from the credential word
#: on (so ``access_token``, ``X-Api-Key``, ``client_secret``, ``db_password`` match at their
#: last part; ``tokenizer`` does not). Bounded repeats keep the patterns linear on long bodies.
_KEY = (
    r"(?:token(?!iz)|passw(?:or)?d|pwd|api[_\-]?key|secret|credential"
    r"|session[_\-]?id|private[_\-]?key|signature)[\w.\-]{0,40}"
)

#: A quoted string, double or single, with backslash escapes.
_QUOTED = r"""(?:"(?:[^"\\\r\n]|\\.)*"|'(?:[^'\\\r\n]|\\.)*')"""

_RULES: tuple[tuple[re.Pattern[str], str], ...] = (
    # "Authorization": "Bearer x", 'authorization': 'Basic y'  (JSON and Python reprs)
    (
        re.compile(rf"""(?i)(["'](?:proxy-)?authorization["']\s*[:=]\s*){_QUOTED}"""),
        rf'\1"{MASK}"',
    ),
    # "token": "x", 'password': 'y'
    (re.compile(rf"""(?i)({_KEY}["']\s*:\s*){_QUOTED}"""), rf'\1"{MASK}"'),
    # "token": 123  (a bare JSON value)
    (re.compile(rf"""(?i)({_KEY}["']\s*:\s*)(?!["'\s])[^,}}\]\s]+"""), rf"\1{MASK}"),
    # Authorization: Bearer x  (a header line anywhere in a text, up to the end of the value)
    (
        re.compile(r"(?i)\b((?:proxy-)?authorization\s*[:=]\s*)(?!\*\*\*|[\"'])[^\r\n\"',;}]+"),
        rf"\1{MASK}",
    ),
    # Bearer x, Basic y wherever they stand
    (re.compile(r"(?i)\b(bearer|basic)(\s+)(?!\*\*\*)[A-Za-z0-9\-._~+/]{6,}=*"), rf"\1\2{MASK}"),
    # password='y'  token="x"  (quoted values of key=value text)
    (re.compile(rf"(?i)({_KEY}\s*[=:]\s*){_QUOTED}"), rf'\1"{MASK}"'),
    # ?token=x&...  password=y  api-key: z  (query strings, key=value text, header lines)
    (
        re.compile(rf"(?i)({_KEY}\s*[=:]\s*)(?![\"'\s*])[^\s&;,\"'}}\]]+"),
        rf"\1{MASK}",
    ),
    # scheme://user:password@host
    (re.compile(r"(?i)\b([a-z][a-z0-9+.\-]{0,30}://)[^/\s@\"'<>]{1,512}@"), rf"\1{MASK}@"),
)


def redact(text: Any, secrets: Iterable[str] = ()) -> str:
    """``text`` (anything; it is turned into a string) with every credential form replaced."""
    result = str(text)
    for secret in sorted({s for s in secrets if s and len(s) >= 4}, key=len, reverse=True):
        result = result.replace(secret, MASK)
    for pattern, replacement in _RULES:
        result = pattern.sub(replacement, result)
    return result


def redact_url(url: Any) -> str:
    """A URL as a log line may show it: no user information, credential query values masked."""
    return redact(url)


def error_text(error: BaseException, secrets: Iterable[str] = (), limit: int = 500) -> str:
    """``Type: message`` of an exception, redacted and cut to ``limit`` characters."""
    return redact(f"{type(error).__name__}: {error}", secrets)[:limit]


def known_secrets(config: Mapping[str, Any]) -> list[str]:
    """Literal secrets in a transport configuration: credential-like values and URL passwords.

    Walks nested mappings and lists (a composite's members, an HTTP ``auth`` block), so that a
    backend echoing a secret in a form no rule recognises still never has it written out.
    """
    found: list[str] = []
    key = re.compile(rf"(?i){_KEY}")
    stack: list[Any] = [config]
    while stack:
        value = stack.pop()
        if isinstance(value, Mapping):
            for name, item in value.items():
                if isinstance(item, str) and key.search(str(name)):
                    found.append(item)
                stack.append(item)
        elif isinstance(value, (list, tuple)):
            stack.extend(value)
        elif isinstance(value, str):
            match = re.search(r"://([^/\s@]+)@", value)
            if match:
                found.extend(part for part in match.group(1).split(":", 1) if len(part) >= 4)
    return found
