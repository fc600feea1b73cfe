"""The small, safe expression language of specs: filters, conditions and computed values.

An expression is parsed with :mod:`ast` and checked against a whitelist, then
compiled to a tree of closures that apply vectorised pandas operations to a
whole DataFrame at once. Nothing is ever passed to ``eval``.

Allowed:
- column names (``AESER``), and names supplied by the caller (``STUDYID``, variables built
  earlier in the dataset), which win over raw columns of the same name;
- literals: strings, numbers, ``True``, ``False``, ``None``;
- comparisons ``== != < <= > >=`` (chains like ``1 <= AGE < 65`` too), ``in`` / ``not in``
  against a list of literals;
- ``and``, ``or``, ``not``; arithmetic ``+ - * / // %`` and unary minus;
- calls of registered functions (see :data:`FUNCTIONS`), positional arguments only;
- ``column("IT.AGE")`` for a column whose name is not a plain identifier, and ``raw("DSCAT")`` for
  the source column where a variable of the same name was built earlier.

Missing values: a comparison with a missing value is false (``!=`` is true),
so ``not (X == "Y")`` and ``X != "Y"`` agree. Text is never silently turned into
numbers: ``AGE > 18`` on a text column is an error that suggests ``number(AGE)``.

Example::

    >>> import pandas as pd
    >>> keep = parse_expression('upper(strip(AEYN)) == "Y" and number(AEGR) >= 3')
    >>> keep.evaluate(pd.DataFrame({"AEYN": [" y", "N"], "AEGR": ["3", "1"]})).tolist()
    [True, False]
"""

from __future__ import annotations

import ast
import difflib
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from cdisc.arrowtext import TEXT, arrow_text, plain_text
from cdisc.errors import DataError
from cdisc.sasdates import impute_date, impute_datetime, sas_date, sas_datetime

Value = Any  # a pandas Series or a scalar
_ARROW_TEXT = pa.large_string()  # how pandas' str Series hold their text
#: The records, the constants, and the values of function calls already made on them (None: none kept).
Env = tuple[pd.DataFrame, Mapping[str, Any], dict[str, Any] | None]
Compiled = Callable[[Env], Value]


class ExpressionError(ValueError):
    """An expression that is not valid in the spec language (message says why and where)."""


class ExpressionDataError(DataError):
    """An expression that is valid but cannot be applied to the data it was given.

    ``positions``: the positions (0-based, in the frame evaluated) of the offending records, when known,
    so the caller can name the raw file rows and subjects.
    """

    def __init__(self, message: str, positions: list[int] | None = None):
        super().__init__(message)
        self.positions = positions or []


# ---------------------------------------------------------------------------
# Functions


def _text(value: Value) -> Value:
    if isinstance(value, pd.Series):
        if pd.api.types.is_string_dtype(value.dtype) or value.dtype == object:
            return value.astype("str")
        return value.astype("str").where(value.notna())
    return value if value is None or isinstance(value, str) else str(value)


def _str_method(name: str) -> Callable[[Value], Value]:
    def apply(value: Value) -> Value:
        value = _text(value)
        if isinstance(value, pd.Series):
            return getattr(value.str, name)()
        return None if value is None else getattr(value, name)()

    return apply


def _collapse_spaces(value: Value) -> Value:
    value = _text(value)
    if isinstance(value, pd.Series):
        return value.str.replace(r"\s+", " ", regex=True).str.strip()
    return None if value is None else re.sub(r"\s+", " ", value).strip()


def _substr(value: Value, start: int, length: int | None = None) -> Value:
    """SAS-style substring: ``start`` is 1-based."""
    if not isinstance(start, int) or start < 1:
        raise ExpressionDataError(f"substr(): start must be a whole number >= 1, got {start!r}")
    stop = None if length is None else start - 1 + int(length)
    value = _text(value)
    if isinstance(value, pd.Series):
        return value.str.slice(start - 1, stop)
    return None if value is None else value[start - 1 : stop]


def _is_missing(value: Value) -> Value:
    if isinstance(value, pd.Series):
        missing = value.isna()
        if pd.api.types.is_string_dtype(value.dtype) or value.dtype == object:
            missing |= value.astype("str").str.strip().eq("").fillna(True).astype(bool)
        return missing
    return value is None or (isinstance(value, float) and np.isnan(value)) or (isinstance(value, str) and not value.strip())


def _concat(*values: Value) -> Value:
    """Join values as text; a missing part counts as empty text.

    >>> _concat("S-", pd.Series(["01", None]), None, pd.Series([1.5, 2.0])).tolist()
    ['S-011.5', 'S-2.0']
    """
    series = [v for v in values if isinstance(v, pd.Series)]
    if not series:
        return "".join("" if v is None else str(v) for v in values)
    index = series[0].index
    if any(s.index is not index and not s.index.equals(index) for s in series):  # aligned on their labels
        out = pd.Series("", index=index, dtype="str")
        for value in values:
            if isinstance(value, pd.Series):
                out = out + _text(value).fillna("")
            elif value is not None:
                out = out + str(value)
        return out
    parts = [  # one Arrow join of every part, row by row
        pc.fill_null(arrow_text(_text(v).astype("str").array), "") if isinstance(v, pd.Series) else pa.scalar(str(v), _ARROW_TEXT)
        for v in values if v is not None
    ]
    joined = pc.binary_join_element_wise(*parts, pa.scalar("", _ARROW_TEXT))
    return pd.Series(pd.array(joined, dtype="str"), index=index, copy=False)


