"""A small JSON Schema (draft 2019-09 subset) compiler into Python closures.

Why: ``jsonschema`` needs 1-16 ms per OB credential with the purl schema (a ``oneOf`` on
every string), which would dominate verification.  This compiler turns a schema into a
tree of closures that answer *valid or not* in tens of microseconds; on failure the caller
asks ``jsonschema`` (the reference implementation) to confirm and describe the error.
Semantics follow ``jsonschema``'s ``Draft201909Validator`` without a format checker
(``format`` is an annotation).  The tests check the two agree on every reference
credential and on thousands of mutations of them.

Speed comes from static analyses done once at compile time:

* ``admits`` – the Python types a sub-schema can possibly accept, so ``oneOf``/``anyOf``
  only evaluate branches that could match the instance's type;
* ``trivial`` – the Python types a sub-schema accepts *unconditionally* (e.g.
  ``{"type": "string"}``), so containers skip calling it for such members;
* ``dispatch`` – per Python type, the cheapest equivalent check for values of exactly that
  type: it skips the ``isinstance`` tests and combinator layers that cannot matter, and
  for string leaves it is a C callable (``frozenset.__contains__`` for an enum,
  ``Pattern.search`` for a pattern), so such a member costs no Python frame at all.

Containers look members up in per-property *member tables* (exact Python type -> ``None``
for "always valid", or the dispatched check), so a member costs one dict lookup by key,
one by type and at most one call.  Types the tables do not list (anything ``json.loads``
does not produce, e.g. ``str`` subclasses) and property names the schema does not list
make that container fall back to the general checks, so results never depend on the fast
path (an object with unlisted members is simply checked the slow way).

Internally a check answers with any truthy/falsy value (``Pattern.search`` returns a match
or None); :func:`compile_schema` returns a predicate that answers a strict ``bool``.

Supported keywords: type, enum, const, pattern, minLength, maxLength, minItems, maxItems,
minProperties, maxProperties, required, properties, additionalProperties, propertyNames,
items (schema or array), additionalItems, contains, allOf, anyOf, oneOf, not, $ref (local
JSON pointers) and boolean schemas.  Anything else raises :class:`UnsupportedSchema` at
compile time, so the caller can fall back to ``jsonschema``.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Callable, Iterable, Mapping
from types import MappingProxyType
from typing import Any, NamedTuple

#: A compiled schema: True if the instance is valid.
Check = Callable[[Any], bool]
#: A compiled sub-schema: truthy if the instance is valid (see the module docstring).
Pred = Callable[[Any], object]

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
#: Every type ``json.loads`` produces: the keys of a member table.
_JSON_TYPES: frozenset[type] = _DISPATCH | {float}
_SIMPLE_TYPES: dict[str, type] = {
    "object": dict,
    "array": list,
    "string": str,
    "boolean": bool,
    "null": _NONE,
}
_EMPTY: frozenset[type] = frozenset()
_STRINGS: frozenset[type] = frozenset({str})
_FUSABLE = frozenset({"object", "array", "string"})


class UnsupportedSchema(Exception):
    """The schema uses a keyword this compiler does not implement."""


class Node(NamedTuple):
    """A compiled sub-schema (or one keyword group of it)."""

    check: Pred
    #: Python types for which every instance is valid (exact ``type(x)`` match).
    trivial: frozenset[type]
    #: Python types that can possibly be valid (None = unknown).
    admits: frozenset[type] | None
    #: Per Python type, a cheaper check equivalent to ``check`` for values of exactly that
    #: type (lets containers bypass ``isinstance`` tests and ``oneOf``/``anyOf`` layers).
    dispatch: Mapping[type, Pred] = MappingProxyType({})


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


_NO_DISPATCH: Mapping[type, Pred] = MappingProxyType({})
_ALWAYS = Node(_always, _DISPATCH, None)
_NEVER = Node(_never, _EMPTY, _EMPTY)
#: Upper bound standing in for "no maxItems/maxProperties".
_UNBOUNDED = sys.maxsize

#: A member table: exact member type -> None (always valid) or the check to call.
MemberTable = dict[type, Pred | None]


def _member_table(node: Node) -> MemberTable:
    """How a container checks one member against ``node`` (see the module docstring).

    Never mutated after construction; a plain dict because it is read on the hot path.
    """
    return {
        kind: None if kind in node.trivial else node.dispatch.get(kind, node.check)
        for kind in _JSON_TYPES
    }


def _never_except(types: Iterable[type]) -> dict[type, Pred]:
    """Dispatch entries rejecting every dispatched type outside ``types``."""
    return dict.fromkeys(_DISPATCH.difference(types), _never)


#: Keywords whose value is a sub-schema, a list of them, or a name -> sub-schema map.
_SUBSCHEMA = frozenset({"additionalProperties", "additionalItems", "contains", "not"})
_SUBSCHEMA_LIST = frozenset({"allOf", "anyOf", "oneOf"})


def _without_annotations(schema: Any) -> Any:
    """``schema`` minus annotations (at schema positions only): equal results compile alike."""
    if not isinstance(schema, Mapping):
        return schema
    out: dict[str, Any] = {}
    for key, value in schema.items():
        if key in _ANNOTATIONS:
            continue
        if key in _SUBSCHEMA or key == "propertyNames":
            value = _without_annotations(value)
        elif key in _SUBSCHEMA_LIST or key == "items":
            value = (
                [_without_annotations(v) for v in value]
                if isinstance(value, list)
                else _without_annotations(value)
            )
        elif key == "properties" and isinstance(value, Mapping):
            value = {name: _without_annotations(v) for name, v in value.items()}
        out[key] = value
    return out


def _intersect(a: frozenset[type] | None, b: frozenset[type] | None) -> frozenset[type] | None:
    if a is None:
        return b
    if b is None:
        return a
    return a & b


def _chain(checks: list[Pred]) -> Pred:
    """All of ``checks`` (short-circuit, in order)."""
    if not checks:
        return _always
    if len(checks) == 1:
        return checks[0]
    if len(checks) == 2:
        first, second = checks

        def both(value: Any) -> object:
            return first(value) and second(value)

        return both
    frozen = tuple(checks)

    def every(value: Any) -> bool:
        for check in frozen:  # noqa: SIM110 - explicit loop is faster on the hot path
            if not check(value):
                return False
        return True

    return every


def _all_of(parts: list[Node], admits: frozenset[type] | None) -> Node:
    """The conjunction of ``parts`` (keyword groups or sub-schemas), with its analyses."""
    trivial = _DISPATCH
    for part in parts:
        trivial = trivial & part.trivial
    if admits is not None:
        trivial = trivial & admits
    dispatch: dict[type, Pred] = {}
    for kind in _DISPATCH - trivial:
        # Parts that always accept this type can be skipped for it.
        relevant = [p.dispatch.get(kind, p.check) for p in parts if kind not in p.trivial]
        if relevant:
            dispatch[kind] = _chain(relevant)
    check = _chain([p.check for p in parts])
    return Node(check, trivial, admits, MappingProxyType(dispatch) if dispatch else _NO_DISPATCH)


class Compiler:
    """Compile one root schema; ``$ref`` pointers are resolved against that root."""

    def __init__(self, root: Mapping[str, Any]) -> None:
        self.root = root
        self._refs: dict[str, list[Node]] = {}
        # Equal sub-schemas (the vendored schemas repeat e.g. the language-map string
        # hundreds of times, differing only in descriptions) share one node and one member
        # table: fewer closures and tables, so validation touches far less memory.
        self._nodes: dict[str, Node] = {}
        self._deferrals = 0
        self._tables: dict[int, tuple[Node, MemberTable]] = {}

    def compile(self) -> Check:
        check = self._compile(self.root).check

        def is_valid(instance: Any) -> bool:
            return bool(check(instance))

        return is_valid

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
        self._deferrals += 1
        late = cell

        def deferred(value: Any) -> object:
            return late[0].check(value)

        return Node(deferred, _EMPTY, None)

    # -- main ----------------------------------------------------------------------
    def _member_table(self, node: Node) -> MemberTable:
        """:func:`_member_table`, shared between containers that use the same node."""
        cached = self._tables.get(id(node))
        if cached is None:
            cached = self._tables[id(node)] = (node, _member_table(node))  # keeps node alive
        return cached[1]

    def _compile(self, schema: Any) -> Node:
        if schema is True:
            return _ALWAYS
        if schema is False:
            return _NEVER
        if not isinstance(schema, Mapping):
            raise UnsupportedSchema("schema is not an object")
        try:
            key = json.dumps(_without_annotations(schema), sort_keys=True)
        except (TypeError, ValueError):  # not plain JSON (e.g. a Python object): no sharing
            return self._compile_new(schema)
        node = self._nodes.get(key)
        if node is None:
            deferrals = self._deferrals
            node = self._compile_new(schema)
            if self._deferrals == deferrals:
                # Only complete nodes are shared: one holding a late-bound recursive $ref
                # would also stand in later, when the real node exists.
                self._nodes[key] = node
        return node

    def _compile_new(self, schema: Mapping[str, Any]) -> Node:
        keywords = set(schema) - _ANNOTATIONS
        unknown = keywords - _KEYWORDS
        if unknown:
            raise UnsupportedSchema(", ".join(sorted(unknown)))
        if keywords == {"$ref"}:
            return self._ref(schema["$ref"])
        if keywords in ({"oneOf"}, {"anyOf"}):
            key = "oneOf" if "oneOf" in keywords else "anyOf"
            return self._combinator(key, schema[key])
        parts: list[Node] = []
        admits: frozenset[type] | None = None
        type_part: Node | None = None
        type_admits: frozenset[type] = _EMPTY
        if "type" in schema:
            type_check, type_admits = self._type(schema["type"])
            admits = type_admits
            type_part = Node(
                type_check,
                type_admits & _DISPATCH,
                type_admits,
                MappingProxyType(_never_except(type_admits)),
            )
        if "$ref" in schema:
            node = self._ref(schema["$ref"])
            parts.append(node)
            admits = _intersect(admits, node.admits)
        if "enum" in schema:
            node = self._enum(schema["enum"])
            parts.append(node)
            admits = _intersect(admits, node.admits)
            if node.admits == _STRINGS and str in type_admits:
                # A string enum only accepts strings, which the declared type accepts: the
                # type check is implied (saves a call per value, e.g. achievementType).
                type_part = None
        if "const" in schema:
            const = schema["const"]
            parts.append(Node(lambda v: json_equal(v, const), _EMPTY, None))
        # A lone "type" of object/array/string is fused into that group's check (which then
        # rejects other types itself), saving one call per instance.
        declared = schema.get("type")
        fused = declared if isinstance(declared, str) and declared in _FUSABLE else None
        for name, builder in (
            ("string", self._string),
            ("array", self._array),
            ("object", self._object),
        ):
            group = builder(schema, fused == name)
            if group is not None:
                parts.append(group)
                if fused == name:
                    type_part = None  # the strict group check also rejects other types
        for key in ("allOf", "anyOf", "oneOf"):
            if key in schema:
                node = self._combinator(key, schema[key])
                parts.append(node)
                admits = _intersect(admits, node.admits)
        if "not" in schema:
            inner = self._compile(schema["not"]).check
            parts.append(Node(lambda v: not inner(v), _EMPTY, None))
        if type_part is not None:
            parts.insert(0, type_part)  # cheapest first
        return _all_of(parts, admits)

    # -- keyword groups ------------------------------------------------------------
    def _type(self, declared: Any) -> tuple[Pred, frozenset[type]]:
        names = [declared] if isinstance(declared, str) else declared
        if not isinstance(names, list) or not names:
            raise UnsupportedSchema("type")
        admits: frozenset[type] = _EMPTY
        for name in names:
            if name not in _TYPE_NAMES:
                raise UnsupportedSchema(f"type {name}")
            admits = admits | _TYPE_NAMES[name]
        if len(names) == 1 and names[0] in _SIMPLE_TYPES:
            only = _SIMPLE_TYPES[names[0]]
            return (lambda v: isinstance(v, only)), admits
        # As jsonschema: bool is never a number, and "integer" admits integral floats (so
        # floats stay out of the trivial set).
        simple = tuple(_SIMPLE_TYPES[n] for n in names if n in _SIMPLE_TYPES)
        number = "number" in names
        integer = "integer" in names

        def type_check(value: Any) -> bool:
            if isinstance(value, simple):
                return True
            if not (number or integer) or isinstance(value, bool):
                return False
            if isinstance(value, int):
                return True
            return isinstance(value, float) and (number or value.is_integer())

        return type_check, admits

    def _enum(self, values: Any) -> Node:
        if not isinstance(values, list):
            raise UnsupportedSchema("enum")
        if all(isinstance(e, str) for e in values):
            allowed = frozenset(values)
            dispatch: dict[type, Pred] = _never_except(_STRINGS)
            dispatch[str] = allowed.__contains__
            check: Pred = lambda v: isinstance(v, str) and v in allowed  # noqa: E731
            return Node(check, _EMPTY, _STRINGS, MappingProxyType(dispatch))
        frozen = tuple(values)
        return Node(lambda v: any(json_equal(v, e) for e in frozen), _EMPTY, None)

    def _string(self, schema: Mapping[str, Any], strict: bool = False) -> Node | None:
        parts: list[Pred] = []
        if "pattern" in schema:
            parts.append(re.compile(schema["pattern"]).search)
        if "minLength" in schema:
            low = int(schema["minLength"])
            parts.append(lambda v: len(v) >= low)
        if "maxLength" in schema:
            high = int(schema["maxLength"])
            parts.append(lambda v: len(v) <= high)
        if not parts:
            return None
        on_string = _chain(parts)  # only ever called with a str

        def string_check(value: Any) -> object:
            if not isinstance(value, str):
                return not strict
            return on_string(value)

        dispatch: dict[type, Pred] = _never_except(_STRINGS) if strict else {}
        dispatch[str] = on_string
        untouched = _EMPTY if strict else _DISPATCH - {str}
        return Node(string_check, untouched, None, MappingProxyType(dispatch))

    def _array(self, schema: Mapping[str, Any], strict: bool = False) -> Node | None:
        keys = ("minItems", "maxItems", "items", "contains")
        if not any(k in schema for k in keys):
            return None
        low = int(schema.get("minItems", 0))
        top = int(schema["maxItems"]) if "maxItems" in schema else _UNBOUNDED
        sized = low > 0 or top != _UNBOUNDED
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
            contains = None  # handled by set tests
        count = len(positional)

        def general(value: list[Any]) -> bool:
            """Every keyword of the group, for any list (no fast paths)."""
            if sized and not low <= len(value) <= top:
                return False
            if each is not None:
                for item in value:
                    if type(item) not in each.trivial and not each.check(item):
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
                for item in value:
                    if isinstance(item, str) and item in contains_any:
                        break
                else:
                    return False
            return True

        on_list: Callable[[list[Any]], object] = general
        if each is not None and contains is None:
            # The usual shapes: "items" alone (arrays of objects) or with a string-enum
            # "contains" (the "type" arrays): one member-table lookup per item.
            table = self._member_table(each)

            def each_item(value: list[Any]) -> bool:
                if sized and not low <= len(value) <= top:
                    return False
                try:
                    for item in value:
                        check = table[type(item)]
                        if check is not None and not check(item):
                            return False
                    # A set test in C; only unhashable items (dicts, lists) raise, and those
                    # can never equal a string, so the loop in ``general`` decides then.
                    return contains_any is None or not contains_any.isdisjoint(value)
                except (KeyError, TypeError):  # a type the table does not list / unhashable
                    return general(value)

            on_list = each_item
            if contains_any is not None and table[str] is None and low <= 1 and top == _UNBOUNDED:
                # The "type" arrays (["Profile"]): strings are valid items, and containing
                # one of the names implies minItems <= 1.  A str subclass is as valid as a
                # str under every keyword, so "every item is a str" settles "items" -- and
                # str.join checks exactly that, in C (a one-item list is not even copied).

                def string_items(value: list[Any]) -> object:
                    try:
                        "".join(value)
                    except TypeError:  # some item is not a string: check item by item
                        return each_item(value)
                    return not contains_any.isdisjoint(value)

                on_list = string_items

        def array_check(value: Any) -> object:
            if not isinstance(value, list):
                return not strict
            return on_list(value)

        dispatch: dict[type, Pred] = _never_except({list}) if strict else {}
        dispatch[list] = on_list
        untouched = _EMPTY if strict else _DISPATCH - {list}
        return Node(array_check, untouched, None, MappingProxyType(dispatch))

    @staticmethod
    def _string_enum(schema: Any) -> frozenset[str] | None:
        """The allowed strings if ``schema`` is exactly ``{"enum": [str, ...]}``."""
        if not isinstance(schema, Mapping) or set(schema) - _ANNOTATIONS != {"enum"}:
            return None
        values = schema["enum"]
        if isinstance(values, list) and values and all(isinstance(v, str) for v in values):
            return frozenset(values)
        return None

    def _object(self, schema: Mapping[str, Any], strict: bool = False) -> Node | None:
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
        needed = frozenset(schema.get("required", ()))
        low = int(schema.get("minProperties", 0))
        top = int(schema["maxProperties"]) if "maxProperties" in schema else _UNBOUNDED
        sized = low > 0 or top != _UNBOUNDED
        # Member tables by property name (an exact dict: the lookup specialises); a name the
        # schema does not list raises KeyError like an unlisted type does, and the general
        # loop below (with additionalProperties) takes over for that object.
        members: dict[str, MemberTable] = {}
        checks: dict[str, Pred] = {}
        for key, sub in schema.get("properties", {}).items():
            node = self._compile(sub)
            members[key], checks[key] = self._member_table(node), node.check
        additional = schema.get("additionalProperties", True)
        extra = None if additional is True else self._compile(additional)
        extra_check = _always if extra is None else extra.check
        check_members = bool(members) or extra is not None
        names = self._compile(schema["propertyNames"]).check if "propertyNames" in schema else None

        def general(value: dict[Any, Any]) -> bool:
            """Every keyword of the group, for any dict."""
            if needed and not value.keys() >= needed:
                return False
            if sized and not low <= len(value) <= top:
                return False
            if check_members:
                try:
                    for key, item in value.items():
                        check = members[key][type(item)]
                        if check is not None and not check(item):
                            return False
                except KeyError:  # a name or a type the tables do not list
                    check_for = checks.get
                    for key, item in value.items():
                        if not check_for(key, extra_check)(item):
                            return False
            if names is not None:
                for key in value:
                    if not names(key):
                        return False
            return True

        on_dict: Callable[[dict[Any, Any]], bool] = general
        if check_members and not sized and names is None:
            # The usual shape (properties, maybe required): the same checks, fewer tests.

            def members_only(value: dict[Any, Any]) -> bool:
                if needed and not value.keys() >= needed:
                    return False
                try:
                    for key, item in value.items():
                        check = members[key][type(item)]
                        if check is not None and not check(item):
                            return False
                except KeyError:  # a name or a type the tables do not list
                    return general(value)
                return True

            on_dict = members_only

        def object_check(value: Any) -> object:
            if not isinstance(value, dict):
                return not strict
            return on_dict(value)

        dispatch: dict[type, Pred] = _never_except({dict}) if strict else {}
        dispatch[dict] = on_dict
        untouched = _EMPTY if strict else _DISPATCH - {dict}
        return Node(object_check, untouched, None, MappingProxyType(dispatch))

    def _combinator(self, key: str, subschemas: Any) -> Node:
        if not isinstance(subschemas, list) or not subschemas:
            raise UnsupportedSchema(key)
        nodes = [self._compile(s) for s in subschemas]
        if key == "allOf":
            admits: frozenset[type] | None = None
            for n in nodes:
                admits = _intersect(admits, n.admits)
            return _all_of(nodes, admits)
        union: frozenset[type] | None = _EMPTY
        for n in nodes:
            union = None if union is None or n.admits is None else union | n.admits
        table: dict[type, tuple[int, tuple[Pred, ...]]] = {}
        trivial_types: set[type] = set()
        direct: dict[type, Pred] = {}
        for pytype in _DISPATCH:
            always = sum(1 for n in nodes if pytype in n.trivial)
            candidates = tuple(
                n.dispatch.get(pytype, n.check)
                for n in nodes
                if pytype not in n.trivial and (n.admits is None or pytype in n.admits)
            )
            table[pytype] = (always, candidates)
            if key == "anyOf":
                if always:
                    trivial_types.add(pytype)
                elif candidates:
                    direct[pytype] = self._any(candidates)
                else:
                    direct[pytype] = _never
            elif always > 1 or (always == 0 and not candidates):
                direct[pytype] = _never
            elif always == 1 and not candidates:
                trivial_types.add(pytype)
            else:
                direct[pytype] = self._exactly_one(always == 1, candidates)
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

    @staticmethod
    def _any(candidates: tuple[Pred, ...]) -> Pred:
        """``anyOf`` over ``candidates`` (none trivially true), for one Python type."""
        if len(candidates) == 1:
            return candidates[0]
        if len(candidates) == 2:
            first, second = candidates

            def either(value: Any) -> object:
                return first(value) or second(value)

            return either

        def any_candidate(value: Any) -> bool:
            for check in candidates:  # noqa: SIM110 - explicit loop is faster on the hot path
                if check(value):
                    return True
            return False

        return any_candidate

    @staticmethod
    def _exactly_one(matched: bool, candidates: tuple[Pred, ...]) -> Pred:
        """``oneOf`` for one Python type: ``matched`` says a trivial branch already matched."""
        if not matched and len(candidates) == 1:
            return candidates[0]
        if matched and len(candidates) == 1:
            only = candidates[0]
            return lambda v: not only(v)
        if not matched and len(candidates) == 2:
            first, second = candidates

            def one_of_two(value: Any) -> bool:
                # Exactly one: both are always evaluated (truthiness, not identity).
                return (not first(value)) is not (not second(value))

            return one_of_two

        def exactly_one(value: Any) -> bool:
            found = matched
            for check in candidates:
                if check(value):
                    if found:
                        return False
                    found = True
            return found

        return exactly_one


def compile_schema(schema: Mapping[str, Any]) -> Check:
    """Compile ``schema`` into a predicate; raises :class:`UnsupportedSchema` if it cannot."""
    return Compiler(schema).compile()
