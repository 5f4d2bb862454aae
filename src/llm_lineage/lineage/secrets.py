"""What counts as a secret, and how secrets are kept out of lineage, logs and the Airflow UI.

Events go to every catalog that the OpenLineage transport feeds, and rendered template fields
are shown to anyone who can view the DAG: a credential in either is a leak. This module owns
the rule for both:

* an environment variable whose *name* looks like a credential is never reported;
* one whose *value* looks like a credential (a known token shape, a JWT, a PEM private key) is
  dropped at run time, with a warning naming the variable but never its value;
* any other reported value has ``user:password@`` in URLs and ``password=...``-like pairs
  redacted.

``allowed_environment`` applies all three to the variables a run was asked to report.

Secrets rendered into operator attributes (the author-hash salt) are the operators' business:
``operators/concealed.py``.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Iterable, Mapping
from typing import Any

log = logging.getLogger(__name__)

MASK = "***"

#: Name parts that are credentials on their own, matched as whole parts only: ``PAT`` refuses
#: ``GITHUB_PAT`` but not ``PATH``; ``KEY`` refuses ``ACCOUNT_KEY`` but not ``MONKEY``.
_SECRET_PARTS = frozenset(
    {
        "PAT",
        "KEY",
        "KEYS",
        "PWD",
        "PW",
        "DSN",
        "SALT",
        "CONN",
        "CREDS",
        "SAS",
        "SIG",
        "JWT",
        "OTP",
        "PIN",
    }
)

#: Words that mark a credential wherever they appear in a name (``PGPASS``, ``HF_TOKEN``).
#: ``TOKENIZER`` and ``AUTHOR`` are words of their own, not tokens or auth, and ``TOKENS`` as a
#: whole part counts tokens (``MAX_TOKENS``, ``add_special_tokens``).
_SECRET_WORDS = re.compile(
    r"PASS|SECRET|TOKEN(?!IZER|S(?:$|[^A-Za-z0-9]))|CREDENTIAL|AUTH(?!OR(?!IZ))|CONNECTION_?STRING|DATABASE_URL"
    r"|PRIVATE|COOKIE|SESSION|SIGNATURE|CERT|APIKEY|BEARER|WEBHOOK|KEYTAB",
    re.IGNORECASE,
)

#: Airflow's own ways of putting connections and Variables into the environment.
_SECRET_PREFIXES = ("AIRFLOW_CONN_", "AIRFLOW_VAR_")

#: ``FooBar``, ``FOO_BAR``, ``foo-bar`` -> ``FOO``, ``BAR``.
_NAME_PARTS = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|\d+")

#: Value shapes of credentials, with a name for the warning. Searched anywhere in a value, so a
#: token used as a URL's user name is found too.
_CREDENTIAL_SHAPES: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (kind, re.compile(pattern))
    for kind, pattern in (
        ("GitHub token", r"\bgh[pousr]_[A-Za-z0-9]{30,}"),
        ("GitHub token", r"\bgithub_pat_[A-Za-z0-9_]{20,}"),
        ("GitLab token", r"\bglpat-[A-Za-z0-9_\-]{20,}"),
        ("AWS access key id", r"\b(?:AKIA|ASIA)[A-Z0-9]{16}\b"),
        ("Slack token", r"\bxox[abposr]-[A-Za-z0-9-]{10,}"),
        ("API secret key", r"\bsk-[A-Za-z0-9_\-]{20,}"),
        ("Stripe key", r"\b[rs]k_(?:live|test)_[A-Za-z0-9]{16,}"),
        ("Hugging Face token", r"\bhf_[A-Za-z0-9]{30,}"),
        ("Google API key", r"\bAIza[A-Za-z0-9_\-]{35}"),
        ("JWT", r"\beyJ[A-Za-z0-9_\-]{5,}\.eyJ[A-Za-z0-9_\-]{5,}\.[A-Za-z0-9_\-]*"),
        ("private key", r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY( BLOCK)?-----"),
        ("authorization header", r"(?i)^\s*(?:bearer|basic)\s+\S{8,}"),
    )
)

#: ``scheme://user:password@`` -> ``scheme://user:***@``. The password runs to the *last* ``@``
#: before a space, so an unencoded ``@`` in it cannot leave a tail visible (masking too much of
#: an odd URL is the safe way to be wrong).
_URL_PASSWORD = re.compile(r"(?P<head>[A-Za-z][A-Za-z0-9+.\-]*://[^:/@\s]*):(?P<password>\S*)@")

#: ``key=value`` pairs of connection strings (``;``), libpq strings (spaces) and URL queries
#: (``&``); a quoted value may hold any separator, and so may an ODBC braced one (``Pwd={a;b}``,
#: where ``}}`` stands for a ``}`` inside).
_PAIR = re.compile(
    r"(?P<key>[A-Za-z][A-Za-z0-9_.\-]*)(?P<eq>\s*=\s*)"
    r"(?P<value>\{(?:[^}]|\}\})*\}|\"[^\"]*\"|'[^']*'"
    r"|.*?(?=[;&]|\s+[A-Za-z][A-Za-z0-9_.\-]*\s*=|\s*$))"
)

#: ``key: value`` of JSON (``"password": "x"``, ``{'password': 'x'}``) and YAML
#: (``password: x``, ``{password: x}``) and headers (``X-Api-Key:x``), wherever it is in the
#: value; ``scheme://`` is a URL, not a key. An unquoted value runs to the
#: end of its line or to ``,`` ``;`` ``{`` ``}`` ``[`` ``]``, so each pair of a nested object is
#: looked at on its own.
_COLON_PAIR = re.compile(
    r"(?P<key>\"[^\"\n]*\"|'[^'\n]*'|(?<![\w.\-])[A-Za-z_][\w.\-]*)"
    r"(?P<sep>\s*:[ \t]*)(?!//)"
    r"(?P<value>\"(?:[^\"\\\n]|\\.)*\"|'[^'\n]*'|[^,;{}\[\]\n]*)"
)

#: Command-line flags with their value: ``--password x``, ``--api-key=x``, ``-token 'x y'``.
_FLAG = re.compile(
    r"(?<![\w\-])(?P<flag>--?[A-Za-z][\w\-]*)(?P<sep>=|[ \t]+)(?P<value>\"[^\"]*\"|'[^']*'|\S+)"
)

#: An HTTP credential after its scheme, anywhere in a value (``-H 'Authorization: Bearer x'``).
#: After ``Basic`` or ``Token`` it must hold a digit, so "Basic authentication" is words.
_SCHEME_CREDENTIAL = re.compile(
    r"(?i)\b(?P<scheme>bearer|basic|token)(?P<space>[ \t]+)(?P<credential>[A-Za-z0-9._~+/\-]{8,}=*)"
)


def secret_name(name: str) -> bool:
    """True when a variable (or connection-string key) of this name probably holds a secret."""
    if name.upper().startswith(_SECRET_PREFIXES) or _SECRET_WORDS.search(name):
        return True
    return any(part.upper() in _SECRET_PARTS for part in _NAME_PARTS.findall(name))


def credential_kind(value: str) -> str | None:
    """What kind of credential ``value`` holds (e.g. ``"GitHub token"``), or None."""
    for kind, shape in _CREDENTIAL_SHAPES:
        if shape.search(value):
            return kind
    return None


def redact_credentials(value: str) -> str:
    """``value`` with its credentials masked, in every form these rules know.

    URL passwords; the values of secret-named keys (``secret_name``) in ``key=value`` pairs
    (ODBC braces included), JSON and YAML ``key: value``, and command-line flags; and an HTTP
    credential after ``Bearer``, ``Basic`` or ``Token`` anywhere in the value.
    """
    value = _URL_PASSWORD.sub(rf"\g<head>:{MASK}@", value)
    value = _PAIR.sub(_masked_pair, value)
    value = _COLON_PAIR.sub(_masked_colon_pair, value)
    value = _FLAG.sub(_masked_flag, value)
    return _SCHEME_CREDENTIAL.sub(_masked_credential, value)


def _masked_pair(match: re.Match[str]) -> str:
    if not match["value"] or not secret_name(match["key"]):
        return match[0]
    return f"{match['key']}{match['eq']}{MASK}"


def _masked_colon_pair(match: re.Match[str]) -> str:
    key, value = match["key"], match["value"]
    quoted_key = key[0] in "\"'"
    if not value.strip() or not secret_name(key.strip("\"'")):
        return match[0]
    if value[0] in "\"'":
        shown = f"{value[0]}{MASK}{value[0]}"
    else:
        shown = f'"{MASK}"' if quoted_key else MASK  # a JSON number stays JSON
    return f"{key}{match['sep']}{shown}"


def _masked_credential(match: re.Match[str]) -> str:
    if match["scheme"].lower() != "bearer" and not any(c.isdigit() for c in match["credential"]):
        return match[0]
    return f"{match['scheme']}{match['space']}{MASK}"


def _masked_flag(match: re.Match[str]) -> str:
    if not secret_name(match["flag"].lstrip("-")):
        return match[0]
    value = match["value"]
    shown = f"{value[0]}{MASK}{value[0]}" if value[0] in "\"'" else MASK
    return f"{match['flag']}{match['sep']}{shown}"


def reportable_environment(
    names: Iterable[str], environ: Mapping[str, str]
) -> tuple[tuple[str, str], ...]:
    """The listed variables that are set and safe to report, their values redacted.

    Names were checked when the DAG was parsed, but a hook's caller was not, and a value can be
    a credential whatever its name: both are dropped here, with a warning that names the
    variable and never shows its value.
    """
    reported = []
    for name in names:
        if name not in environ:
            continue
        if secret_name(name):
            log.warning(
                "Environment variable %s not recorded in lineage: its name looks like a secret's",
                name,
            )
            continue
        kind = credential_kind(environ[name])
        if kind is not None:
            log.warning(
                "Environment variable %s not recorded in lineage: its value looks like a %s",
                name,
                kind,
            )
            continue
        reported.append((name, redact_credentials(environ[name])))
    return tuple(reported)


def allowed_environment(names: Iterable[str]) -> tuple[tuple[str, str], ...]:
    """The allow-listed variables set in this process, as ``reportable_environment`` lets them be.

    ``names`` is the ``environment_variables`` parameter of the fine-tuning hook and operator
    (the operator refused secret-looking names when the DAG was parsed).
    """
    return reportable_environment(names, os.environ)


def reportable_parameters(parameters: Mapping[str, Any]) -> dict[str, Any]:
    """A transformation step's parameters as lineage may carry them: with these rules, not Airflow's.

    Airflow's masker hides every value under a key that *contains* a sensitive word, so
    ``tokenizer`` and ``tokenizer_sha256`` (``token``) would become ``***``. Here a string under
    a key that ``secret_name`` refuses (``api_key``, ``password``, ``hf_token``; not
    ``tokenizer``) is masked, as is one that holds a credential (``credential_kind``), and any
    other string has its URL passwords and secret ``key=value`` pairs redacted. Numbers and
    booleans are kept, as Airflow keeps them. Values Airflow itself knows as secrets
    (connection passwords, sensitive Variables) are masked by the operators, which can ask it
    (``operators/emission.py``).
    """
    return {key: _reportable(value, secret_name(str(key)), 0) for key, value in parameters.items()}


def _reportable(value: Any, hidden: bool, depth: int) -> Any:
    if isinstance(value, str):
        if hidden or credential_kind(value) is not None:
            return MASK
        return redact_credentials(value)
    if depth >= 20:  # deeper than any parameter this provider writes: nothing below is shown
        return MASK
    if isinstance(value, Mapping):
        return {
            key: _reportable(item, hidden or secret_name(str(key)), depth + 1)
            for key, item in value.items()
        }
    if isinstance(value, (list, tuple)):
        return [_reportable(item, hidden, depth + 1) for item in value]
    return value
