"""Edit a YAML spec file as text: every line the edit does not touch stays as it was.

A merge changes a few values of a hand-written spec. Dumping the whole file again would re-wrap
flow mappings that span lines, move comments and re-quote values in parts nobody edited (the
``steps:`` and ``lookups:`` of an ADaM spec, other variables). :class:`YamlText` instead cuts the
file into top-level keys and, inside a block list, into items (each with the comment and blank
lines above it); an edit replaces only the key or the items it changes, written as the round-trip
dumper writes them, and the rest of the text is copied.

>>> doc = YamlText("a: 1  # kept\\nitems:\\n  # first\\n  - {x: 1,\\n     y: 2}\\n  - {x: 2}\\n")
>>> item = doc.data["items"][1]
>>> item["y"] = 3
>>> doc.set_items("items", [(1, item, True), (0, doc.data["items"][0], False)])
>>> print(doc.text(), end="")
a: 1  # kept
items:
  - {x: 2, y: 3}
  # first
  - {x: 1,
     y: 2}
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq

#: A list as edited: per item, its index in the original list (None for a new item), its node, and
#: whether it changed (then it is written again; otherwise its original lines are copied).
Items = list[tuple[int | None, Any, bool]]


def round_trip() -> YAML:
    """The round-trip loader and dumper of spec files (the layout the importer writes)."""
    yaml = YAML(typ="rt")
    yaml.width = 4096
    yaml.preserve_quotes = True
    yaml.indent(mapping=2, sequence=4, offset=2)
    return yaml


def _dump(key: str, value: Any) -> list[str]:
    """``key: value`` as the dumper writes it at the top level, without trailing comment or blank lines."""
    stream = io.StringIO()
    round_trip().dump(CommentedMap([(key, value)]), stream)
    return _content(stream.getvalue().splitlines(keepends=True))


def _content(lines: list[str]) -> list[str]:
    """``lines`` without the comment and blank lines at their end."""
    end = len(lines)
    while end and _is_filler(lines[end - 1]):
        end -= 1
    return lines[:end]


def _is_filler(line: str) -> bool:
    text = line.strip()
    return not text or text.startswith("#")


@dataclass
class _Span:
    """Lines ``[start, end)`` of the text; ``content`` is where the last line that is not a comment or blank ends."""

    start: int
    end: int
    content: int


class YamlText:
    """A spec file's text and its round-trip data; edits are recorded with :meth:`set` and :meth:`set_items`
    and applied by :meth:`text`."""

    def __init__(self, text: str):
        self.lines = text.splitlines(keepends=True)
        if self.lines and not self.lines[-1].endswith("\n"):
            self.lines[-1] += "\n"
        self.data: CommentedMap = round_trip().load(text) or CommentedMap()
        self._values: dict[str, Any] = {}
        self._items: dict[str, Items] = {}

    def set(self, key: str, value: Any, before: tuple[str, ...] = ()) -> None:
        """Give top-level ``key`` the (round-trip) ``value``; None removes it. A key the file lacks is written
        before the first of ``before`` the file has, else at the end."""
        self._values[key] = (value, before)

    def set_items(self, key: str, items: Items) -> None:
        """Make the block list under top-level ``key`` hold ``items`` (see :data:`Items`)."""
        self._items[key] = items

    def text(self) -> str:
        spans = self._spans()
        added = {key: (value, next((k for k in before if k in spans), None))
                 for key, (value, before) in self._values.items() if key not in spans and value is not None}
        out: list[str] = self.lines[: min((s.start for s in spans.values()), default=len(self.lines))]
        for key, span in spans.items():
            out += [line for new, (value, anchor) in added.items() if anchor == key for line in _dump(new, value)]
            if key in self._values:
                value, _ = self._values[key]
                comment = (self.data.ca.items.get(key) or [None] * 3)[2]
                out += _ended(_dump(key, value), self.lines[span.content - 1], comment) if value is not None else []
                out += self.lines[span.content:span.end]
            elif key in self._items:
                out += self._list(key, span)
            else:
                out += self.lines[span.start:span.end]
        out += [line for new, (value, anchor) in added.items() if anchor is None for line in _dump(new, value)]
        return "".join(out)

    def _spans(self) -> dict[str, _Span]:
        """Each top-level key's lines (in file order)."""
        starts = sorted((self.data.lc.key(k)[0], k) for k in self.data)
        spans = {}
        for (start, key), (end, _) in zip(starts, [*starts[1:], (len(self.lines), None)], strict=True):
            spans[key] = _Span(start, end, start + len(_content(self.lines[start:end])))
        return spans

    def _list(self, key: str, span: _Span) -> list[str]:
        """The lines of top-level ``key`` holding its edited items: untouched items copied, changed and new ones dumped."""
        seq = self.data[key]
        items = self._items[key]
        starts = [seq.lc.item(i)[0] for i in range(len(seq))] if isinstance(seq, CommentedSeq) else []
        if not starts or starts[0] <= span.start or getattr(seq.fa, "_flow_style", False):
            return _dump(key, CommentedSeq(node for _, node, _ in items)) + self.lines[span.content:span.end]
        ends = [*starts[1:], span.end]
        contents = [s + len(_content(self.lines[s:e])) for s, e in zip(starts, ends, strict=True)]
        leads = [span.start + 1, *contents[:-1]]  # an item's chunk: the comment and blank lines above it, then its lines
        shift = seq.lc.item(0)[1] - 4  # the dumper writes items as '  - ' (item text at column 4)
        out = self.lines[span.start:span.start + 1] + self.lines[span.start + 1:leads[0]]
        for index, node, changed in items:
            if index is not None and not changed:
                out += self.lines[leads[index]:contents[index]]
                continue
            lines = [_indented(line, shift) for line in _dump(key, CommentedSeq([node]))[1:]]
            if index is not None:
                out += self.lines[leads[index]:starts[index]]
                lines = _ended(lines, self.lines[contents[index] - 1], (seq.ca.items.get(index) or [None])[0])
            out += lines
        return out + self.lines[contents[-1]:span.end]


def _ended(lines: list[str], original: str, comment: Any) -> list[str]:
    """``lines`` (a value written again) ending with the end-of-line ``comment`` (a ruamel comment token) that
    ``original``, the value's last line in the file, ended with, spaced as it was."""
    text = comment.value.split("\n")[0].rstrip() if comment is not None and hasattr(comment, "value") else ""
    before = original.rstrip()
    if not text.startswith("#") or not before.endswith(text) or not lines:
        return lines
    content = before[: -len(text)]
    gap = content[len(content.rstrip()):] or " "
    return [*lines[:-1], lines[-1].rstrip("\n") + gap + text + "\n"]


def _indented(line: str, shift: int) -> str:
    if shift >= 0:
        return " " * shift + line
    return line[min(-shift, len(line) - len(line.lstrip(" "))):]