def _coalesce(*values: Value) -> Value:
    """The first value that is not missing (blank text counts as missing)."""
    result = values[-1]
    for value in reversed(values[:-1]):
        if isinstance(value, pd.Series):
            result = value.where(~_is_missing(value), result)
        elif not _is_missing(value):
            result = value
    return result


def _number(value: Value) -> Value:
    """Text to number; blanks become missing, anything else unparseable is an error."""
    if not isinstance(value, pd.Series):
        return None if _is_missing(value) else float(value)
    if pd.api.types.is_numeric_dtype(value.dtype) and value.dtype != bool:
        return value
    codes, distinct = pd.factorize(_text(value))  # each distinct text read once
    text = pd.Series(distinct, dtype="str").str.strip()
    numbers = pd.to_numeric(text, errors="coerce").astype(float).to_numpy()
    bad = np.append(np.isnan(numbers) & text.ne("").to_numpy(dtype=bool), False)[codes]  # (code -1: missing, not bad)
    if bad.any():
        examples = ", ".join(repr(v) for v in text.iloc[pd.unique(codes[bad])[:3]])
        name = value.name or "value"
        raise ExpressionDataError(
            f"number({name}): {int(bad.sum())} value(s) are not numbers, e.g. {examples}", np.flatnonzero(bad).tolist(),
        )
    return pd.Series(np.append(numbers, np.nan)[codes], index=value.index, name=value.name)  # (code -1: missing)


def _if_else(condition: Value, when_true: Value, when_false: Value) -> Value:
    condition = _as_condition(condition, "if_else()")
    if isinstance(condition, pd.Series):
        index = condition.index
        true = when_true if isinstance(when_true, pd.Series) else pd.Series(when_true, index=index)
        return true.where(condition, when_false)
    return when_true if condition else when_false


def _startswith(value: Value, prefix: str) -> Value:
    value = _text(value)
    if isinstance(value, pd.Series):
        return value.str.startswith(prefix).fillna(False).astype(bool)
    return value is not None and value.startswith(prefix)


def _contains(value: Value, part: str) -> Value:
    value = _text(value)
    if isinstance(value, pd.Series):
        return value.str.contains(part, regex=False).fillna(False).astype(bool)
    return value is not None and part in value


def _length(value: Value) -> Value:
    value = _text(value)
    if isinstance(value, pd.Series):
        return value.str.len()
    return None if value is None else len(value)


def _number_text(value: Value) -> Value:
    """A number as text: whole numbers without a decimal point (5.0 is "5"), others as the shortest exact decimal;
    text stays as it is, missing stays missing."""
    if not isinstance(value, pd.Series):
        return value if value is None or isinstance(value, str) else _number_text(pd.Series([value])).iloc[0]
    if pd.api.types.is_string_dtype(value.dtype) or value.dtype == object:
        return value.astype("str")
    numbers = value.astype(float)
    whole = numbers.notna() & (numbers % 1 == 0) & (numbers.abs() < 1e15)
    codes, distinct = pd.factorize(numbers.where(~whole))  # each other value formatted once
    formatted = np.array([np.format_float_positional(x, trim="-") for x in distinct] + [None], dtype=object)
    shown = pd.Series(formatted[codes], index=numbers.index, dtype="str")  # code -1 (whole or missing): the None at the end
    return shown.mask(whole, numbers.where(whole).astype("Int64").astype("str")).where(numbers.notna())


def _round(value: Value, digits: int = 0) -> Value:
    return value.round(digits) if isinstance(value, pd.Series) else round(value, digits)


def _whole(low: int, high: int) -> Callable[[Any], str | None]:
    def check(value: Any) -> str | None:
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            return f"must be a whole number from {low} to {high}, not {value!r}"
        return None

    return check


def _one_of(*options: str, pattern: str | None = None) -> Callable[[Any], str | None]:
    def check(value: Any) -> str | None:
        if isinstance(value, str) and (value in options or (pattern and re.fullmatch(pattern, value))):
            return None
        return f"must be one of {', '.join(repr(o) for o in options)}{' or ' + pattern if pattern else ''}, not {value!r}"

    return check


def _checked_math(name: str, function: Callable[[np.ndarray], np.ndarray], valid: Callable[[np.ndarray], np.ndarray], why: str):
    """A numeric function that refuses the values it is not defined for (naming them), never a silent NaN."""

    def apply(value: Value) -> Value:
        series = value if isinstance(value, pd.Series) else pd.Series([value], dtype=float)
        numbers = pd.to_numeric(series, errors="coerce").astype(float)
        present = numbers.notna().to_numpy()
        bad = present & ~valid(numbers.fillna(0).to_numpy())
        if bad.any():
            examples = ", ".join(repr(v) for v in numbers[bad].drop_duplicates().head(3))
            raise ExpressionDataError(f"{name}(): {int(bad.sum())} value(s) {why}, e.g. {examples}", np.flatnonzero(bad).tolist())
        with np.errstate(all="ignore"):
            result = pd.Series(np.where(present, function(numbers.fillna(1).to_numpy()), np.nan), index=series.index)
        return result if isinstance(value, pd.Series) else (None if np.isnan(result.iloc[0]) else float(result.iloc[0]))

    return apply


def _title(value: Value) -> Value:
    """Title case: the first letter of each word upper case, the rest lower case."""
    value = _text(value)
    if isinstance(value, pd.Series):
        return value.str.title()
    return None if value is None else value.title()


