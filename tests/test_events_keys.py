"""The one reader's facet keys and field paths, checked against the classes that write them.

``events/keys.py`` names facets and fields as text (the classes cost a second to import), so
these tests tie every name to its class: a custom facet's key is ``facet_key`` of its name and
its class is exported by ``llm_lineage.facets``, a standard facet's key is the one the
OpenLineage spec gives its class, and every field path any reader declared walks through the
attrs classes. A renamed field fails here, not as a blank cell in a page.
"""

from __future__ import annotations

import ast
import importlib
import importlib.util
import inspect
import json
import types
import typing
from pathlib import Path
from typing import Any

import attr
import pytest

from llm_lineage.events import keys

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src" / "llm_lineage"
SPEC = ROOT / "tests" / "openlineage_spec" / "facets"
#: The readers of our events: every module of theirs is imported so their fields are declared.
READERS = ("events", "report", "transports/datahub", "plugins")
#: Where a facet key may be spelled out: the facet classes, the builders, and this reader.
WRITERS = ("facets", "lineage", "events")


def _import_readers() -> None:
    for package in READERS:
        for path in sorted((SRC / package).glob("*.py")):
            parts = path.relative_to(SRC.parent).with_suffix("").parts
            importlib.import_module(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    spec = importlib.util.spec_from_file_location("llm_lineage_demo", ROOT / "scripts/demo.py")
    assert spec and spec.loader
    spec.loader.exec_module(importlib.util.module_from_spec(spec))


def _class(dotted: str) -> type[Any]:
    module, _, name = dotted.rpartition(".")
    found: type[Any] = getattr(importlib.import_module(module), name)
    return found


def _nested(annotation: Any) -> type[Any] | None:
    """The attrs class inside ``X``, ``X | None``, ``list[X]``; None when there is none."""
    if attr.has(annotation):
        return typing.cast(type[Any], annotation)
    for argument in typing.get_args(annotation):
        found = _nested(argument)
        if found is not None:
            return found
    return None


def _resolved(annotation: Any, owner: type[Any]) -> Any:
    """A field's annotation as a type (attrs keeps it as text under postponed evaluation)."""
    if not isinstance(annotation, str):
        return annotation
    return eval(annotation, vars(importlib.import_module(owner.__module__)))


def path_problem(field: keys.Field) -> str | None:
    """Why ``field``'s path does not exist on its facet's class, or None when it does."""
    cls: type[Any] | None = _class(field.facet.cls)
    for depth, name in enumerate(field.path):
        if cls is None:
            return f"{'.'.join(field.keys)}: {field.path[depth - 1]} holds no fields"
        found = {a.name: a.type for a in attr.fields(cls)}
        if name not in found:
            return f"{'.'.join(field.keys)}: {cls.__name__} has no field {name!r}"
        cls = _nested(_resolved(found[name], cls))
    return None


def test_every_custom_facet_class_has_one_key_named_as_facet_key_names_it() -> None:
    from llm_lineage import facets
    from llm_lineage.facets import facet_key

    exported = {
        name
        for name, value in vars(facets).items()
        if isinstance(value, type) and hasattr(value, "_get_schema") and name.endswith("Facet")
    }
    named = {_class(facet.cls).__name__ for facet in keys.CUSTOM}
    assert named == exported
    for facet in keys.CUSTOM:
        assert facet.custom and facet_key(facet.name) == facet.key
        assert _class(facet.cls).__name__.startswith("LlmLineage" + facet.name[0].upper())
    assert facet_key("") == keys.PREFIX


def _standard() -> list[keys.Facet]:
    return [
        value for value in vars(keys).values() if isinstance(value, keys.Facet) and not value.custom
    ]


@pytest.mark.parametrize("facet", _standard(), ids=lambda facet: facet.key)
def test_a_standard_facet_key_is_the_one_its_class_is_known_by(facet: keys.Facet) -> None:
    cls = _class(facet.cls)
    if cls.__module__.startswith("airflow."):  # the OpenLineage provider's own run facets
        from airflow.providers.openlineage.utils import utils

        assert f'"{facet.key}"' in inspect.getsource(utils)
        return
    schema = json.loads((SPEC / f"{cls.__name__}.json").read_text())
    refs = {key: value.get("$ref") for key, value in schema["properties"].items()}
    assert refs.get(facet.key) == f"#/$defs/{cls.__name__}"
    side = {"InputDatasetFacet": "inputFacets", "OutputDatasetFacet": "outputFacets"}
    base = next((side[b.__name__] for b in cls.__mro__ if b.__name__ in side), "facets")
    assert facet.side == base


def test_every_field_a_reader_declares_exists_on_its_facet_class() -> None:
    _import_readers()
    declared = keys.declared()
    problems = [problem for field in declared if (problem := path_problem(field))]
    assert not problems, "\n".join(problems)
    facets_read = {field.facet.key for field in declared}
    # The readers really declare through keys: the DataHub transport's training metrics, the
    # report's sizes, the demo's version (each module imported above).
    assert {keys.TRAINING.key, keys.RESOURCES.key, keys.ADAPTER.key, "outputStatistics"} <= (
        facets_read
    )
    assert len(declared) > 25


def test_the_check_fails_on_a_field_that_is_not_there() -> None:
    """The check above can fail: a misspelt field, a path into a scalar, a nested miss."""
    bad = [
        keys.Field(keys.TRAINING, ("lossFirst",)),
        keys.Field(keys.TRAINING, ("steps", "first")),
        keys.Field(keys.TRAINING, ("loss", "worst")),
        keys.Field(keys.VERSION, ("version",)),
    ]
    assert all(path_problem(field) for field in bad)
    good = [
        keys.Field(keys.TRAINING, ("loss", "bestStep")),
        keys.Field(keys.COLLECTION, ("formats", "documentCount")),
        keys.Field(keys.TAGS, ("tags", "key")),
    ]
    assert [path_problem(field) for field in good] == [None, None, None]


def _facet_literals(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(), str(path))
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }
    return [
        f"{path.relative_to(ROOT)}:{node.lineno} {node.value!r}"
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and id(node) not in docstrings
        and keys.PREFIX in node.value
    ]


