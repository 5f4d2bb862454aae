"""What the report left out of the input, counted, so that bad input is visible but never fatal."""

from __future__ import annotations

from dataclasses import asdict, dataclass

_LABELS = {
    "bad_json": "lines or files that are not valid JSON (truncated?)",
    "not_run_events": "records that are not run events",
    "malformed": "run events or datasets missing a required field",
    "other_producers": "events from other producers",
    "unknown_facets": "unknown or malformed llmLineage facets",
    "unreadable_files": "files that could not be read",
    "too_deep": "lines or values nested too deeply (values read as missing)",
    "out_of_range_times": "events whose time is out of range",
    "out_of_range_numbers": "numbers out of range (beyond 2**63 or not finite; read as missing)",
}


@dataclass
class Tally:
    """Counts of skipped input; ``records`` counts everything read, used or not."""

    records: int = 0
    bad_json: int = 0
    not_run_events: int = 0
    malformed: int = 0
    other_producers: int = 0
    unknown_facets: int = 0
    unreadable_files: int = 0
    too_deep: int = 0
    out_of_range_times: int = 0
    out_of_range_numbers: int = 0

    def as_dict(self) -> dict[str, int]:
        return asdict(self)

    def skipped(self) -> list[str]:
        """One phrase per non-zero count, for the text and HTML reports."""
        return [
            f"{count:,} {label}"
            for key, label in _LABELS.items()
            if (count := getattr(self, key)) > 0
        ]
