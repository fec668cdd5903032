"""The compiled schema validator must agree with jsonschema (the reference implementation)."""

from __future__ import annotations

import copy
import json
import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from badges import schema
from badges._schemac import UnsupportedSchema, compile_schema
from tests.badges import helpers as h
from tests.conftest import needs_reference

EXAMPLE_FILES = sorted(
    p for p in h.EXAMPLES.rglob("*") if p.is_file() and p.suffix == ".json" or p.name == "testlist"
)
VARIANTS = ["purl", "purl-endorsement", "strict"]


def _load(path: Path) -> Any:
    return json.loads(path.read_text("utf-8"))


@needs_reference
@pytest.mark.parametrize("variant", VARIANTS)
def test_agrees_with_jsonschema_on_every_reference_document(variant: str) -> None:
    fast = schema._fast(variant)
    reference = schema._jsonschema_validator(variant)
    documents = [_load(p) for p in EXAMPLE_FILES] + [h.build(), h.build(valid_until=h.FIXED_NOW)]
    assert len(documents) > 40
    for document in documents:
        assert fast(document) == reference.is_valid(document)


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    yield prefix
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _paths(value, (*prefix, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _paths(value, (*prefix, index))


REPLACEMENTS: list[Any] = [
    None,
    True,
    0,
    1.5,
    "",
    "x",
    "Profile",
    [],
    ["x"],
    {},
    {"en": "x"},
    {"type": "x"},
]


def _mutations(document: Any, rng: random.Random, count: int) -> Iterator[Any]:
    paths = [p for p in _paths(document) if p]
    for _ in range(count):
        path = rng.choice(paths)
        mutated = copy.deepcopy(document)
        parent = mutated
        for key in path[:-1]:
            parent = parent[key]
        last = path[-1]
        action = rng.random()
        if action < 0.25 and isinstance(parent, dict):
            del parent[last]
        elif action < 0.4:
            value = parent[last]
            parent[last] = value[0] if isinstance(value, list) and value else [value]
        else:
            parent[last] = copy.deepcopy(rng.choice(REPLACEMENTS))
        yield mutated


@pytest.mark.parametrize("variant", ["purl", "strict"])
def test_agrees_with_jsonschema_on_mutations(variant: str) -> None:
    rng = random.Random(f"schema-{variant}")  # noqa: S311 - deterministic test data
    fast = schema._fast(variant)
    reference = schema._jsonschema_validator(variant)
    sources = [
        h.build(previous_credential_id=h.PREVIOUS_ID),
        _load(h.EXAMPLES / "validator-ob30" / "simple.json"),
        _load(h.EXAMPLES / "spec-1.0.14" / "achievement-alignment-case.credential.json"),
        _load(h.EXAMPLES / "spec-1.0.14" / "skill-assertion-case.credential.json"),
    ]
    disagreements = []
    checked = 0
    for source in sources:
        for mutated in _mutations(source, rng, 150):
            checked += 1
            if fast(mutated) != reference.is_valid(mutated):
                disagreements.append(json.dumps(mutated, ensure_ascii=False)[:300])
    assert checked == 600
    assert disagreements == []


def test_validate_reports_readable_errors() -> None:
    broken = h.build()
    broken["credentialSubject"]["achievement"]["type"] = ["Badge"]
    errors = schema.validate(broken, "strict")
    assert errors and "credentialSubject/achievement/type" in errors[0]
    assert schema.validate(h.build(), "strict") == []
    assert schema.is_valid(h.build(), "purl")


@pytest.mark.parametrize(
    "bad",
    [
        {"patternProperties": {}},
        {"if": {}},
        {"$ref": "https://example.com/remote.json"},
        {"$ref": "#/$defs/missing"},
        {"type": "float"},
        {"unevaluatedProperties": False},
    ],
)
def test_unsupported_keywords_raise_at_compile_time(bad: dict[str, Any]) -> None:
    with pytest.raises(UnsupportedSchema):
        compile_schema(bad)


@pytest.mark.parametrize(
    ("schema_doc", "good", "bad"),
    [
        ({"type": "integer"}, [1, 2.0, -3], [True, 1.5, "1"]),
        ({"enum": [1, "a"]}, [1, 1.0, "a"], [True, "b"]),
        ({"const": False}, [False], [0, None]),
        ({"oneOf": [{"type": "integer"}, {"type": "number"}]}, [1.5], [1, 2.0]),
        ({"anyOf": [{"type": "string"}, {"minimum": 0}]}, ["x"], []),
        ({"not": {"type": "string"}}, [1, None], ["x"]),
        ({"items": [{"type": "string"}], "additionalItems": False}, [[], ["a"]], [["a", "b"], [1]]),
        ({"contains": {"const": 1}, "minItems": 2}, [[0, 1]], [[1], [0, 0]]),
        (
            {
                "properties": {"a": {"type": "string"}},
                "required": ["a"],
                "additionalProperties": False,
            },
            [{"a": "x"}],
            [{}, {"a": 1}, {"a": "x", "b": 1}],
        ),
        (
            {"propertyNames": {"pattern": "^[a-z]+$"}, "maxProperties": 1},
            [{"ab": 1}],
            [{"A": 1}, {"a": 1, "b": 2}],
        ),
        ({"type": "string", "minLength": 2, "maxLength": 3}, ["ab", "日本"], ["a", "abcd", 12]),
    ],
)
def test_keyword_semantics_match_jsonschema(
    schema_doc: dict[str, Any], good: list[Any], bad: list[Any]
) -> None:
    import jsonschema

    if "minimum" in json.dumps(schema_doc):
        with pytest.raises(UnsupportedSchema):
            compile_schema(schema_doc)
        return
    check = compile_schema(schema_doc)
    reference = jsonschema.Draft201909Validator(schema_doc)
    for value in good:
        assert check(value) and reference.is_valid(value), value
    for value in bad:
        assert not check(value) and not reference.is_valid(value), value


def test_typed_fast_path_equals_schema_plus_type_probe() -> None:
    from badges import verify

    documents = [_load(p) for p in EXAMPLE_FILES] + [h.build()]
    mismatches = []
    for document in documents:
        if not isinstance(document, dict):
            continue
        endorsement = "EndorsementCredential" in verify._as_list(document.get("type"))
        variant = "purl-endorsement" if endorsement else "purl"
        rules = verify._ENDORSEMENT if endorsement else verify._CREDENTIAL
        expected = schema._jsonschema_validator(variant).is_valid(document) and (
            verify._type_violation(document, rules) is None
        )
        if schema.is_valid_typed(document, variant) != expected:
            mismatches.append(document.get("id"))
    assert mismatches == []


def test_tighten_types_only_touches_open_type_branches() -> None:
    original = schema.load_schema("purl")
    tightened = schema.tighten_types(original)
    changed = sorted(
        name
        for name, definition in original["$defs"].items()
        if definition != tightened["$defs"][name]
    )
    assert changed == [
        "Achievement",
        "AchievementSubject",
        "Address",
        "Alignment",
        "EndorsementSubject",
        "Evidence",
        "Profile",
        "Related",
        "Result",
        "ResultDescription",
        "RubricCriterionLevel",
    ]
    assert original == schema.load_schema("purl")  # the cached original is not mutated
