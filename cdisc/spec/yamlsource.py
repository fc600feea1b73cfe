"""Load YAML spec files as plain Python data plus the line and column of every node.

Spec errors must point at the exact place in the file, so loading keeps, for
every path into the document (``("variables", 3, "label")``), where its key and
its value start. Duplicate keys and syntax errors become located issues too.

A file is read with libyaml (:mod:`cdisc.spec.yamlfast`) when that gives what ruamel's round-trip loader
gives, else with ruamel, which words every problem.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.constructor import DuplicateKeyError
from ruamel.yaml.error import MarkedYAMLError

from cdisc.errors import SpecError, SpecIssue
from cdisc.spec.yamlfast import PathKey, Position, compose, plain_scalar
from cdisc.spec.yamlhints import cut_values, syntax_hint


@dataclass
class YamlDocument:
    """A parsed YAML file: plain data and a position index keyed by path."""

    file: str
    data: Any
    value_positions: dict[PathKey, Position] = field(default_factory=dict)
    key_positions: dict[PathKey, Position] = field(default_factory=dict)

    def position(self, path: PathKey, *, key: bool = False) -> Position:
        """Where ``path`` is written; falls back to the nearest enclosing node that exists."""
        index = self.key_positions if key else self.value_positions
        for cut in range(len(path), -1, -1):
            prefix = path[:cut]
            if prefix in index:
                return index[prefix]
            if prefix in self.value_positions:
                return self.value_positions[prefix]
        return Position(1, 1)

    def reordered(self, path: PathKey, order: list[int], data: Any) -> YamlDocument:
        """This document holding ``data``, whose list at ``path`` is the old list in ``order`` (old positions),
        with every position under that list moved along, so messages still point at the right lines."""
        new_of = {old: new for new, old in enumerate(order)}
        depth = len(path)

        def moved_key(key: PathKey) -> PathKey:
            item = key[depth] if len(key) > depth and key[:depth] == path else None
            return (*key[:depth], new_of[item], *key[depth + 1:]) if isinstance(item, int) and item in new_of else key

        def moved(index: dict[PathKey, Position]) -> dict[PathKey, Position]:
            return {moved_key(key): position for key, position in index.items()}

        return YamlDocument(self.file, data, moved(self.value_positions), moved(self.key_positions))

    def issue(self, path: PathKey, subject: str, message: str, *, key: bool = False) -> SpecIssue:
        """A located issue for the node at ``path``."""
        pos = self.position(path, key=key)
        return SpecIssue(self.file, pos.line, pos.column, subject, message)


def load_yaml(path: Path, display_name: str | None = None) -> YamlDocument:
    """Parse ``path``; raise :class:`SpecError` for syntax errors and duplicate keys."""
    name = display_name or str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        line = path.read_bytes()[: exc.start].count(b"\n") + 1
        raise SpecError([SpecIssue(name, line, 1, "", "file is not valid UTF-8 text")]) from None
    composed = compose(text)
    if composed is not None:
        doc = YamlDocument(name, *composed)
    else:
        doc = _load_ruamel(name, text)
    doc.value_positions.setdefault((), Position(1, 1))
    return doc


def _load_ruamel(name: str, text: str) -> YamlDocument:
    """``text`` read with ruamel's round-trip loader, every problem a located :class:`SpecError`."""
    yaml = YAML(typ="rt")
    try:
        raw = yaml.load(text)
    except DuplicateKeyError as exc:
        mark = exc.problem_mark
        key = _duplicate_key_name(exc.problem or "")
        message = f"duplicate key {key} in the same mapping (a YAML map may name each key once)"
        raise SpecError([SpecIssue(name, mark.line + 1, mark.column + 1, "", message)]) from None
    except MarkedYAMLError as exc:
        raise SpecError([_syntax_issue(name, text, exc)]) from None
    except ValueError as exc:  # a timestamp-looking scalar that is no date (2026-02-30): ruamel gives no place
        raise SpecError([_impossible_date(name, text, exc)]) from None
    cut = cut_values(raw, text.splitlines())
    if cut:
        raise SpecError([SpecIssue(name, line + 1, column + 1, "", message) for line, column, message in cut])
    doc = YamlDocument(name, None)
    doc.data = _plain(raw, (), doc)
    return doc


_DATE_LIKE = re.compile(r"(?<![\w.'\"-])(\d{4})-(\d{1,2})-(\d{1,2})(?:[Tt ](\d{1,2}):(\d{2})(?::(\d{2}))?)?(?![\d.'\"-])")


def _impossible_date(name: str, text: str, exc: ValueError) -> SpecIssue:
    """The first unquoted date or date-time value that is no calendar date or clock time, at its place."""
    for number, line in enumerate(text.splitlines()):
        for match in _DATE_LIKE.finditer(line.split(" #")[0]):
            try:
                year, month, day, hour, minute, second = (int(part or 0) for part in match.groups())
                dt.datetime(year, month, day, hour, minute, second)
            except ValueError as why:
                return SpecIssue(name, number + 1, match.start() + 1, "", f"{match.group(0)} is not a date ({why}); "
                                 "write a real date, or quote it to keep it as text")
    return SpecIssue(name, 1, 1, "", f"a value YAML reads as a date is not one ({exc})")


def _syntax_issue(name: str, text: str, exc: MarkedYAMLError) -> SpecIssue:
    """The parser's error at its place, with what it means in words when that is known."""
    mark = exc.problem_mark or exc.context_mark
    problem = exc.problem or exc.context or "unreadable YAML"
    if mark is None:
        return SpecIssue(name, 1, 1, "", f"YAML syntax error: {problem}")
    context = (exc.context_mark.line, exc.context_mark.column) if exc.context_mark else None
    hint = syntax_hint(problem, exc.context, context, (mark.line, mark.column), text.splitlines())
    if problem == "could not find expected ':'" and context is not None:
        mark = exc.context_mark  # the line missing its ':' is where the key starts, not where the parser gave up
    message = f"YAML syntax error: {problem}" + (f"; {hint}" if hint else "")
    return SpecIssue(name, mark.line + 1, mark.column + 1, "", message)


def _duplicate_key_name(problem: str) -> str:
    # ruamel: 'found duplicate key "a" with value "2" (original value: "1")'
    parts = problem.split('"')
    return f"'{parts[1]}'" if len(parts) > 2 else "(unnamed)"


def _plain(node: Any, path: PathKey, doc: YamlDocument) -> Any:
    """Convert ruamel nodes to plain dict/list/scalars, recording positions on the way."""
    if isinstance(node, CommentedMap):
        doc.value_positions.setdefault(path, Position(node.lc.line + 1, node.lc.col + 1))
        out: dict[str, Any] = {}
        for key, value in node.items():
            key_text = str(key)
            child = (*path, key_text)
            kline, kcol = node.lc.key(key)
            vline, vcol = node.lc.value(key)
            doc.key_positions[child] = Position(kline + 1, kcol + 1)
            doc.value_positions[child] = Position(vline + 1, vcol + 1)
            out[key_text] = _plain(value, child, doc)
        return out
    if isinstance(node, CommentedSeq):
        doc.value_positions.setdefault(path, Position(node.lc.line + 1, node.lc.col + 1))
        items = []
        for i, value in enumerate(node):
            line, col = node.lc.item(i)
            doc.value_positions[(*path, i)] = Position(line + 1, col + 1)
            items.append(_plain(value, (*path, i), doc))
        return items
    return plain_scalar(node)