def _is_numeric(value: Value) -> Value:
    """True where the value is a number or text that reads as one (blank and missing are false)."""
    if not isinstance(value, pd.Series):
        return _is_numeric(pd.Series([value], dtype=object)).iloc[0]
    if pd.api.types.is_numeric_dtype(value.dtype) and value.dtype != bool:
        return value.notna()
    text = _text(value).str.strip()
    return pd.to_numeric(text, errors="coerce").notna() & text.notna() & text.ne("")


def _is_date(value: Value, form: str = "YYYY-MM-DD", year_cutoff: int = 1950) -> Value:
    """True where the text is a valid (possibly partial) date in the declared form; blank and missing are false.

    A two-digit year falls in the 100 years from ``year_cutoff`` (as SAS YEARCUTOFF; it decides whether 29-Feb-00 is valid).
    """
    from cdisc.sdtm.dates import InvalidDates, iso8601

    series = value if isinstance(value, pd.Series) else pd.Series([value], dtype="str")
    text = _text(series).astype("str")
    valid = ~_is_missing(text)
    try:
        iso8601(text.reset_index(drop=True), None, form, year_cutoff=year_cutoff)
    except InvalidDates as exc:
        bad = np.zeros(len(text), dtype=bool)
        bad[list(exc.rows)] = True
        valid &= ~pd.Series(bad, index=text.index)
    return valid if isinstance(value, pd.Series) else bool(valid.iloc[0])


def _date_form(value: Any) -> str | None:
    from cdisc.datepattern import PatternError, date_patterns

    try:
        date_patterns(value)
    except (PatternError, TypeError, ValueError) as exc:
        return f"must be a date form such as 'DD-MON-YYYY' ({exc})"
    return None


@dataclass(frozen=True)
class Function:
    """A function callable from expressions.

    ``literals`` maps an argument position to the check its literal must pass at parse time (a function
    of the literal returning an error text, or None); an argument listed there must be a literal, so a
    bad option (``impute_dt(X, "lst")``) or an unbounded number (``round(X, -100000000)``) is a spec
    error before anything runs. ``numeric`` lists the positions that must be numbers: a text literal
    there is a spec error, a text column a data error suggesting ``number()``.
    """

    call: Callable[..., Value]
    min_args: int
    max_args: int | None
    usage: str
    literals: Mapping[int, Callable[[Any], str | None]] = field(default_factory=dict)
    numeric: tuple[int, ...] = ()


FUNCTIONS: dict[str, Function] = {
    "upper": Function(_str_method("upper"), 1, 1, "upper(text)"),
    "lower": Function(_str_method("lower"), 1, 1, "lower(text)"),
    "strip": Function(_str_method("strip"), 1, 1, "strip(text)"),
    "collapse_spaces": Function(_collapse_spaces, 1, 1, "collapse_spaces(text)"),
    "substr": Function(_substr, 2, 3, "substr(text, start, length)", {1: _whole(1, 10_000), 2: _whole(0, 10_000)}),
    "concat": Function(_concat, 1, None, "concat(a, b, ...)"),
    "coalesce": Function(_coalesce, 1, None, "coalesce(a, b, ...)"),
    "is_missing": Function(_is_missing, 1, 1, "is_missing(value)"),
    "number": Function(_number, 1, 1, "number(text)"),
    "is_numeric": Function(_is_numeric, 1, 1, "is_numeric(text)"),
    "is_date": Function(_is_date, 1, 3, 'is_date(text, "DD-MON-YYYY", year_cutoff)', {1: _date_form, 2: _whole(1000, 9999)}),
    "title": Function(_title, 1, 1, "title(text)"),
    "sqrt": Function(_checked_math("sqrt", np.sqrt, lambda x: x >= 0, "are negative"), 1, 1, "sqrt(number)", numeric=(0,)),
    "log": Function(_checked_math("log", np.log, lambda x: x > 0, "are not above 0"), 1, 1, "log(number)", numeric=(0,)),
    "log10": Function(_checked_math("log10", np.log10, lambda x: x > 0, "are not above 0"), 1, 1, "log10(number)", numeric=(0,)),
    "exp": Function(_checked_math("exp", np.exp, lambda x: x <= 700, "are above 700 (the result would overflow)"), 1, 1, "exp(number)", numeric=(0,)),
    "if_else": Function(_if_else, 3, 3, "if_else(condition, value_if_true, value_if_false)"),
    "startswith": Function(_startswith, 2, 2, "startswith(text, prefix)"),
    "contains": Function(_contains, 2, 2, "contains(text, part)"),
    "length": Function(_length, 1, 1, "length(text)"),
    "text": Function(_number_text, 1, 1, "text(number)"),
    "abs": Function(lambda v: v.abs() if isinstance(v, pd.Series) else abs(v), 1, 1, "abs(number)", numeric=(0,)),
    "round": Function(_round, 1, 2, "round(number, digits)", {1: _whole(-15, 15)}, numeric=(0,)),
    "sas_date": Function(lambda v: _on_series(sas_date, v), 1, 1, "sas_date(iso_text)"),
    "sas_datetime": Function(lambda v: _on_series(sas_datetime, v), 1, 1, "sas_datetime(iso_text)"),
    "impute_dt": Function(
        lambda v, date="first": _on_series(lambda s: impute_date(s, "M", date)[0], v),
        1, 2, 'impute_dt(iso_text, "first" | "mid" | "last")', {1: _one_of("first", "mid", "last")},
    ),
    "max": Function(lambda *v: _rowwise("max", v), 1, None, "max(a, b, ...)", numeric=tuple(range(64))),
    "min": Function(lambda *v: _rowwise("min", v), 1, None, "min(a, b, ...)", numeric=tuple(range(64))),
    "impute_dtm": Function(
        lambda v, time="first": _on_series(lambda s: impute_datetime(s, "h", "first", time)[0], v),
        1, 2, 'impute_dtm(iso_text, "first" | "last" | "HH:MM:SS")', {1: _one_of("first", "last", pattern=r"\d{2}:\d{2}:\d{2}")},
    ),
    "impute_tmf": Function(
        lambda v, time="first": _on_series(lambda s: impute_datetime(s, "h", "first", time)[2], v),
        1, 2, 'impute_tmf(iso_text, "first" | "last" | "HH:MM:SS")', {1: _one_of("first", "last", pattern=r"\d{2}:\d{2}:\d{2}")},
    ),
}


