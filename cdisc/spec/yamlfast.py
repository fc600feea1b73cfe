"""Read a YAML spec with libyaml (PyYAML's C parser) into the data and marks ruamel's round-trip loader gives.

ruamel.yaml's round-trip loader reads YAML 1.2 and words every error well, but it is pure Python: reading a
study's specs with it took most of the time ``cdisc run`` spent loading them. libyaml composes the same node
tree, with the same line and column marks, about thirty times faster. :func:`compose` resolves plain scalars by
ruamel's own YAML 1.2 rules (``no``, ``on`` and ``yes`` stay text; ``2026-01-12`` is a date) and builds
non-text scalars with ruamel's constructor, so the data is what ruamel gives.

It vouches only for documents that ruamel reads without complaint and the same way: it returns ``None`` (read
the file with ruamel, which words the problem) on any syntax error, a duplicate key, a key of a ``{...}``
mapping without a value (:func:`cdisc.spec.yamlhints.cut_values` explains those), and on what libyaml (YAML 1.1)
and ruamel may read or place differently: tabs, directives, anchors, explicit tags, merge keys, keys that are
mappings or lists, unusual line breaks, empty values (``key:``, written null).

Example::

    >>> data, values, keys = compose("dataset: AE\\nflags: {on: no, at: 2026-01-12}\\n")
    >>> data
    {'dataset': 'AE', 'flags': {'on': 'no', 'at': datetime.date(2026, 1, 12)}}
    >>> values[("flags", "at")], keys[("flags", "at")]
    (Position(line=2, column=21), Position(line=2, column=17))
    >>> compose("a: 1\\na: 2\\n") is None
    True
"""

from __future__ import annotations

import datetime as dt
import re
from functools import cached_property
from typing import Any, NamedTuple

from ruamel.yaml import YAML
from ruamel.yaml.nodes import ScalarNode as RuamelScalar
from ruamel.yaml.resolver import implicit_resolvers
from ruamel.yaml.tag import Tag
from yaml import YAMLError
from yaml._yaml import CParser
from yaml.nodes import MappingNode, ScalarNode, SequenceNode

PathKey = tuple[str | int, ...]


class Position(NamedTuple):
    """1-based line and column in a file (a tuple: a spec's thousands of marks are made fast)."""

    line: int
    column: int


_CORE = "tag:yaml.org,2002:"
_CONSTRUCTED = {f"{_CORE}{name}" for name in ("int", "float", "bool", "null", "timestamp")}
# what libyaml may read otherwise than ruamel: tabs, line breaks other than \n and \r\n, byte order marks,
# directives, anchors (ruamel turns an anchored true into 1); the characters first (a search of the text for
# each is quicker than one search for any), the patterns only in a text holding their character
_UNSURE_CHARS = ("\t", "\x85", "\u2028", "\u2029", "\ufeff")
_UNSURE = {"\r": re.compile(r"\r(?!\n)"), "%": re.compile(r"^%", re.MULTILINE), "&": re.compile(r"(?:^|[\s\[{,])&\S", re.MULTILINE)}


def _unsure(text: str) -> bool:
    """The text holds what libyaml may read otherwise than ruamel."""
    return any(char in text for char in _UNSURE_CHARS) or any(char in text and regexp.search(text) for char, regexp in _UNSURE.items())


class _Resolved(str):
    """A tag the resolver gave (not one written in the file)."""


_STR, _MAP, _SEQ = _Resolved(f"{_CORE}str"), _Resolved(f"{_CORE}map"), _Resolved(f"{_CORE}seq")


Resolvers = list[tuple[_Resolved, Any]]  # (tag, regular expression) in the order ruamel tries them


def _yaml12_resolvers() -> tuple[dict[str, Resolvers], Resolvers]:
    """ruamel's YAML 1.2 implicit resolvers by the first character of a plain scalar ('' when empty), and those
    for any other first character."""
    by_char: dict[str, Resolvers] = {}
    any_char: Resolvers = []
    for versions, tag, regexp, first in implicit_resolvers:
        if (1, 2) in versions:
            for char in first or []:
                by_char.setdefault(char, []).append((_Resolved(tag), regexp))
            if not first:  # whatever the first character
                any_char.append((_Resolved(tag), regexp))
    return {char: resolvers + any_char for char, resolvers in by_char.items()}, any_char


class _Parser(CParser):
    """libyaml's composer with ruamel's YAML 1.2 tag resolution."""

    by_char, any_char = _yaml12_resolvers()

    def resolve(self, kind: type, value: str, implicit: Any) -> _Resolved:
        if kind is ScalarNode:
            if implicit[0]:
                for tag, regexp in self.by_char.get(value[:1], self.any_char):
                    if regexp.match(value):
                        return tag
            return _STR
        return _MAP if kind is MappingNode else _SEQ

    def descend_resolver(self, parent: Any, index: Any) -> None:
        pass

    def ascend_resolver(self) -> None:
        pass


