"""``llm-lineage --help`` at every level lists each command with its one-line description, and a
configuration the commands cannot use is one line on stderr with exit 2, naming what to fix."""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from llm_lineage.cli.main import command_summaries, main, parser, subcommands

BIN = Path(sys.executable).parent
SPOOL_TYPE = "llm_lineage.transports.spool.SpoolTransport"


def _help(path: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    with pytest.raises(SystemExit) as done:
        main([*path, "--help"])
    assert done.value.code == 0
    return capsys.readouterr().out


def _tree(command: argparse.ArgumentParser, path: list[str]) -> list[list[str]]:
    """Every command path under ``command`` (``[]`` is the root)."""
    paths = [path]
    for name, sub in subcommands(command).items():
        paths += _tree(sub, [*path, name])
    return paths


def test_every_command_and_subcommand_is_listed_with_a_one_line_description(capsys) -> None:
    paths = _tree(parser(), [])
    # The whole tree, so that a new command is walked too and this list is not the only check.
    assert {" ".join(p) for p in paths} >= {
        "",
        "replay",
        "spool",
        "spool status",
        "report",
        "report trace",
        "report usage",
        "report cost",
        "report diff",
    }
    command = parser()
    for path in paths:
        node = command
        for name in path:
            node = subcommands(node)[name]
        text = _help(path, capsys)
        assert node.description and node.description.split()[0] in text, (path, text)
        lines = text.splitlines()
        for name in subcommands(node):
            # "    name      description", on one line with its description
            listed = [line for line in lines if line.split()[:1] == [name]]
            assert len(listed) == 1, (path, name, text)
            description = listed[0].split(None, 1)[1:]
            assert description and len(description[0]) > 10, (path, name, text)


def _cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BIN / "llm-lineage"), *args],
        capture_output=True,
        text=True,
        env={**os.environ, **env},
        timeout=120,
    )


def _one_error_line(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr and result.stderr.count("\n") == 1, result.stderr
    assert result.stdout == ""
    assert result.stderr.startswith("llm-lineage: error: ")
    return result.stderr


@pytest.mark.parametrize("command", [["spool", "status"], ["replay"]])
@pytest.mark.parametrize(
    ("configured", "expected"),
    [
        ('{"type": "file", ', "Unable to parse [openlineage] 'transport' as valid json"),
        (
            {"type": "htp", "url": "http://127.0.0.1:9"},
            "unknown transport type 'htp' (did you mean 'http'?); known types: ",
        ),
        (
            {"type": SPOOL_TYPE.replace("Spool", "spool"), "directory": "{spool}"},
            f"(did you mean {SPOOL_TYPE!r}?)",
        ),
        (
            {"type": SPOOL_TYPE, "directory": "{spool}", "transport": {"type": "kafak"}},
            "unknown transport type 'kafak' (did you mean 'kafka'?)",
        ),
        (
            {"type": SPOOL_TYPE, "directory": "{spool}", "transport": {"type": "console"}, "x": 1},
            "'x'",  # the settings' own wording names the key
        ),
        (
            {
                "type": SPOOL_TYPE,
                "directory": "{spool}",
                "transport": {"type": "console"},
                "max_bytes": "lots",
            },
            "max_bytes",
        ),
    ],
    ids=["not-json", "type-typo", "spool-type-typo", "inner-typo", "unknown-key", "bad-size"],
)
def test_a_configuration_error_is_one_line_naming_the_fix(
    tmp_path: Path, command: list[str], configured: object, expected: str
) -> None:
    (tmp_path / "spool").mkdir()
    text = configured if isinstance(configured, str) else json.dumps(configured)
    text = text.replace("{spool}", str(tmp_path / "spool"))
    result = _cli(*command, env={"AIRFLOW__OPENLINEAGE__TRANSPORT": text})
    assert expected in _one_error_line(result)


def test_a_transport_option_typo_names_the_known_types(tmp_path: Path) -> None:
    result = _cli("replay", "--spool", str(tmp_path), "--transport", '{"type": "fiel"}', env={})
    message = _one_error_line(result)
    assert "--transport: unknown transport type 'fiel' (did you mean 'file'?)" in message
    assert "http" in message and SPOOL_TYPE in message


def test_the_cli_page_lists_every_command_with_its_help_line() -> None:
    """docs/cli.md's table is the tree: each command with the description ``--help`` shows."""
    page = (Path(__file__).parent.parent / "docs" / "cli.md").read_text()
    rows = {line for line in page.splitlines() if line.startswith("| `llm-lineage ")}
    expected = set()

    def walk(command: argparse.ArgumentParser, path: list[str]) -> None:
        for name, summary in command_summaries(command).items():
            expected.add(f"| `llm-lineage {' '.join([*path, name])}` | {summary} |")
            walk(subcommands(command)[name], [*path, name])

    walk(parser(), [])
    assert rows == expected