def _rowwise(how: str, values: tuple[Value, ...]) -> Value:
    """Largest/smallest of the arguments on each row, ignoring missing values."""
    series = [v for v in values if isinstance(v, pd.Series)]
    if not series:
        present = [v for v in values if v is not None and not (isinstance(v, float) and np.isnan(v))]
        return (max if how == "max" else min)(present) if present else None
    frame = pd.concat([v if isinstance(v, pd.Series) else pd.Series(v, index=series[0].index) for v in values], axis=1)
    return frame.max(axis=1) if how == "max" else frame.min(axis=1)


def _on_series(function: Callable[[pd.Series], pd.Series], value: Value) -> Value:
    if isinstance(value, pd.Series):
        return function(value)
    return function(pd.Series([value], dtype="str")).iloc[0]


# ---------------------------------------------------------------------------
# Parsing and compiling

_COMPARE = {
    ast.Eq: lambda a, b: a == b,
    ast.NotEq: lambda a, b: a != b,
    ast.Lt: lambda a, b: a < b,
    ast.LtE: lambda a, b: a <= b,
    ast.Gt: lambda a, b: a > b,
    ast.GtE: lambda a, b: a >= b,
}
_ARITH = {
    ast.Add: lambda a, b: a + b,
    ast.Sub: lambda a, b: a - b,
    ast.Mult: lambda a, b: a * b,
    ast.Div: lambda a, b: a / b,
    ast.FloorDiv: lambda a, b: a // b,
    ast.Mod: lambda a, b: a % b,
    ast.Pow: lambda a, b: a**b,
}
#: The largest exponent of '**' (a literal), so that no expression computes for minutes.
MAX_POWER = 10
#: Expressions nest at most this deep and are at most this long (deeper is refused, never a crash).
MAX_DEPTH = 50
MAX_LENGTH = 5000
_SYMBOL = {ast.Eq: "==", ast.NotEq: "!=", ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">="}


@dataclass(frozen=True)
class Expression:
    """A parsed expression: its text, the names it reads, and a compiled evaluator."""

    source: str
    names: frozenset[str]
    _compiled: Compiled
    #: Names read only through ``raw()``: source columns, never a variable built in the dataset (so no build dependency).
    raw_only: frozenset[str] = frozenset()

    @property
    def dependencies(self) -> frozenset[str]:
        """The names that may be variables built earlier in the same dataset."""
        return self.names - self.raw_only

    def evaluate(self, frame: pd.DataFrame, constants: Mapping[str, Any] | None = None, memo: dict[str, Any] | None = None) -> Value:
        """Evaluate over ``frame``; a name in ``constants`` wins over a column of the same name.

        ``memo`` keeps the value of each function call by its text (``impute_dtm(EXSTDTC)``), so that
        expressions evaluated over the same records and constants compute a call once; the caller keeps one
        memo per such frame and constants.

        >>> frame, memo = pd.DataFrame({"X": [" a", "b "]}), {}
        >>> parse_expression('strip(X) == "a"').evaluate(frame, memo=memo).tolist(), sorted(memo)
        ([True, False], ['strip(X)'])
        >>> parse_expression("upper(strip(X))").evaluate(frame, memo=memo).tolist(), sorted(memo)
        (['A', 'B'], ['strip(X)', 'upper(strip(X))'])
        """
        constants = constants or {}
        missing = sorted(n for n in self.names if n not in frame.columns and n not in constants)
        if missing:
            known = [*map(str, frame.columns), *constants]
            raise ExpressionDataError(
                f"expression {self.source!r}: unknown name '{missing[0]}'{did_you_mean(missing[0], known)}"
            )
        # only what the expression reads: if_else cuts every column and constant it passes to a branch
        read = {n: constants[n] for n in self.names if n in constants}
        return self._compiled((frame.drop(columns=[n for n in frame.columns if n not in self.names]), read, memo))  # no copy

    def mask(self, frame: pd.DataFrame, constants: Mapping[str, Any] | None = None, memo: dict[str, Any] | None = None) -> pd.Series:
        """Evaluate a condition to a boolean Series aligned to ``frame`` (missing is false)."""
        value = _as_condition(self.evaluate(frame, constants, memo), f"expression {self.source!r}")
        if isinstance(value, pd.Series):
            return value
        return pd.Series(bool(value), index=frame.index)


