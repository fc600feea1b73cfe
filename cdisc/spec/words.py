"""Conditions of a spec in the words a define.xml reader expects, not in expression syntax.

``PARAMCD == "OVR" and not is_missing(AVAL)`` reads ``PARAMCD is OVR and AVAL is present``; anything the
wording does not cover (arithmetic, other functions) is kept as written.
"""

from __future__ import annotations

import ast

_SYMBOLS = {ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">="}
_OTHER = {ast.In: "is in", ast.NotIn: "is not in", ast.Is: "is", ast.IsNot: "is not"}


def condition_words(text: str) -> str:
    """A condition (or any expression) in words.

    >>> condition_words('PARAMCD == "OVR" and ANL01FL == "Y"')
    'PARAMCD is OVR and ANL01FL is Y'
    >>> condition_words('TRTESTCD in ["LDIAM", "LPERP"] and not is_missing(AVAL)')
    'TRTESTCD is LDIAM or LPERP and AVAL is present'
    >>> condition_words('(AVALC == "CR" or AVALC == "PR") and ADT <= TRTSDT + 20')
    '(AVALC is CR or AVALC is PR) and ADT <= TRTSDT + 20'
    >>> condition_words('ARMCD not in ["SCRNFAIL", "NOTASSGN", "NOTTRT"]')
    'ARMCD is none of SCRNFAIL, NOTASSGN, NOTTRT'
    >>> condition_words('concat(STUDYID, "-", SUBJID)')
    "STUDYID, '-' and SUBJID joined"
    """
    source = str(text).strip()
    try:
        tree = ast.parse(source, mode="eval")
    except SyntaxError:
        return source
    return _Words(source).say(tree.body)


class _Words:
    def __init__(self, source: str):
        self.source = source

    def as_written(self, node: ast.AST) -> str:
        return ast.get_source_segment(self.source, node) or ""

    def say(self, node: ast.AST, inside: type | None = None) -> str:
        if isinstance(node, ast.BoolOp):
            joiner = " and " if isinstance(node.op, ast.And) else " or "
            text = joiner.join(self.say(value, type(node.op)) for value in node.values)
            return f"({text})" if inside is not None and inside is not type(node.op) else text
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
            return self._negated(node.operand)
        if isinstance(node, ast.Compare) and len(node.ops) == 1:
            return self._comparison(node.left, node.ops[0], node.comparators[0])
        if _is_missing_call(node):
            assert isinstance(node, ast.Call)
            return f"{self.value(node.args[0])} is missing"
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "concat" and len(node.args) > 1:
            parts = [f"'{a.value}'" if isinstance(a, ast.Constant) and isinstance(a.value, str) else self.say(a) for a in node.args]
            return f"{', '.join(parts[:-1])} and {parts[-1]} joined"
        return self.as_written(node)

    def _negated(self, operand: ast.AST) -> str:
        if _is_missing_call(operand):
            assert isinstance(operand, ast.Call)
            return f"{self.value(operand.args[0])} is present"
        return f"not ({self.say(operand)})"

    def _comparison(self, left: ast.AST, op: ast.cmpop, right: ast.AST) -> str:
        subject = self.value(left)
        if isinstance(op, (ast.In, ast.NotIn)) and isinstance(right, ast.List):
            items = [self.value(item) for item in right.elts]
            if isinstance(op, ast.In):
                return f"{subject} is {' or '.join(items)}" if len(items) <= 2 else f"{subject} is one of {', '.join(items)}"
            return f"{subject} is neither {' nor '.join(items)}" if len(items) == 2 else f"{subject} is none of {', '.join(items)}"
        if isinstance(op, ast.Eq):
            return f"{subject} is {self.value(right)}"
        if isinstance(op, ast.NotEq):
            return f"{subject} is not {self.value(right)}"
        if type(op) in _SYMBOLS:
            return f"{subject} {_SYMBOLS[type(op)]} {self.value(right)}"
        return f"{subject} {_OTHER.get(type(op), 'vs')} {self.value(right)}"

    def value(self, node: ast.AST) -> str:
        """A value: text without its quotes (``"" `` reads 'empty'), anything else as written."""
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return node.value if node.value else "empty"
        if isinstance(node, ast.Constant) and node.value is None:
            return "missing"
        return self.as_written(node)


def _is_missing_call(node: ast.AST) -> bool:
    return (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "is_missing"
            and len(node.args) == 1)
