"""Line-aware YAML reading: safe-load-level constructs plus the line of every key.

Mappings become :class:`LineDict` and sequences :class:`LineList`; both remember
the 1-based line where they start and where each key or item sits, so that the
validator can report ``file:line``. Only the tags that ``yaml.safe_load``
understands are accepted.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import yaml
from yaml.nodes import MappingNode, SequenceNode


class LineDict(dict[str, Any]):
    """A mapping from YAML that knows its own line and the line of each key."""

    __slots__ = ("key_lines", "line")

    def __init__(self, line: int) -> None:
        super().__init__()
        self.line = line
        self.key_lines: dict[str, int] = {}


class LineList(list[Any]):
    """A sequence from YAML that knows its own line and the line of each item."""

    __slots__ = ("item_lines", "line")

    def __init__(self, line: int, items: Sequence[Any], item_lines: Sequence[int]) -> None:
        super().__init__(items)
        self.line = line
        self.item_lines = list(item_lines)


@dataclass(frozen=True, slots=True)
class YamlProblem:
    """A problem met while reading (line, code, detail)."""

    line: int | None
    code: str
    detail: str


class _LineLoader(yaml.SafeLoader):
    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self.problems: list[YamlProblem] = []


def _construct_mapping(loader: _LineLoader, node: MappingNode) -> LineDict:
    loader.flatten_mapping(node)
    result = LineDict(node.start_mark.line + 1)
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        line = key_node.start_mark.line + 1
        if not isinstance(key, str):
            loader.problems.append(YamlProblem(line, "bad-key", repr(key)))
            key = str(key)
        if key in result:
            loader.problems.append(YamlProblem(line, "duplicate-key", key))
            continue
        result[key] = loader.construct_object(value_node, deep=True)
        result.key_lines[key] = line
    return result


def _construct_sequence(loader: _LineLoader, node: SequenceNode) -> LineList:
    items = [loader.construct_object(child, deep=True) for child in node.value]
    return LineList(
        node.start_mark.line + 1, items, [child.start_mark.line + 1 for child in node.value]
    )


_LineLoader.add_constructor("tag:yaml.org,2002:map", _construct_mapping)
_LineLoader.add_constructor("tag:yaml.org,2002:seq", _construct_sequence)


def read_yaml(text: str) -> tuple[Any, list[YamlProblem]]:
    """Parse one YAML document; return the data and the problems met.

    A syntax error yields ``(None, [problem])``; duplicate or non-string keys
    are reported but the rest of the document is still returned.
    """
    loader = _LineLoader(text)
    try:
        data = loader.get_single_data()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        detail = " ".join(part for part in (exc.context, exc.problem) if part)
        return None, [YamlProblem(line, "yaml-syntax", detail or "invalid YAML")]
    except yaml.YAMLError as exc:
        return None, [YamlProblem(None, "yaml-syntax", str(exc))]
    finally:
        loader.dispose()
    return data, loader.problems