def one_sided_calls(text: str, sides: list[frozenset[str]], constants: frozenset[str] = frozenset()) -> dict[str, int]:
    """The outermost function calls of ``text`` that read the columns of one of ``sides`` only (and perhaps
    ``constants``), by their text, with that side's number (the first side holding them all).

    An expression over pairs of records (a base record and another dataset's record) computes such a call once per
    record of its side rather than once per pair: see :func:`calls_as_columns`. A call in a branch of an ``if_else``
    that reads both sides is left alone (a branch is evaluated only on the records that take it).

    >>> one_sided_calls('sas_datetime(EXSTDTC) < sas_datetime(PCRFTDTC) and upper(EXTRT) == A',
    ...                 [frozenset({"PCRFTDTC", "A"}), frozenset({"EXSTDTC", "EXTRT"})])
    {'sas_datetime(EXSTDTC)': 1, 'sas_datetime(PCRFTDTC)': 0, 'upper(EXTRT)': 1}
    """
    found: dict[str, int] = {}

    def walk(node: ast.AST) -> None:
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id not in ("column", "raw"):
            names = _column_names(node) - constants
            side = next((i for i, columns in enumerate(sides) if names <= columns), None)
            if names and side is not None:
                found[ast.unparse(node)] = side
                return
            if node.func.id == "if_else":
                walk(node.args[0])  # (the condition is evaluated on every record; the branches are not)
                return
        for child in ast.iter_child_nodes(node):
            walk(child)

    walk(ast.parse(text.strip(), mode="eval").body)
    return found


def calls_as_columns(text: str, calls: frozenset[str] | set[str]) -> str:
    """``text`` reading each of ``calls`` (their text, as :func:`one_sided_calls` gives it) from a column of that name.

    >>> calls_as_columns('sas_date(EXSTDTC) <= ADT', {"sas_date(EXSTDTC)"})
    "column('sas_date(EXSTDTC)') <= ADT"
    """

    class Replace(ast.NodeTransformer):
        def visit_Call(self, node: ast.Call) -> ast.AST:
            if ast.unparse(node) in calls:
                return ast.Call(ast.Name("column", ast.Load()), [ast.Constant(ast.unparse(node))], [])
            return self.generic_visit(node)

    return ast.unparse(Replace().visit(ast.parse(text.strip(), mode="eval")))


def _column_names(node: ast.AST) -> set[str]:
    """The column names an expression's node reads (plain names, ``column("X")`` and ``raw("X")``)."""
    functions = {id(call.func) for call in ast.walk(node) if isinstance(call, ast.Call)}
    names = {part.id for part in ast.walk(node) if isinstance(part, ast.Name) and id(part) not in functions}
    names |= {
        part.args[0].value for part in ast.walk(node)
        if isinstance(part, ast.Call) and isinstance(part.func, ast.Name) and part.func.id in ("column", "raw")
        and part.args and isinstance(part.args[0], ast.Constant) and isinstance(part.args[0].value, str)
    }
    return names


def did_you_mean(name: str, candidates) -> str:
    """`` (did you mean 'X'?)`` for the closest candidate, or empty text."""
    close = difflib.get_close_matches(name, list(candidates), n=1, cutoff=0.6)
    if not close:
        upper = {str(c).upper(): c for c in candidates}
        if name.upper() in upper:
            close = [upper[name.upper()]]
    return f" (did you mean '{close[0]}'?)" if close else ""


def parse_expression(text: str, functions: Mapping[str, Function] = FUNCTIONS) -> Expression:
    """Parse and check ``text``; raise :class:`ExpressionError` saying what is not allowed."""
    if not isinstance(text, str) or not text.strip():
        raise ExpressionError("expression is empty")
    if len(text) > MAX_LENGTH:
        raise ExpressionError(f"expression of {len(text)} characters is longer than the {MAX_LENGTH} allowed; split it over temporary variables")
    if _nesting(text) > MAX_DEPTH:
        raise ExpressionError(f"expression {text[:60]!r}...: nested more than {MAX_DEPTH} levels deep; split it over temporary variables")
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as exc:
        raise ExpressionError(_syntax_hint(text, exc)) from None
    except (RecursionError, MemoryError):
        raise ExpressionError(f"expression {text[:60]!r}...: nested too deeply; split it over temporary variables") from None
    compiler = _Compiler(text.strip(), functions)
    compiled = compiler.compile(tree.body)
    raw_only = frozenset(compiler.raw_names - compiler.plain_names)
    return Expression(text.strip(), frozenset(compiler.names), compiled, raw_only)


def _nesting(text: str) -> int:
    """How deep brackets nest in ``text`` (outside quotes), to refuse deep nesting before Python's parser recurses."""
    depth = deepest = 0
    quote = ""
    for char in text:
        if quote:
            quote = "" if char == quote else quote
        elif char in "\"'":
            quote = char
        elif char in "([{":
            depth += 1
            deepest = max(deepest, depth)
        elif char in ")]}":
            depth -= 1
    operators = len(re.findall(r"\bnot\b|[-+]\s*[-+]", text))
    return max(deepest, operators)


def _syntax_hint(text: str, exc: SyntaxError) -> str:
    if re.search(r"(?<![=!<>])=(?!=)", text):
        return f"expression {text!r}: use '==' to compare"
    if "&&" in text or "||" in text:
        return f"expression {text!r}: use 'and' / 'or' instead of '&&' / '||'"
    column = f" at column {exc.offset}" if exc.offset else ""
    hint = ""
    if "was never closed" in exc.msg:
        hint = "; inside a {key: value, ...} mapping, quote an expression that contains commas"
    return f"expression {text!r}: not a valid expression{column} ({exc.msg}){hint}"


