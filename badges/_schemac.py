"""A small JSON Schema (draft 2019-09 subset) compiler into Python closures.

Why: ``jsonschema`` needs 1-16 ms per OB credential with the purl schema (a ``oneOf`` on
every string), which would dominate verification.  This compiler turns a schema into a
tree of closures that answer *valid or not* in tens of microseconds; on failure the caller
asks ``jsonschema`` (the reference implementation) to confirm and describe the error.
Semantics follow ``jsonschema``'s ``Draft201909Validator`` without a format checker
(``format`` is an annotation).  The tests check the two agree on every reference
credential and on thousands of mutations of them.

Speed comes from two static analyses done once at compile time:

* ``admits`` – the Python types a sub-schema can possibly accept, so ``oneOf``/``anyOf``
  only evaluate branches that could match the instance's type;
* ``trivial`` – the Python types a sub-schema accepts *unconditionally* (e.g.
  ``{"type": "string"}``), so containers skip calling it for such members.

Supported keywords: type, enum, const, pattern, minLength, maxLength, minItems, maxItems,
minProperties, maxProperties, required, properties, additionalProperties, propertyNames,
items (schema or array), additionalItems, contains, allOf, anyOf, oneOf, not, $ref (local
JSON pointers) and boolean schemas.  Anything else raises :class:`UnsupportedSchema` at
compile time, so the caller can fall back to ``jsonschema``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any, NamedTuple

Check = Callable[[Any], bool]

_ANNOTATIONS = frozenset(
    {
        "$schema",
        "$id",
        "$comment",
        "title",
        "description",
        "examples",
        "default",
        "deprecated",
        "readOnly",
        "writeOnly",
        "format",
        "$defs",
        "definitions",
        "contentMediaType",
        "contentEncoding",
    }
)
_KEYWORDS = frozenset(
    {
        "type",
        "$ref",
        "enum",
        "const",
        "pattern",
        "minLength",
        "maxLength",
        "minItems",
        "maxItems",
        "items",
        "additionalItems",
        "contains",
        "required",
        "properties",
        "additionalProperties",
        "propertyNames",
        "minProperties",
        "maxProperties",
        "allOf",
        "anyOf",
        "oneOf",
        "not",
    }
)

_NONE = type(None)
# Python types that instances are dispatched on; floats (and anything else) go the slow way.
_DISPATCH: frozenset[type] = frozenset({dict, list, str, bool, _NONE, int})
_TYPE_NAMES: dict[str, frozenset[type]] = {
    "object": frozenset({dict}),
    "array": frozenset({list}),
    "string": frozenset({str}),
    "boolean": frozenset({bool}),
    "null": frozenset({_NONE}),
    "integer": frozenset({int, float}),
    "number": frozenset({int, float}),
}
_EMPTY: frozenset[type] = frozenset()
_FUSABLE = frozenset({"object", "array", "string"})


class UnsupportedSchema(Exception):
    """The schema uses a keyword this compiler does not implement."""


class Node(NamedTuple):
    """A compiled sub-schema."""

    check: Check
    #: Python types for which every instance is valid (exact ``type(x)`` match).
    trivial: frozenset[type]
    #: Python types that can possibly be valid (None = unknown).
    admits: frozenset[type] | None
    #: Per Python type, a cheaper check equivalent to ``check`` for values of that type
    #: (lets containers bypass a ``oneOf``/``anyOf`` layer).
    dispatch: Mapping[type, Check] = MappingProxyType({})


def _is_type(value: Any, name: str) -> bool:
    if name == "integer":
        if isinstance(value, bool):
            return False
        return isinstance(value, int) or (isinstance(value, float) and value.is_integer())
    if name == "number":
        return isinstance(value, int | float) and not isinstance(value, bool)
    if name == "boolean":
        return isinstance(value, bool)
    if name == "object":
        return isinstance(value, dict)
    if name == "array":
        return isinstance(value, list)
    if name == "string":
        return isinstance(value, str)
    if name == "null":
        return value is None
    raise UnsupportedSchema(f"type {name}")


def json_equal(a: Any, b: Any) -> bool:
    """JSON equality as jsonschema defines it (booleans are not numbers)."""
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if isinstance(a, str) or isinstance(b, str):
        return bool(a == b)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(json_equal(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(json_equal(a[k], b[k]) for k in a)
    if isinstance(a, list | dict) or isinstance(b, list | dict):
        return False
    return bool(a == b)


def _always(_: Any) -> bool:
    return True


def _never(_: Any) -> bool:
    return False


_NO_DISPATCH: Mapping[type, Check] = MappingProxyType({})
_ALWAYS = Node(_always, _DISPATCH, None)
_NEVER = Node(_never, _EMPTY, _EMPTY)


def _intersect(a: frozenset[type] | None, b: frozenset[type] | None) -> frozenset[type] | None:
    if a is None:
        return b
    if b is None:
        return a
    return a & b


class Compiler:
    """Compile one root schema; ``$ref`` pointers are resolved against that root."""

    def __init__(self, root: Mapping[str, Any]) -> None:
        self.root = root
        self._refs: dict[str, list[Node]] = {}

    def compile(self) -> Check:
        return self._compile(self.root).check

    # -- references ----------------------------------------------------------------
    def _resolve(self, ref: str) -> Any:
        if ref == "#":
            return self.root
        if not ref.startswith("#/"):
            raise UnsupportedSchema(f"$ref {ref}")
        node: Any = self.root
        for raw in ref[2:].split("/"):
            part = raw.replace("~1", "/").replace("~0", "~")
            if not isinstance(node, Mapping) or part not in node:
                raise UnsupportedSchema(f"$ref {ref}")
            node = node[part]
        return node

    def _ref(self, ref: str) -> Node:
        cell = self._refs.get(ref)
        if cell is None:
            cell = []
            self._refs[ref] = cell
            cell.append(self._compile(self._resolve(ref)))
        if cell:
            return cell[0]
        # Recursive reference still being compiled: bind late, assume nothing.
        late = cell

        def deferred(value: Any) -> bool:
            return late[0].check(value)

        return Node(deferred, _EMPTY, None)

    # -- main ----------------------------------------------------------------------
    def _compile(self, schema: Any) -> Node:
        if schema is True:
            return _ALWAYS
        if schema is False:
            return _NEVER
        if not isinstance(schema, Mapping):
            raise UnsupportedSchema("schema is not an object")
        keywords = set(schema) - _ANNOTATIONS
        unknown = keywords - _KEYWORDS
        if unknown:
            raise UnsupportedSchema(", ".join(sorted(unknown)))
        if keywords == {"$ref"}:
            return self._ref(schema["$ref"])
        if keywords in ({"oneOf"}, {"anyOf"}):
            key = "oneOf" if "oneOf" in keywords else "anyOf"
            return self._combinator(key, schema[key])
        checks: list[Check] = []
        admits: frozenset[type] | None = None
        trivial_parts: list[frozenset[type]] = []
        # A lone "type" of object/array/string is fused into that group's check (which then
        # rejects other types itself), saving one call per instance.
        declared = schema.get("type")
        fused = declared if isinstance(declared, str) and declared in _FUSABLE else None
        type_check: Check | None = None
        if "type" in schema:
            type_check, type_admits = self._type(schema["type"])
            admits = type_admits
            trivial_parts.append(type_admits & _DISPATCH)
            checks.append(type_check)
        if "$ref" in schema:
            node = self._ref(schema["$ref"])
            checks.append(node.check)
            admits = _intersect(admits, node.admits)
            trivial_parts.append(node.trivial)
        if "enum" in schema:
            check, enum_admits = self._enum(schema["enum"])
            checks.append(check)
            admits = _intersect(admits, enum_admits)
            trivial_parts.append(_EMPTY)
        if "const" in schema:
            const = schema["const"]
            checks.append(lambda v: json_equal(v, const))
            trivial_parts.append(_EMPTY)
        for name, builder in (
            ("string", self._string),
            ("array", self._array),
            ("object", self._object),
        ):
            part = builder(schema, fused == name)
            if part is not None:
                check, untouched = part
                if fused == name and type_check is not None:
                    # The strict group check also rejects other types: drop the type check.
                    checks.remove(type_check)
                    untouched = _EMPTY
                checks.append(check)
                trivial_parts.append(untouched)
        for key in ("allOf", "anyOf", "oneOf"):
            if key in schema:
                node = self._combinator(key, schema[key])
                checks.append(node.check)
                admits = _intersect(admits, node.admits)
                trivial_parts.append(node.trivial)
        if "not" in schema:
            inner = self._compile(schema["not"]).check
            checks.append(lambda v: not inner(v))
            trivial_parts.append(_EMPTY)
        trivial = _DISPATCH
        for trivial_part in trivial_parts:
            trivial = trivial & trivial_part
        if admits is not None:
            trivial = trivial & admits
        return Node(self._chain(checks), trivial, admits)

    @staticmethod
    def _chain(checks: list[Check]) -> Check:
        if not checks:
            return _always
        if len(checks) == 1:
            return checks[0]
        if len(checks) == 2:
            first, second = checks

            def both(value: Any) -> bool:
                return first(value) and second(value)

            return both
        frozen = tuple(checks)

        def every(value: Any) -> bool:
            for check in frozen:  # noqa: SIM110 - explicit loop is faster on the hot path
                if not check(value):
                    return False
            return True

        return every

    # -- keyword groups ------------------------------------------------------------
    def _type(self, declared: Any) -> tuple[Check, frozenset[type]]:
        names = [declared] if isinstance(declared, str) else declared
        if not isinstance(names, list) or not names:
            raise UnsupportedSchema("type")
        admits: frozenset[type] = _EMPTY
        for name in names:
            if name not in _TYPE_NAMES:
                raise UnsupportedSchema(f"type {name}")
            admits = admits | _TYPE_NAMES[name]
        if names == ["string"]:
            return (lambda v: isinstance(v, str)), admits
        if names == ["object"]:
            return (lambda v: isinstance(v, dict)), admits
        if names == ["array"]:
            return (lambda v: isinstance(v, list)), admits
        if names == ["boolean"]:
            return (lambda v: isinstance(v, bool)), admits
        frozen = tuple(names)
        # "integer" admits integral floats: keep the float case out of the trivial set.
        return (lambda v: any(_is_type(v, n) for n in frozen)), admits

    def _enum(self, values: Any) -> tuple[Check, frozenset[type] | None]:
        if not isinstance(values, list):
            raise UnsupportedSchema("enum")
        if all(isinstance(e, str) for e in values):
            allowed = frozenset(values)
            return (lambda v: isinstance(v, str) and v in allowed), frozenset({str})
        frozen = tuple(values)
        return (lambda v: any(json_equal(v, e) for e in frozen)), None

    def _string(
        self, schema: Mapping[str, Any], strict: bool = False
    ) -> tuple[Check, frozenset[type]] | None:
        parts: list[Check] = []
        if "pattern" in schema:
            search = re.compile(schema["pattern"]).search
            parts.append(lambda v: search(v) is not None)
        if "minLength" in schema:
            low = int(schema["minLength"])
            parts.append(lambda v: len(v) >= low)
        if "maxLength" in schema:
            high = int(schema["maxLength"])
            parts.append(lambda v: len(v) <= high)
        if not parts:
            return None
        frozen = tuple(parts)

        def string_check(value: Any) -> bool:
            if not isinstance(value, str):
                return not strict
            for part in frozen:  # noqa: SIM110 - explicit loop is faster on the hot path
                if not part(value):
                    return False
            return True

        return string_check, _DISPATCH - {str}

    def _array(
        self, schema: Mapping[str, Any], strict: bool = False
    ) -> tuple[Check, frozenset[type]] | None:
        keys = ("minItems", "maxItems", "items", "contains")
        if not any(k in schema for k in keys):
            return None
        low = int(schema.get("minItems", 0))
        high = int(schema["maxItems"]) if "maxItems" in schema else -1
        items = schema.get("items")
        positional: tuple[Node, ...] = ()
        extra: Node | None = None
        each: Node | None = None
        if isinstance(items, list):
            positional = tuple(self._compile(s) for s in items)
            if "additionalItems" in schema:
                extra = self._compile(schema["additionalItems"])
        elif items is not None:
            each = self._compile(items)
        contains = self._compile(schema["contains"]) if "contains" in schema else None
        contains_any = self._string_enum(schema.get("contains"))
        if contains_any is not None:
            contains = None  # handled by the set test below
        count = len(positional)

        def array_check(value: Any) -> bool:
            if not isinstance(value, list):
                return not strict
            size = len(value)
            if size < low or (high >= 0 and size > high):
                return False
            if each is not None:
                trivial, check, dispatch = each.trivial, each.check, each.dispatch
                for item in value:
                    kind = type(item)
                    if kind not in trivial and not dispatch.get(kind, check)(item):
                        return False
            elif positional:
                for node, item in zip(positional, value, strict=False):
                    if type(item) not in node.trivial and not node.check(item):
                        return False
                if extra is not None:
                    for item in value[count:]:
                        if type(item) not in extra.trivial and not extra.check(item):
                            return False
            if contains is not None:
                trivial, check = contains.trivial, contains.check
                for item in value:
                    if type(item) in trivial or check(item):
                        break
                else:
                    return False
            elif contains_any is not None:
                # "contains": {"enum": [strings]} -> a set test in C (hashable items only).
                for item in value:
                    if isinstance(item, str) and item in contains_any:
                        break
                else:
                    return False
            return True

        return array_check, _DISPATCH - {list}

    @staticmethod
    def _string_enum(schema: Any) -> frozenset[str] | None:
        """The allowed strings if ``schema`` is exactly ``{"enum": [str, ...]}``."""
        if not isinstance(schema, Mapping) or set(schema) - _ANNOTATIONS != {"enum"}:
            return None
        values = schema["enum"]
        if isinstance(values, list) and values and all(isinstance(v, str) for v in values):
            return frozenset(values)
        return None

    def _object(
        self, schema: Mapping[str, Any], strict: bool = False
    ) -> tuple[Check, frozenset[type]] | None:
        if "patternProperties" in schema:
            raise UnsupportedSchema("patternProperties")
        keys = (
            "required",
            "minProperties",
            "maxProperties",
            "properties",
            "additionalProperties",
            "propertyNames",
        )
        if not any(k in schema for k in keys):
            return None
        needed = tuple(schema.get("required", ()))
        low = int(schema.get("minProperties", 0))
        high = int(schema["maxProperties"]) if "maxProperties" in schema else -1
        props: dict[str, tuple[frozenset[type], Check, Mapping[type, Check]]] = {}
        for key, sub in schema.get("properties", {}).items():
            node = self._compile(sub)
            props[key] = (node.trivial, node.check, node.dispatch)
        additional = schema.get("additionalProperties", True)
        extra = None if additional is True else self._compile(additional)
        extra_entry: tuple[frozenset[type], Check, Mapping[type, Check]] = (
            (extra.trivial, extra.check, extra.dispatch)
            if extra is not None
            else (_DISPATCH, _always, _NO_DISPATCH)
        )
        check_members = bool(props) or extra is not None
        names = self._compile(schema["propertyNames"]).check if "propertyNames" in schema else None

        def object_check(value: Any) -> bool:
            if not isinstance(value, dict):
                return not strict
            for key in needed:
                if key not in value:
                    return False
            if low or high >= 0:
                size = len(value)
                if size < low or (high >= 0 and size > high):
                    return False
            if check_members:
                get = props.get
                for key, item in value.items():
                    trivial, check, dispatch = get(key, extra_entry)
                    kind = type(item)
                    if kind not in trivial and not dispatch.get(kind, check)(item):
                        return False
            if names is not None:
                for key in value:
                    if not names(key):
                        return False
            return True

        return object_check, _DISPATCH - {dict}

    def _combinator(self, key: str, subschemas: Any) -> Node:
        if not isinstance(subschemas, list) or not subschemas:
            raise UnsupportedSchema(key)
        nodes = [self._compile(s) for s in subschemas]
        if key == "allOf":
            checks = tuple(n.check for n in nodes)
            admits: frozenset[type] | None = None
            trivial = _DISPATCH
            for n in nodes:
                admits = _intersect(admits, n.admits)
                trivial = trivial & n.trivial
            return Node(lambda v: all(c(v) for c in checks), trivial, admits)
        union: frozenset[type] | None = _EMPTY
        for n in nodes:
            union = None if union is None or n.admits is None else union | n.admits
        table: dict[type, tuple[int, tuple[Check, ...]]] = {}
        trivial_types: set[type] = set()
        direct: dict[type, Check] = {}
        for pytype in _DISPATCH:
            always = sum(1 for n in nodes if pytype in n.trivial)
            candidates = [
                n
                for n in nodes
                if pytype not in n.trivial and (n.admits is None or pytype in n.admits)
            ]
            others = tuple(n.check for n in candidates)
            table[pytype] = (always, others)
            if key == "anyOf" and always:
                trivial_types.add(pytype)
            if key == "oneOf" and always == 1 and not others:
                trivial_types.add(pytype)
            if always == 0 and len(candidates) == 1:
                # Exactly one branch can match this type: validate with it directly.
                only = candidates[0]
                direct[pytype] = only.dispatch.get(pytype, only.check)
            elif always == 0 and not candidates or (key == "oneOf" and always > 1):
                direct[pytype] = _never
        everything = (0, tuple(n.check for n in nodes))
        if key == "anyOf":

            def any_of(value: Any) -> bool:
                always, candidates = table.get(type(value), everything)
                if always:
                    return True
                for check in candidates:  # noqa: SIM110 - explicit loop is faster on the hot path
                    if check(value):
                        return True
                return False

            return Node(any_of, frozenset(trivial_types), union, MappingProxyType(direct))

        def one_of(value: Any) -> bool:
            always, candidates = table.get(type(value), everything)
            if always > 1:
                return False
            matched = always == 1
            for check in candidates:
                if check(value):
                    if matched:
                        return False
                    matched = True
            return matched

        return Node(one_of, frozenset(trivial_types), union, MappingProxyType(direct))


def compile_schema(schema: Mapping[str, Any]) -> Check:
    """Compile ``schema`` into a predicate; raises :class:`UnsupportedSchema` if it cannot."""
    return Compiler(schema).compile()
