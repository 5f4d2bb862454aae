"""A source's declaration (lineage/declaration.py): read from a dict or a YAML file, checked
field by field with errors that name the file and the field, given to the extraction operator
and hook (checked when the DAG is parsed), and carried in the document-collection facet and the
Parquet footers of the text and manifest."""

from __future__ import annotations

from pathlib import Path

import pytest

from llm_lineage.extraction import ExtractionSettings
from llm_lineage.facets import facet_key
from llm_lineage.lineage.declaration import (
    DECLARATION_KEY,
    MAX_FILE_BYTES,
    DeclarationError,
    SourceDeclaration,
    SourceKind,
    footer_declaration,
    load_declaration,
    load_declarations,
)
from llm_lineage.lineage.extraction import ExtractionPlan
from llm_lineage.lineage.extraction_collection import declaration_facet, source_dataset

GOOD = {
    "kind": "public_dataset",
    "licence": "CC-BY-4.0",
    "opt_out_respected": True,
    "public_name": "Handbook",
}


def test_a_dict_and_a_yaml_file_give_the_same_declaration(tmp_path: Path) -> None:
    path = tmp_path / "source.yaml"
    path.write_text(
        "kind: public_dataset\nlicence: CC-BY-4.0\nopt_out_respected: true\npublic_name: Handbook\n"
    )
    from_file, from_dict = load_declaration(path), load_declaration(GOOD)
    assert from_file == from_dict
    assert from_file.kind is SourceKind.PUBLIC_DATASET and from_file.opt_out_respected is True
    assert load_declaration({**GOOD, "opt_out_respected": None}).opt_out_respected is None


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"kind": "scraped-ish"}, "kind"),
        ({"licence": ""}, "licence"),
        ({"opt_out_respected": "maybe"}, "opt_out_respected"),
        ({"public_name": None}, "public_name"),
        ({"colour": "blue"}, "colour"),
    ],
)
def test_a_wrong_field_is_named(change: dict[str, object], field: str) -> None:
    with pytest.raises(DeclarationError, match=f"field '{field}'"):
        load_declaration({**GOOD, **change})


def test_bad_files_are_named(tmp_path: Path) -> None:
    missing = tmp_path / "missing.yaml"
    with pytest.raises(DeclarationError, match=f"cannot read {missing}"):
        load_declaration(missing)
    broken = tmp_path / "broken.yaml"
    broken.write_text("kind: [unclosed\n")
    with pytest.raises(DeclarationError, match=f"{broken}: not a YAML file"):
        load_declaration(broken)
    huge = tmp_path / "huge.yaml"
    huge.write_text("x" * (MAX_FILE_BYTES + 1))
    with pytest.raises(DeclarationError, match="larger than"):
        load_declaration(huge)
    listed = tmp_path / "list.yaml"
    listed.write_text("- kind: other\n")
    with pytest.raises(DeclarationError, match=f"{listed}: a declaration is a mapping"):
        load_declaration(listed)


def test_a_file_of_declarations_by_source_names_the_wrong_source(tmp_path: Path) -> None:
    path = tmp_path / "sources.yaml"
    path.write_text(
        "s3://corpus/a:\n  kind: crawled\n  licence: unknown\n  public_name: A\n"
        "s3://corpus/b:\n  kind: crawled\n  licence: MIT\n"
    )
    with pytest.raises(DeclarationError, match="source 's3://corpus/b': field 'public_name'"):
        load_declarations(path)
    path.write_text("s3://corpus/a:\n  kind: crawled\n  licence: unknown\n  public_name: A\n")
    assert load_declarations(path)["s3://corpus/a"].kind is SourceKind.CRAWLED


def test_the_footer_carries_the_declaration_and_reads_back() -> None:
    declaration = load_declaration(GOOD)
    footer = {key.encode(): value.encode() for key, value in declaration.as_footer().items()}
    assert list(footer) == [DECLARATION_KEY.encode()]
    assert footer_declaration(footer) == declaration
    assert footer_declaration({DECLARATION_KEY.encode(): b"{not json"}) is None
    assert footer_declaration(None) is None


def test_the_collection_facet_carries_it_only_when_declared() -> None:
    declaration = load_declaration(GOOD)
    facet = declaration_facet(declaration)
    assert facet is not None
    assert (facet.kind, facet.licence, facet.publicName, facet.optOutRespected) == (
        "public_dataset",
        "CC-BY-4.0",
        "Handbook",
        True,
    )
    assert declaration_facet(None) is None
    plan = ExtractionPlan(
        source="/in", text="/out/text.parquet", manifest="/out/manifest.parquet",
        settings=ExtractionSettings(), declaration=declaration,
    )  # fmt: skip
    assert facet_key("documentCollection") not in source_dataset(plan).facets  # no result yet


def test_the_operator_checks_it_when_the_dag_is_parsed(tmp_path: Path) -> None:
    from llm_lineage.operators.extraction import DocumentExtractionOperator
    from llm_lineage.operators.validation import InvalidParameterError

    def operator(declaration: object) -> DocumentExtractionOperator:
        return DocumentExtractionOperator(
            task_id="extract", source="/in", destination="/out", source_declaration=declaration
        )  # type: ignore[arg-type]

    assert operator(GOOD).source_declaration == SourceDeclaration(**GOOD)  # type: ignore[arg-type]
    assert operator(None).source_declaration is None
    with pytest.raises(InvalidParameterError, match=r"parameter 'source_declaration'.*'kind'") as e:
        operator({**GOOD, "kind": "bogus"})
    assert "task_id='extract'" in str(e.value)
    with pytest.raises(InvalidParameterError, match=f"source_declaration': cannot read {tmp_path}"):
        operator(str(tmp_path / "none.yaml"))
    with pytest.raises(InvalidParameterError, match="must be a dict or a YAML file's path"):
        operator(42)


def test_the_hook_takes_it_too(tmp_path: Path) -> None:
    from llm_lineage.hooks.extraction import DocumentExtractionHook

    hook = DocumentExtractionHook(hook_lineage=False)
    plan = hook.plan(tmp_path, tmp_path / "out", source_declaration=GOOD)
    assert plan.declaration == SourceDeclaration(**GOOD)  # type: ignore[arg-type]
    with pytest.raises(DeclarationError, match=r"parameter 'source_declaration'.*'kind'"):
        hook.plan(tmp_path, tmp_path / "out", source_declaration={**GOOD, "kind": "x"})