class _Compiler:
    """Walks a whitelisted AST and returns closures; refuses everything else."""

    def __init__(self, source: str, functions: Mapping[str, Function]):
        self.source = source
        self.functions = functions
        self.names: set[str] = set()
        self.plain_names: set[str] = set()
        self.raw_names: set[str] = set()

    def refuse(self, node: ast.AST, what: str) -> ExpressionError:
        col = getattr(node, "col_offset", None)
        where = f" at column {col + 1}" if col is not None else ""
        return ExpressionError(f"expression {self.source!r}: {what}{where} is not allowed in specs")

    def compile(self, node: ast.AST) -> Compiled:
        method = getattr(self, f"_{type(node).__name__}", None)
        if method is None:
            raise self.refuse(node, _describe(node))
        return method(node)

    def _Constant(self, node: ast.Constant) -> Compiled:
        if not isinstance(node.value, (str, int, float, bool, type(None))):
            raise self.refuse(node, f"the literal {node.value!r}")
        value = node.value
        return lambda env: value

    def _Name(self, node: ast.Name) -> Compiled:
        name = node.id
        self.names.add(name)
        self.plain_names.add(name)

        def lookup(env: Env) -> Value:
            frame, constants, _ = env
            return plain_text(constants[name] if name in constants else frame[name])

        return lookup

    def _Attribute(self, node: ast.Attribute) -> Compiled:
        """``AVAL.SYSBP``: a dotted column name, as admiral names the wide columns of a computed parameter."""
        parts, inner = [node.attr], node.value
        while isinstance(inner, ast.Attribute):
            parts.append(inner.attr)
            inner = inner.value
        if not isinstance(inner, ast.Name):
            raise self.refuse(node, "attribute access (a.b) on something that is not a name; a column whose name has a dot is written column(\"A.B\")")
        if any(part.startswith("_") for part in parts):
            raise self.refuse(node, "a name starting with '_'")
        return self._Name(ast.Name(id=".".join([inner.id, *reversed(parts)]), ctx=ast.Load()))

    def _BoolOp(self, node: ast.BoolOp) -> Compiled:
        parts = [self.compile(v) for v in node.values]
        combine = (lambda a, b: a & b) if isinstance(node.op, ast.And) else (lambda a, b: a | b)
        word = "and" if isinstance(node.op, ast.And) else "or"

        def run(env: Env) -> Value:
            result = _as_condition(parts[0](env), f"'{word}' in {self.source!r}")
            for part in parts[1:]:
                result = combine(result, _as_condition(part(env), f"'{word}' in {self.source!r}"))
            return result

        return run

    def _UnaryOp(self, node: ast.UnaryOp) -> Compiled:
        operand = self.compile(node.operand)
        if isinstance(node.op, ast.Not):
            return lambda env: _negate(_as_condition(operand(env), f"'not' in {self.source!r}"))
        if isinstance(node.op, ast.USub):
            return lambda env: -operand(env)
        if isinstance(node.op, ast.UAdd):
            return operand
        raise self.refuse(node, "the operator '~'")

    def _BinOp(self, node: ast.BinOp) -> Compiled:
        if isinstance(node.op, ast.Pow):
            exponent = node.right.value if isinstance(node.right, ast.Constant) else None
            if isinstance(node.right, ast.UnaryOp) and isinstance(node.right.operand, ast.Constant):
                operand = node.right.operand.value
                exponent = -operand if isinstance(node.right.op, ast.USub) and isinstance(operand, (int, float)) else None
            if isinstance(exponent, bool) or not isinstance(exponent, (int, float)) or abs(exponent) > MAX_POWER:
                raise ExpressionError(
                    f"expression {self.source!r}: the power '**' needs a literal exponent from -{MAX_POWER} to {MAX_POWER}"
                )
        op = _ARITH.get(type(node.op))
        if op is None:
            raise self.refuse(node, f"the operator {type(node.op).__name__}")
        divides = isinstance(node.op, (ast.Div, ast.FloorDiv, ast.Mod))
        if divides and isinstance(node.right, ast.Constant) and node.right.value == 0:
            raise ExpressionError(f"expression {self.source!r}: division by zero")
        left, right = self.compile(node.left), self.compile(node.right)
        source = self.source

        def run(env: Env) -> Value:
            a, b = left(env), right(env)
            _check_numeric_pair(a, b, source, node)
            if divides:
                _check_divisor(b, source)
            return op(a, b)

        return run

    def _Compare(self, node: ast.Compare) -> Compiled:
        operands = [self.compile(node.left)]
        checks: list[Callable[[Value, Value], Value]] = []
        for op, right in zip(node.ops, node.comparators):
            if isinstance(op, (ast.In, ast.NotIn)):
                checks.append(self._membership(op, right))
                operands.append(lambda env: None)
                continue
            compare = _COMPARE.get(type(op))
            if compare is None:
                raise self.refuse(node, f"the comparison '{type(op).__name__}'")
            operands.append(self.compile(right))
            checks.append(self._comparison(compare, _SYMBOL[type(op)], node))

        def run(env: Env) -> Value:
            values = [operand(env) for operand in operands]
            result = None
            for i, check in enumerate(checks):
                part = check(values[i], values[i + 1])
                result = part if result is None else result & part
            return result

        return run

    def _comparison(self, compare, symbol: str, node: ast.AST):
        source = self.source

        def check(a: Value, b: Value) -> Value:
            if symbol not in ("==", "!="):
                _check_numeric_pair(a, b, source, node)
            result = compare(a, b)
            return _fill_condition(result, symbol == "!=")

        return check

    def _membership(self, op: ast.cmpop, right: ast.AST):
        if not isinstance(right, (ast.List, ast.Tuple, ast.Set)):
            raise self.refuse(right, "'in' needs a list of literals such as (\"A\", \"B\"); this")
        values = []
        for element in right.elts:
            if not isinstance(element, ast.Constant):
                raise self.refuse(element, "'in' needs a list of literals; a non-literal element")
            values.append(element.value)
        negate = isinstance(op, ast.NotIn)

        def check(a: Value, _unused: Value) -> Value:
            hit = a.isin(values) if isinstance(a, pd.Series) else a in values
            return _negate(hit) if negate else hit

        return check

    def _Call(self, node: ast.Call) -> Compiled:
        if not isinstance(node.func, ast.Name):
            raise self.refuse(node, "calling a method or attribute")
        name = node.func.id
        if name in ("column", "raw"):
            return self._column(node, raw=name == "raw")
        function = self.functions.get(name)
        if function is None:
            raise ExpressionError(
                f"expression {self.source!r}: unknown function '{name}'{did_you_mean(name, self.functions)}; "
                f"known functions: {', '.join(sorted(self.functions))}"
            )
        if node.keywords:
            raise self.refuse(node, f"a keyword argument in {name}()")
        n = len(node.args)
        if n < function.min_args or (function.max_args is not None and n > function.max_args):
            raise ExpressionError(f"expression {self.source!r}: {name}() takes {_arity(function)}; usage: {function.usage}")
        for position, check in function.literals.items():
            if position < n:
                self._literal_argument(name, function, position, node.args[position], check)
        for position in function.numeric:
            arg = node.args[position] if position < n else None
            if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                raise ExpressionError(
                    f"expression {self.source!r}: argument {position + 1} of {name}() must be a number, not the text "
                    f"{arg.value!r}; usage: {function.usage}"
                )
        args = [self.compile(arg) for arg in node.args]
        if name == "if_else":  # its arity (3) is checked above
            condition, when_true, when_false = args
            constant = (not _reads_records(node.args[1]), not _reads_records(node.args[2]))
            return _lazy_if_else(condition, when_true, when_false, self.source, constant)
        numeric = [p for p in function.numeric if p < n]
        source, text = self.source, ast.unparse(node)

        def call(env: Env) -> Value:
            memo = env[2]
            if memo is not None and text in memo:
                kept = memo[text]
                return kept.copy(deep=False) if isinstance(kept, pd.Series) else kept  # a new object: changing it changes no other
            values = [arg(env) for arg in args]
            for position in numeric:
                if _is_text(values[position]):
                    shown = getattr(values[position], "name", None) or "an argument"
                    raise ExpressionDataError(
                        f"expression {source!r}: {shown} is text but {name}() needs a number; convert it with number({shown})"
                    )
            value = function.call(*values)
            if memo is not None:
                memo[text] = value.copy(deep=False) if isinstance(value, pd.Series) else value
            return value

        return call

    def _literal_argument(self, name: str, function: Function, position: int, arg: ast.AST, check) -> None:
        value = arg.value if isinstance(arg, ast.Constant) else None
        if isinstance(arg, ast.UnaryOp) and isinstance(arg.op, ast.USub) and isinstance(arg.operand, ast.Constant):
            value = -arg.operand.value if isinstance(arg.operand.value, (int, float)) else None
        elif not isinstance(arg, ast.Constant):
            raise ExpressionError(
                f"expression {self.source!r}: argument {position + 1} of {name}() must be written as a literal "
                f"value, not computed; usage: {function.usage}"
            )
        problem = check(value)
        if problem:
            raise ExpressionError(f"expression {self.source!r}: argument {position + 1} of {name}() {problem}; usage: {function.usage}")

    def _column(self, node: ast.Call, raw: bool) -> Compiled:
        """``column("IT.AGE")``: a name that is not an identifier; ``raw("DSCAT")``: the source column
        even where a variable of the same name was already built."""
        what = "raw" if raw else "column"
        if len(node.args) != 1 or node.keywords or not isinstance(node.args[0], ast.Constant) or not isinstance(node.args[0].value, str):
            raise ExpressionError(f'expression {self.source!r}: {what}() takes one quoted column name, e.g. {what}("DSCAT")')
        name = node.args[0].value
        if not raw:
            return self._Name(ast.Name(id=name, ctx=ast.Load()))
        self.names.add(name)
        self.raw_names.add(name)
        return lambda env: plain_text(env[0][name])

    def _List(self, node: ast.List) -> Compiled:
        raise self.refuse(node, "a list outside of 'in'")

    _Tuple = _List


