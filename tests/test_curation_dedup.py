"""Duplicates (curation/dedup.py): exact and near (datasketch MinHash LSH), earliest kept."""

from __future__ import annotations

from curation_fixtures import BREAD, COMETS, RIVERS, RIVERS_EDITED
from llm_lineage.curation import CurationSettings
from llm_lineage.curation.dedup import Deduplicator, shingles


def indexed(settings: CurationSettings, *documents: tuple[str, str]) -> Deduplicator:
    dedup = Deduplicator(settings)
    for doc_id, text in documents:
        dedup.add(doc_id, text, dedup.signature(text))
    return dedup


def test_small_edits_are_near_duplicates_at_the_default_threshold() -> None:
    dedup = indexed(CurationSettings(), ("rivers", RIVERS), ("bread", BREAD))
    found = dedup.find(RIVERS_EDITED, dedup.signature(RIVERS_EDITED))
    assert found is not None and found.reason == "near_duplicate" and found.of == "rivers"
    assert 0.7 <= found.similarity < 1.0
    assert dedup.find(COMETS, dedup.signature(COMETS)) is None


def test_exact_copies_ignore_whitespace_only() -> None:
    dedup = indexed(CurationSettings(), ("bread", BREAD))
    spaced = "  " + BREAD.replace(" ", "\n", 3) + "\n"
    found = dedup.find(spaced, dedup.signature(spaced))
    assert found is not None and (found.reason, found.of, found.similarity) == (
        "exact_duplicate",
        "bread",
        1.0,
    )


def test_the_earliest_of_several_matches_is_named() -> None:
    first = RIVERS.replace("clear water", "clean water")
    dedup = indexed(CurationSettings(), ("first", first), ("second", RIVERS))
    found = dedup.find(RIVERS + " ", dedup.signature(RIVERS + " "))
    assert found is not None and found.of == "second"  # an exact copy beats a near one
    again = RIVERS.replace("its salmon", "its trout")
    found = dedup.find(again, dedup.signature(again))
    assert found is not None and found.of == "first"  # near both: the earlier one


def test_a_stricter_threshold_keeps_the_edited_copy() -> None:
    dedup = indexed(CurationSettings(jaccard_threshold=0.95), ("rivers", RIVERS))
    assert dedup.find(RIVERS_EDITED, dedup.signature(RIVERS_EDITED)) is None


def test_shingles() -> None:
    assert shingles("One, two! three four", 2) == {b"one two", b"two three", b"three four"}
    assert shingles("Short", 5) == {b"short"}
    assert shingles("... !!!", 5) == set()
