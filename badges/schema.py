"""Vendored OB 3.0 JSON Schemas, compiled once per process.

Variants (files in ``badges/schemas/``, see its SOURCES.md):

* ``"purl"`` – AchievementCredential schema as served at purl.imsglobal.org in 2025/26
  (JSON-LD compaction tolerant); used for incoming credentials.
* ``"purl-endorsement"`` – the EndorsementCredential counterpart.
* ``"strict"`` – the 2024-09 formal schema (arrays required); used on what we build.
"""

from __future__ import annotations

import copy
import json
from functools import cache
from importlib import resources
from typing import Any, Literal

from badges._schemac import Check, UnsupportedSchema, compile_schema

__all__ = [
    "SCHEMA_FILES",
    "SchemaVariant",
    "is_valid",
    "is_valid_typed",
    "load_schema",
    "tighten_types",
    "validate",
]

SchemaVariant = Literal["purl", "purl-endorsement", "strict"]

SCHEMA_FILES: dict[str, str] = {
    "purl": "purl-json-2026_ob_v3p0_achievementcredential_schema.json",
    "purl-endorsement": "purl-json-2026_ob_v3p0_endorsementcredential_schema.json",
    "strict": "strict-2024-09_ob_v3p0_achievementcredential_schema.json",
}


@cache
def load_schema(variant: str) -> dict[str, Any]:
    """Parsed schema document for ``variant`` (read from the package, cached)."""
    name = SCHEMA_FILES[variant]
    text = resources.files("badges").joinpath("schemas", name).read_text(encoding="utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


@cache
def _jsonschema_validator(variant: str) -> Any:
    import jsonschema

    return jsonschema.Draft201909Validator(load_schema(variant))


@cache
def _fast(variant: str) -> Check:
    try:
        return compile_schema(load_schema(variant))
    except UnsupportedSchema:  # pragma: no cover - vendored schemas are supported
        validator = _jsonschema_validator(variant)
        is_valid: Check = validator.is_valid
        return is_valid


def is_valid(instance: Any, variant: SchemaVariant = "purl") -> bool:
    """Fast yes/no validation against a vendored schema (compiled closures)."""
    return _fast(variant)(instance) or not validate(instance, variant, limit=1)


def validate(instance: Any, variant: SchemaVariant = "purl", limit: int = 5) -> list[str]:
    """Return up to ``limit`` human-readable schema errors (empty list = valid).

    The fast compiled check runs first; ``jsonschema`` (the reference implementation) is
    consulted only when it fails, to confirm and describe the failure.
    """
    if _fast(variant)(instance):
        return []
    from jsonschema.exceptions import best_match

    validator = _jsonschema_validator(variant)
    errors = list(validator.iter_errors(instance))
    if not errors:  # pragma: no cover - compiler stricter than jsonschema: trust jsonschema
        return []
    first = best_match(errors)
    ordered = [first] + [e for e in errors if e is not first]
    out: list[str] = []
    for error in ordered[:limit]:
        path = "/".join(str(p) for p in error.absolute_path) or "(root)"
        out.append(f"{path}: {error.message[:200]}")
    return out


def tighten_types(schema: dict[str, Any]) -> dict[str, Any]:
    """Copy of ``schema`` where nested objects must carry their own class in ``type``.

    In the purl (compaction-tolerant) schema a single-string ``type`` of e.g. ``Evidence``
    or ``Profile`` may be *any* string; only the array form must contain the class name.
    This rewrites, in every ``$defs`` entry whose array form requires ``contains: {enum:
    [Name]}``, the single-value branch to ``{"enum": [Name]}``, which is what the 1EdTech
    validator's type probe enforces.  Used only as a fast pre-check: error messages always
    come from the unmodified schema or from the verifier's own type probe.
    """
    out: dict[str, Any] = copy.deepcopy(schema)
    for name, definition in out.get("$defs", {}).items():
        declared = definition.get("properties", {}).get("type")
        branches = declared.get("oneOf") if isinstance(declared, dict) else None
        if not isinstance(branches, list) or len(branches) != 2:
            continue
        arrays = [b for b in branches if b.get("type") == "array"]
        if len(arrays) != 1 or arrays[0].get("contains") != {"enum": [name]}:
            continue
        single = next(b for b in branches if b is not arrays[0])
        if set(single) - {"description", "$comment"} != {"oneOf"}:
            continue  # already a closed enum
        declared["oneOf"] = [{"enum": [name]}, arrays[0]]
    return out


@cache
def _fast_typed(variant: str) -> Check:
    return compile_schema(tighten_types(load_schema(variant)))


def is_valid_typed(instance: Any, variant: SchemaVariant = "purl") -> bool:
    """True if ``instance`` passes the schema *and* the nested ``type`` rules in one pass.

    A fast path only: False means "run the detailed checks", never "this is the reason".
    """
    return bool(_fast_typed(variant)(instance))