def _arity(function: Function) -> str:
    if function.max_args is None:
        return f"at least {function.min_args} argument(s)"
    if function.min_args == function.max_args:
        return f"{function.min_args} argument(s)"
    return f"{function.min_args} to {function.max_args} arguments"


def _describe(node: ast.AST) -> str:
    return {
        "Subscript": "indexing (a[b])",
        "Lambda": "a lambda",
        "ListComp": "a comprehension",
        "SetComp": "a comprehension",
        "DictComp": "a comprehension",
        "GeneratorExp": "a generator",
        "IfExp": "'x if c else y' (use if_else(c, x, y))",
        "NamedExpr": "assignment (:=)",
        "Dict": "a dict literal",
        "Starred": "argument unpacking (*)",
        "JoinedStr": "an f-string",
        "Await": "await",
        "Yield": "yield",
    }.get(type(node).__name__, f"'{type(node).__name__}'")


def _is_text(value: Value) -> bool:
    if isinstance(value, pd.Series):
        return pd.api.types.is_string_dtype(value.dtype) or value.dtype == object
    return isinstance(value, str)


def _is_number(value: Value) -> bool:
    if isinstance(value, pd.Series):
        return pd.api.types.is_numeric_dtype(value.dtype) and value.dtype != bool
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _check_divisor(b: Value, source: str) -> None:
    """Division by zero is an error naming the records (never an infinite value)."""
    if isinstance(b, pd.Series):
        zero = b.eq(0).fillna(False).to_numpy(dtype=bool)
        if zero.any():
            raise ExpressionDataError(f"expression {source!r}: division by zero on {int(zero.sum())} record(s)", np.flatnonzero(zero).tolist())
    elif b is not None and not isinstance(b, str) and b == 0:
        raise ExpressionDataError(f"expression {source!r}: division by zero")