def test_only_the_writers_and_the_reader_spell_out_a_custom_facet_key() -> None:
    """The plugin, the report, the transports, the command line and the demo name facets
    through ``events/keys.py``; a ``"llmLineage_..."`` string anywhere else is a second
    reader in the making."""
    files = [
        path for path in sorted(SRC.rglob("*.py")) if path.relative_to(SRC).parts[0] not in WRITERS
    ]
    found = [hit for path in [*files, ROOT / "scripts/demo.py"] for hit in _facet_literals(path)]
    assert not found, "\n".join(found)
    assert _facet_literals(SRC / "events" / "keys.py")  # the scan sees a literal where one is


def test_readers_get_a_facet_or_an_empty_dict_whatever_the_document_holds() -> None:
    dataset = {
        "facets": {keys.VERSION.key: {"datasetVersion": "abc"}, keys.TRAINING.key: [1]},
        "outputFacets": {"outputStatistics": {"rowCount": 3, "size": True}},
    }
    assert keys.VERSION.on(dataset) == {"datasetVersion": "abc"}
    assert keys.DATASET_VERSION.text(dataset["facets"]) == "abc"
    assert keys.TRAINING.on(dataset) == {} and keys.TRAINING.on("not a dataset") == {}
    rows = keys.OUTPUT_STATISTICS.field("rowCount")
    size = keys.OUTPUT_STATISTICS.field("size")
    facets = dataset["outputFacets"]
    assert (rows.integer(facets), size.integer(facets), size.number(facets)) == (3, None, None)
    assert isinstance(keys.TRAINING.fields("steps", "epochs"), tuple)
    assert types.SimpleNamespace(a=keys.COLLECTION.name).a == "documentCollection"
