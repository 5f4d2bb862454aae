"""The commands the pages show exist as written.

Every ``llm-lineage ...`` line in a code block of README.md or a documentation page parses with
the command's own argument parser (an unknown subcommand or option fails, as it would for the
reader), and every ``make <target>`` in a shell block names a target of the Makefile. What the
commands then do is tested where the command is (``tests/test_cli_*.py``, ``tests/test_report_*.py``,
``tests/test_makefile.py``); the transport examples of docs/delivery.md are run by
``tests/test_transports_configs.py``.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

from llm_lineage.cli.main import parser

REPO = Path(__file__).resolve().parent.parent
PAGES = [REPO / "README.md", REPO / "CONTRIBUTING.md", *sorted((REPO / "docs").rglob("*.md"))]
_BLOCK = re.compile(r"^```([\w-]*)[ \t]*\n(.*?)^```[ \t]*$", re.S | re.M)
_SHELL = {"bash", "sh", "shell", "console", ""}


def blocks(page: Path) -> list[tuple[str, str]]:
    return _BLOCK.findall(page.read_text(encoding="utf-8"))


def command_lines(prefix: str) -> list[tuple[str, str]]:
    """(page, line) for each line of a code block that runs ``prefix``, comments dropped."""
    found = []
    for page in PAGES:
        for _, body in blocks(page):
            # a command continued with a trailing backslash is one line
            for line in re.sub(r"\\\n\s*", " ", body).splitlines():
                line = re.sub(r"^\$ ", "", line.strip())
                if line.startswith(prefix):
                    found.append((page.relative_to(REPO).as_posix(), line))
    return found


CLI_LINES = command_lines("llm-lineage ") + [
    (page, line.removeprefix("airflow ")) for page, line in command_lines("airflow llm-lineage ")
]
MAKE_TARGETS = sorted(
    {
        (page, word)
        for page, line in command_lines("make ")
        for word in shlex.split(line, comments=True)[1:]
        if "=" not in word and not word.startswith("-")
    }
)


def test_the_pages_show_commands() -> None:
    assert len(CLI_LINES) >= 8
    assert {target for _, target in MAKE_TARGETS} >= {"demo", "test", "lint", "docs-check"}


@pytest.mark.parametrize(("page", "line"), CLI_LINES, ids=[line for _, line in CLI_LINES])
def test_llm_lineage_command_parses(page: str, line: str) -> None:
    arguments = shlex.split(line, comments=True)[1:]
    try:
        parser().parse_args(arguments)
    except SystemExit as exit:  # argparse's way of refusing
        pytest.fail(f"{page}: `{line}` does not parse (exit {exit.code})")


@pytest.mark.parametrize(("page", "target"), MAKE_TARGETS)
def test_make_target_exists(page: str, target: str) -> None:
    makefile = (REPO / "Makefile").read_text()
    assert re.search(rf"^{re.escape(target)}:", makefile, re.M), f"{page}: make {target}"


def test_the_checks_refuse_what_does_not_exist() -> None:
    with pytest.raises(SystemExit):
        parser().parse_args(["replay", "--no-such-option"])
    assert not re.search(r"^nope:", (REPO / "Makefile").read_text(), re.M)