def _subset(env: Env, mask: np.ndarray) -> Env:
    """The records under ``mask`` (a variable built earlier is cut to them too; no memo: other records)."""
    frame, constants, _ = env
    return frame.loc[mask], {k: v.loc[mask] if isinstance(v, pd.Series) else v for k, v in constants.items()}, None


def _reads_records(node: ast.AST) -> bool:
    """Whether an expression's value depends on the records: it names a column (a function's name is no column)."""
    functions = {id(call.func) for call in ast.walk(node) if isinstance(call, ast.Call)}
    return any(
        (isinstance(part, ast.Name) and id(part) not in functions)
        or (isinstance(part, ast.Call) and isinstance(part.func, ast.Name) and part.func.id in ("column", "raw"))
        for part in ast.walk(node)
    )


def _lazy_if_else(
    condition: Compiled, when_true: Compiled, when_false: Compiled, source: str, constant: tuple[bool, bool] = (False, False)
) -> Compiled:
    """``if_else``: each branch is evaluated only on the records that take it (so ``if_else(X > 0, log(X), None)``
    never fails on the records where X is not above 0); a ``constant`` branch (reading no column) once, without
    cutting the records."""

    def run(env: Env) -> Value:
        chosen = _as_condition(condition(env), f"if_else() in {source!r}")
        if not isinstance(chosen, pd.Series):
            return when_true(env) if chosen else when_false(env)
        mask = chosen.to_numpy(dtype=bool)
        parts = [(rows, branch(env) if fixed else _at_rows(branch, env, rows))
                 for branch, rows, fixed in ((when_true, mask, constant[0]), (when_false, ~mask, constant[1])) if rows.any()]
        text = _text_of_parts(parts, chosen.index)
        if text is not None:
            return text
        result = pd.Series(None, index=chosen.index, dtype=object)
        for rows, part in parts:
            result.loc[rows] = part.to_numpy() if isinstance(part, pd.Series) else part
        return result.infer_objects()

    return run


def _text_of_parts(parts: list[tuple[np.ndarray, Value]], index: pd.Index) -> pd.Series | None:
    """The records' values of ``if_else``'s branches as text when each branch is text (a text column or literal, or
    missing) and some record has one: what joining them as objects and inferring their type gives, without an object
    per record. None otherwise.

    >>> _text_of_parts([(np.array([True, False]), "A"), (np.array([False, True]), None)], pd.RangeIndex(2)).tolist()
    ['A', nan]
    """
    if not all(value is None or isinstance(value, str) or (isinstance(value, pd.Series) and value.dtype == TEXT) for _, value in parts):
        return None
    if not any(isinstance(value, str) or (isinstance(value, pd.Series) and value.notna().any()) for _, value in parts):
        return None  # (no text at all: objects, as inferred)
    pieces, at, offset = [], np.full(len(index), -1, dtype=np.int64), 0
    for rows, value in parts:
        values = value.array if isinstance(value, pd.Series) else pd.array([value], dtype="str")
        positions = np.arange(int(rows.sum())) if isinstance(value, pd.Series) else np.zeros(int(rows.sum()), dtype=np.int64)
        at[rows] = positions + offset
        pieces.append(values)
        offset += len(values)
    joined = type(pieces[0])._concat_same_type(pieces)
    return pd.Series(joined.take(at, allow_fill=True), index=index)


def _at_rows(branch: Compiled, env: Env, rows: np.ndarray) -> Value:
    try:
        return branch(_subset(env, rows))
    except ExpressionDataError as exc:
        positions = np.flatnonzero(rows)[exc.positions].tolist() if exc.positions else []
        raise ExpressionDataError(str(exc), positions) from None


def _check_numeric_pair(a: Value, b: Value, source: str, node: ast.AST) -> None:
    if (_is_text(a) and _is_number(b)) or (_is_number(a) and _is_text(b)):
        text_side = a if _is_text(a) else b
        name = text_side.name if isinstance(text_side, pd.Series) else repr(text_side)
        if name is None:
            raise ExpressionDataError(f"expression {source!r}: a text value is used as a number; convert it with number()")
        raise ExpressionDataError(
            f"expression {source!r}: '{name}' is text but is used as a number; convert it with number({name})"
        )


def _fill_condition(value: Value, missing_as: bool) -> Value:
    if isinstance(value, pd.Series):
        if value.dtype != bool:
            value = value.astype("boolean").fillna(missing_as).astype(bool)
        return value
    return missing_as if value is None or value is pd.NA else bool(value)


def _as_condition(value: Value, where: str) -> Value:
    if isinstance(value, pd.Series):
        if value.dtype == bool:
            return value
        if str(value.dtype) == "boolean":
            return value.fillna(False).astype(bool)
        shown = f"'{value.name}'" if value.name is not None else "the result"
        raise ExpressionDataError(f"{where}: {shown} is not a condition (true/false); compare it with a value")
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    raise ExpressionDataError(f"{where}: {value!r} is not a condition (true/false)")


def _negate(value: Value) -> Value:
    return ~value if isinstance(value, pd.Series) else not value