class _Decline(Exception):
    """The document is not one this module can vouch for."""


def compose(text: str) -> tuple[Any, dict[PathKey, Position], dict[PathKey, Position]] | None:
    """The document's plain data, where every value and every key starts by path; ``None`` when ruamel must read it."""
    if _unsure(text):
        return None
    try:
        node = _Parser(text).get_single_node()
    except YAMLError:
        return None
    reader = _Reader(text)
    try:
        data = reader.plain(node, ()) if node is not None else None
    except _Decline:
        return None
    return data, reader.values, reader.keys


class _Reader:
    """Nodes to plain dict/list/scalars, recording marks on the way (as ``yamlsource`` does for ruamel's data)."""

    def __init__(self, text: str) -> None:
        self._text = text
        self.values: dict[PathKey, Position] = {}
        self.keys: dict[PathKey, Position] = {}
        self._scalars: dict[tuple[str, str], Any] = {}

    @cached_property
    def _lines(self) -> list[str]:
        return self._text.splitlines()

    @cached_property
    def _constructor(self) -> Any:
        return YAML(typ="rt").constructor  # (made when a scalar other than text is met)

    def plain(self, node: Any, path: PathKey) -> Any:
        tag = node.tag
        if tag is _STR and type(node) is ScalarNode:  # (most nodes: text as libyaml gives it)
            return node.value
        if tag is _MAP and isinstance(node, MappingNode):
            values, keys = self.values, self.keys
            values.setdefault(path, _mark(node))
            out: dict[str, Any] = {}
            seen: set[Any] = set()  # the keys as ruamel compares them (1 and true are one key)
            for key_node, value_node in node.value:
                raw = self._scalar(key_node) if isinstance(key_node, ScalarNode) else _decline()
                key = str(raw)
                if key in out or raw in seen:
                    _decline()  # a duplicate key: ruamel says which
                seen.add(raw)
                child = (*path, key)
                mark = key_node.start_mark
                keys[child] = Position(mark.line + 1, mark.column + 1)
                mark = value_node.start_mark
                values[child] = Position(mark.line + 1, mark.column + 1)
                value = out[key] = self.plain(value_node, child)
                if value is None and node.flow_style and self._without_colon(key_node, key):
                    _decline()  # '{a: x, b}': yamlhints.cut_values words it
            return out
        if tag is _SEQ and isinstance(node, SequenceNode):
            values = self.values
            values.setdefault(path, _mark(node))
            items = []
            for i, item in enumerate(node.value):
                mark = item.start_mark
                values[(*path, i)] = Position(mark.line + 1, mark.column + 1)
                items.append(self.plain(item, (*path, i)))
            return items
        return plain_scalar(self._scalar(node)) if isinstance(node, ScalarNode) else _decline()

    def _without_colon(self, key_node: ScalarNode, key: str) -> bool:
        """The key is written with no ':' after it (as :func:`cdisc.spec.yamlhints.cut_values` decides)."""
        line, column = key_node.start_mark.line, key_node.start_mark.column
        text = self._lines[line][column:] if line < len(self._lines) else ""
        return text.startswith(key) and not text[len(key):].lstrip().startswith(":")

    def _scalar(self, node: ScalarNode) -> Any:
        """The scalar as ruamel's round-trip constructor builds it."""
        tag = node.tag
        if tag is _STR:
            return node.value
        if not isinstance(tag, _Resolved) or tag not in _CONSTRUCTED:
            _decline()  # an explicit tag, a merge key, '='
        if not node.value:
            _decline()  # 'key:' with no value: ruamel places the null at the next token, libyaml right after the key
        key = (tag, node.value)
        if key not in self._scalars:
            try:
                self._scalars[key] = self._constructor.construct_object(RuamelScalar(Tag(suffix=str(tag)), node.value))
            except Exception:  # whatever ruamel makes of it (an impossible date), it says so itself
                _decline()
        return self._scalars[key]


def _decline() -> Any:
    raise _Decline


def _mark(node: Any) -> Position:
    """Where the node starts (libyaml counts from 0)."""
    return Position(node.start_mark.line + 1, node.start_mark.column + 1)


def plain_scalar(value: Any) -> Any:
    """A scalar as plain Python: bool, int, float, str, date/datetime or None (ruamel's subclasses unwrapped)."""
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value)
    if isinstance(value, str):
        return str(value)
    if isinstance(value, (dt.datetime, dt.date)):
        return value
    return str(value)
