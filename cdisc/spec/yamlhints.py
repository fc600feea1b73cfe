"""YAML mistakes explained in words: what the parser's message means and how to fix the line.

The parser says *what* it could not read (``mapping values are not allowed here``); spec
authors need *why*: a tab, a line indented off its siblings, a ``:`` or ``,`` inside an
unquoted value, an unclosed bracket or quote. :func:`syntax_hint` turns a parser error into
that sentence, and :func:`cut_values` finds the one mistake YAML accepts silently: a comma
inside an unquoted value of a ``{...}`` mapping, which ends the value and makes the rest a
key without a value.

Example::

    >>> syntax_hint("mapping values are not allowed here", None, None, (0, 12), ["label: Time: start"])
    'a value holding ": " must be quoted, e.g. label: "Time: start"'
"""

from __future__ import annotations

from typing import Any

from ruamel.yaml.comments import CommentedMap, CommentedSeq

Mark = tuple[int, int]  # 0-based line and column, as the parser reports them

_FLOW_OPEN = {"while parsing a flow mapping": "{", "while parsing a flow sequence": "["}
_FLOW_CLOSE = {"{": "}", "[": "]"}


def syntax_hint(problem: str, context: str | None, context_mark: Mark | None, mark: Mark, lines: list[str]) -> str:
    """The parser's ``problem`` (at ``mark``, while ``context`` at ``context_mark``) explained; '' if not known."""
    line, column = mark
    text = lines[line] if line < len(lines) else ""
    if "\\t" in problem or "\t" in text[: column + 1]:
        return "a tab character: YAML indents with spaces only, and a tab may not start a value; replace it with spaces"
    if context in _FLOW_OPEN and context_mark is not None:
        return _flow_hint(problem, _FLOW_OPEN[context], context_mark, mark)
    if problem == "mapping values are not allowed here":
        key, _, _ = text[:column].partition(":")
        if ": " in text[:column]:
            return f'a value holding ": " must be quoted, e.g. {key.strip().lstrip("- ")}: "{text[len(key) + 1:].strip()}"'
        return _indentation_hint(lines, line)
    if problem == "could not find expected ':'" and context_mark is not None:
        key_line = context_mark[0]
        return (f"line {key_line + 1} ({lines[key_line].strip()!r}) has no ': ' after its key; write 'key: value', "
                "or quote a value that runs on over several lines")
    if problem.startswith("expected <block end>"):
        before = text[column - 1] if column > 0 else ""
        if "'<scalar>'" in problem and before in "'\"":
            return (f"text follows the closing {before} of a quoted value; inside '...' write a quote as '' (it''s), "
                    'inside "..." as \\" , or quote the whole value with the other kind of quote')
        return _indentation_hint(lines, line, context_mark)
    return ""


def _flow_hint(problem: str, opened: str, context_mark: Mark, mark: Mark) -> str:
    closing = _FLOW_CLOSE[opened]
    where = f"line {context_mark[0] + 1} column {context_mark[1] + 1}"
    if mark[0] != context_mark[0] or "'<stream end>'" in problem:
        return f"the '{opened}' opened at {where} is not closed: end it with '{closing}'"
    if problem.endswith("but got ':'"):
        return f"an unquoted ':' inside {opened}...{closing}: quote the value that holds it, e.g. label: \"Time: start\""
    return (f"inside {opened}...{closing} a ', ' or ': ' ends a value; quote a value that holds a comma, a colon or quotes, "
            'e.g. expr: "concat(A, B)"')


def _indentation_hint(lines: list[str], line: int, context_mark: Mark | None = None) -> str:
    """Where the indentation of ``line`` goes wrong, against the line above it or the block it belongs to."""
    indent = _indent(lines[line]) if line < len(lines) else 0
    above = next((i for i in range(line - 1, -1, -1) if lines[i].strip() and not lines[i].lstrip().startswith("#")), None)
    if above is not None and indent > _indent(lines[above]) and not lines[above].rstrip().endswith(":"):
        return (f"wrong indentation: line {line + 1} starts at column {indent + 1}, right of line {above + 1} "
                f"(column {_indent(lines[above]) + 1}), so YAML reads it as more of the value above; keys of one mapping "
                "start at the same column")
    block = f" (the block from line {context_mark[0] + 1} starts at column {context_mark[1] + 1})" if context_mark else ""
    return (f"wrong indentation: line {line + 1} starts at column {indent + 1}, which lines up with no key above it{block}; "
            "keys of one mapping start at the same column, and the items of a list at the column of their '-'")


def _indent(text: str) -> int:
    return len(text) - len(text.lstrip(" "))


def cut_values(node: Any, lines: list[str]) -> list[tuple[int, int, str]]:
    """(line, column, message), 0-based, for every key of a ``{...}`` mapping written with no ':' after it."""
    found: list[tuple[int, int, str]] = []
    if isinstance(node, CommentedMap):
        previous: tuple[Any, Any] | None = None
        for key, value in node.items():
            if node.fa.flow_style() and value is None and _without_colon(node, key, lines):
                line, column = node.lc.key(key)
                found.append((line, column, _cut_message(key, previous)))
            found += cut_values(value, lines)
            previous = (key, value)
    elif isinstance(node, CommentedSeq):
        for value in node:
            found += cut_values(value, lines)
    return found


def _without_colon(node: CommentedMap, key: Any, lines: list[str]) -> bool:
    line, column = node.lc.key(key)
    text = lines[line][column:] if line < len(lines) else ""
    if not text.startswith(str(key)):
        return False  # a quoted or multi-line key: leave it to the spec checks
    return not text[len(str(key)):].lstrip().startswith(":")


def _cut_message(key: Any, previous: tuple[Any, Any] | None) -> str:
    if previous is not None and isinstance(previous[1], (str, int, float)):
        name, value = previous
        return (f"'{key}' has no value: inside {{...}} a comma ends a value, so '{name}: {value}' was cut at the comma; "
                f'quote a value that holds a comma, e.g. {name}: "{value}, {key}"')
    return f"'{key}' has no value: write '{key}: value' (inside {{...}} a comma ends a value; quote values that hold one)"
