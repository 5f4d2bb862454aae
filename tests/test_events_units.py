"""One set of unit formatters: money as a plain decimal everywhere, the two size registers.

The Lineage tab showed a fine-tuning run's cost as ``1.9e-05 USD`` where the command line
printed ``0.000019``; both now write money through ``events/units.py``.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from llm_lineage.events import units
from llm_lineage.plugins.render import page
from llm_lineage.plugins.store import TaskReport
from llm_lineage.plugins.task_view import task_view
from report_fixtures import cli

EVENTS = Path(__file__).parent / "datahub_pipeline_events.jsonl"


@pytest.mark.parametrize(
    ("value", "written"),
    [
        (1.9e-05, "0.000019"),
        (1.834567e-05, "0.0000183457"),
        (0.005345, "0.005345"),
        (12.0, "12"),
        (1234567.0, "1234570"),
        (0, "0"),
        (2.5e-12, "0.0000000000025"),
    ],
)
def test_money_is_six_significant_digits_written_without_an_exponent(
    value: float, written: str
) -> None:
    assert units.amount(value, "USD") == f"{written} USD"
    assert "e" not in units.amount(value)


def test_money_of_several_currencies_and_of_values_that_are_not_numbers() -> None:
    assert units.money({"USD": 1.9e-05, "EUR": 1.2}) == "1.2 EUR + 0.000019 USD"
    assert units.money({}) == "-"
    assert units.amount("cheap", "USD") == "cheap USD"
    assert units.amount(float("nan")) == "nan" and units.amount(None) == ""


def test_sizes_and_times_in_both_registers() -> None:
    assert (units.size(None), units.size(1000), units.size(1536)) == ("-", "1,000 B", "1.5 KiB")
    assert units.size_exact(1536) == "1,536 bytes (1.5 KiB)"
    assert units.size_exact(12) == "12 bytes" and units.size_exact("big") == "big"
    assert units.size(3 * 1024**5) == "3.0 PiB"
    assert (units.seconds(1.234), units.seconds(150.0)) == ("1.23 s", "150 s")
    assert (units.duration(1.234), units.duration(125), units.duration(7322)) == (
        "1.23 s",
        "2 min 5 s",
        "2 h 2 min",
    )
    assert units.cut("a" * 20) == "a" * 16 + "…" and units.short("a" * 20) == "a" * 16


def test_the_lineage_tab_shows_the_cost_as_a_plain_decimal() -> None:
    usage = {"wallSeconds": 0.7, "cpuSeconds": 0.6, "estimatedCost": 1.9e-05, "currency": "USD"}
    usage["costPerHour"] = 0.1
    document = {
        "documentVersion": 1,
        "eventType": "COMPLETE",
        "inputs": [],
        "outputs": [],
        "run": {"facets": {"llmLineage_resourceUsage": usage}},
    }
    report = TaskReport("t", -1, "success", "Op", None, None, document)
    html = bytes(page("task.html", view=task_view("d", "r", report)).body).decode()
    assert "<th>estimated cost</th><td>0.000019 USD</td>" in html
    assert "<th>price per device-hour</th><td>0.1 USD</td>" in html
    shown = html[: html.rindex("<pre")]  # the raw document after it keeps the JSON as stored
    assert not re.search(r"\de-\d", shown)


def test_the_command_line_and_the_html_report_write_the_same_cost(tmp_path: Path) -> None:
    """The pipeline's fine-tuning cost 1.4e-05 USD: written alike in text and HTML."""
    page_path = tmp_path / "cost.html"
    status, text = cli("cost", "--events", str(EVENTS), "--html", str(page_path))
    assert status == 0
    html = page_path.read_text()
    assert "0.000014 USD" in html and not re.search(r"\de-\d", html)
    status, text = cli("cost", "--events", str(EVENTS))
    assert status == 0 and "0.000014 USD" in text and "1.4e-05" not in text
