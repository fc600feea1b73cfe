"""The records a rule builds a variable for, and the one way both engines evaluate expressions on them.

A rule reads its records through :class:`Records`: columns of the source records (raw rows in SDTM,
base records in ADaM) and the variables built so far (which win over a source column of the same
name), expressions evaluated to a value aligned to the records, and conditions that must be
true/false (a text or missing result is an error, in both engines). Errors name the dataset,
variable, the records (raw file rows in SDTM) and subjects.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from cdisc.arrowtext import TEXT, is_text_per_record, plain_text
from cdisc.errors import DataError
from cdisc.raw import FILE, ROW
from cdisc.spec.base import parsed
from cdisc.spec.expr import ExpressionDataError

if TYPE_CHECKING:
    from cdisc.spec.load import Study
    from cdisc.terminology import CodelistTerms




@dataclass
class Records:
    """What a rule may read while building ``dataset.variable``."""

    study: Study
    dataset: str
    variable: str
    frame: pd.DataFrame
    out: dict[str, pd.Series]
    built: dict[str, pd.DataFrame]
    warnings: list[str | DataError] = field(default_factory=list)  # plain text, or data errors that name records
    with_qualifiers: dict[str, pd.DataFrame] = field(default_factory=dict, kw_only=True)  # other datasets joined with their SUPP--
    memos: dict[int, tuple[pd.DataFrame, dict]] = field(default_factory=dict, kw_only=True)  # per other dataset: its function calls' values
    reused: dict[Any, tuple[tuple, Any]] = field(default_factory=dict, kw_only=True)  # see :meth:`once`

    @property
    def index(self) -> pd.Index:
        return self.frame.index

    @property
    def scope(self) -> dict[str, Any]:
        """Names an expression reads besides source columns: STUDYID, DCUTDTC (the run's data cutoff, ISO 8601;
        missing without one) and the variables built so far."""
        cutoff = getattr(self.study, "data_cutoff", None)
        return {"STUDYID": self.study.spec.study.id, "DCUTDTC": cutoff.isoformat() if cutoff else None, **self.out}

    def column(self, name: str) -> pd.Series:
        """A variable built so far or, failing that, the source records' column (text merged onto every record as text)."""
        return plain_text(self.out[name] if name in self.out else self.frame[name])

    def identity(self, name: str) -> pd.Series:
        """What :meth:`column` reads of ``name``, as the same object while it is the same column (a variable built so far
        as it is held, not its text made anew), for the ``inputs`` of :meth:`once`.

        >>> from cdisc.arrowtext import text_per_record
        >>> held = text_per_record(pd.Series(["S-1"], dtype="str"), np.array([0, 0]))
        >>> records = Records(None, "ADLB", "BASE", pd.DataFrame(index=range(2)), {"USUBJID": held}, {})
        >>> records.identity("USUBJID") is records.identity("USUBJID"), records.column("USUBJID") is records.column("USUBJID")
        (True, False)
        """
        return self.out[name] if name in self.out else self.column(name)

    def once(self, key: Any, inputs: tuple, make: Callable[[], Any]) -> Any:
        """``make()``, made once for ``key`` while it is made from the very same ``inputs`` (the objects themselves:
        columns, datasets), e.g. the records several merged variables take their values from.

        >>> import pandas as pd
        >>> records, usubjid, calls = Records(None, "ADVS", "AGE", pd.DataFrame(), {}, {}), pd.Series(["1"]), []
        >>> [records.once("picked", (usubjid,), lambda: calls.append(1) or len(calls)) for _ in range(2)]
        [1, 1]
        >>> records.once("picked", (usubjid.copy(),), lambda: calls.append(1) or len(calls))  # other inputs: made again
        2
        """
        kept = self.reused.get(key)
        if kept is not None and len(kept[0]) == len(inputs) and all(a is b for a, b in zip(kept[0], inputs)):
            return kept[1]
        made = make()
        self.reused[key] = (inputs, made)  # the inputs are kept with it: their ids stay their own
        return made

    def other(self, params: Any) -> pd.DataFrame:
        """The dataset a merge rule reads, with its SUPP-- qualifiers as columns when ``params.supp`` (joined once)."""
        from cdisc.adam.supp import with_supp

        if not getattr(params, "supp", False):
            return self.built[params.dataset]
        if params.dataset not in self.with_qualifiers:
            self.with_qualifiers[params.dataset] = with_supp(self.built[params.dataset], self.built.get(f"SUPP{params.dataset}"))
        return self.with_qualifiers[params.dataset]

    @property
    def constants(self) -> dict[str, Any]:
        """Names an expression over another dataset reads besides its columns: STUDYID."""
        return {"STUDYID": self.study.spec.study.id}

    def typed(self, values: pd.Series, data_type: str) -> pd.Series:
        """A rule's values as the variable's type: text as ``str``; numbers as float64, where text that is not a
        number, and a fraction in an integer variable, are errors naming the records."""
        if data_type not in ("integer", "float"):  # text as str (a new Series object: no two variables share one)
            if values.dtype == TEXT or is_text_per_record(values.dtype):
                return values.copy(deep=False)  # (text merged onto every record stays held once per distinct value)
            return values.astype("str").where(values.notna())
        values = plain_text(values)
        if values.dtype == np.float64:  # numbers already
            numbers = values.copy(deep=False)
        else:
            numbers = pd.to_numeric(values, errors="coerce")
            bad = numbers.isna() & values.notna()
            if bad.any():  # blank text is missing, not bad (formatting every value as text only when needed)
                bad &= values.astype("str").str.strip().ne("")
            if bad.any():
                examples = ", ".join(repr(v) for v in values[bad].drop_duplicates().head(3))
                raise self.fail(f"{int(bad.sum())} value(s) are not numbers ({examples})", bad, values)
            numbers = numbers.astype(float)
        if data_type == "integer":
            with np.errstate(invalid="ignore"):  # missing and infinite values have no fraction
                x = numbers.to_numpy(dtype=float)
                fraction = x - np.floor(x) > 1e-9  # (np.remainder(x, 1), ten times slower)
            if fraction.any():
                examples = ", ".join(repr(v) for v in numbers[fraction].drop_duplicates().head(3))
                raise self.fail(
                    f"{int(fraction.sum())} value(s) are not whole numbers ({examples}) but the variable's type is integer",
                    fraction, values, hint="round the value, or declare the type float",
                )
        return numbers

    def collected(self, name: str) -> pd.Series:
        """What a rule's ``from``-style field names: in ADaM, as :meth:`column`."""
        return self.column(name)

    def columns(self, names) -> pd.DataFrame:
        """Several of :meth:`column` as one frame (each name once)."""
        return pd.DataFrame({n: self.column(n) for n in dict.fromkeys(names)}, index=self.index)

    def series(self, value: Any) -> pd.Series:
        """``value`` as a Series aligned to the records (a scalar is repeated)."""
        return value if isinstance(value, pd.Series) else pd.Series(value, index=self.index)

    def on_other(self, text: str, other: pd.DataFrame, condition: bool = False) -> pd.Series:
        """An expression (a ``condition``) over the records of ``other``, a dataset a merge rule reads, with
        :attr:`constants`; a function call the variables built so far made on ``other`` is not made again."""
        kept = self.memos.setdefault(id(other), (other, {}))  # the frame is kept with its memo: its id stays its own
        memo = kept[1] if kept[0] is other else None
        if condition:
            return self.condition(text, other, self.constants, memo)
        return self.evaluate(text, other, self.constants, memo)

    def evaluate(self, text: str, frame: pd.DataFrame | None = None, scope: dict | None = None, memo: dict | None = None) -> pd.Series:
        """The value of an expression on every record (or on ``frame`` with ``scope``; ``memo``: see :meth:`Expression.evaluate`)."""
        target = self.frame if frame is None else frame
        try:
            value = parsed(text).evaluate(target, self.scope if scope is None else scope, memo)
        except ExpressionDataError as exc:
            raise self.fail(_about(f"expression {text!r}", text, exc), self._at(exc, target)) from None
        return value if isinstance(value, pd.Series) else pd.Series(value, index=target.index)

    def condition(self, text: str, frame: pd.DataFrame | None = None, scope: dict | None = None, memo: dict | None = None) -> pd.Series:
        """A condition on every record: true or false; a result that is text or missing is an error."""
        target = self.frame if frame is None else frame
        try:
            return parsed(text).mask(target, self.scope if scope is None else scope, memo)
        except ExpressionDataError as exc:
            raise self.fail(_about(f"condition {text!r}", text, exc), self._at(exc, target)) from None

    def _at(self, exc: ExpressionDataError, target: pd.DataFrame) -> pd.Series | None:
        if not exc.positions or target is not self.frame:
            return None
        mask = np.zeros(len(target), dtype=bool)
        mask[exc.positions] = True
        return pd.Series(mask, index=target.index)

    def where(self, mask: pd.Series | np.ndarray, limit: int = 5) -> str:
        """``records 3, 7 (subjects X, Y)`` for the first records under ``mask``."""
        rows = self.frame.loc[np.asarray(mask, dtype=bool)]
        numbers = ", ".join(str(r + 1) for r in np.flatnonzero(np.asarray(mask, dtype=bool))[:limit])
        return f"records {numbers}{self._more(rows, limit)}{self._subjects(rows, limit)}"

    @staticmethod
    def _more(rows: pd.DataFrame, limit: int) -> str:
        return f" and {len(rows) - limit} more" if len(rows) > limit else ""

    def _subjects(self, rows: pd.DataFrame, limit: int) -> str:
        usubjid = self.out.get("USUBJID", self.frame.get("USUBJID"))
        if usubjid is None:
            return ""
        found = sorted(map(str, usubjid[rows.index].dropna().unique()[:limit]))
        return f" (subjects {', '.join(found)})" if found else ""

    def fail(
        self, message: str, mask: pd.Series | np.ndarray | None = None, values: pd.Series | None = None, hint: str = ""
    ) -> DataError:
        """A data error naming ``dataset.variable`` and, with ``mask``, the records and subjects (also as data,
        with the collected ``values``, for the run's query list), then the ``hint`` saying what to do."""
        at = f" at {self.where(mask)}" if mask is not None and np.asarray(mask, dtype=bool).any() else ""
        text = f"{self.dataset}.{self.variable}: {message}{at}" + (f"; {hint}" if hint else "")
        return self.locate(DataError(text), mask, values)

    def locate(self, error: DataError, mask: pd.Series | np.ndarray | None, values: pd.Series | None = None) -> DataError:
        """``error`` naming this dataset and variable and carrying the records under ``mask`` as data:
        raw file, row (record number without one), subject and collected value of each."""
        error.dataset, error.variable = self.dataset, self.variable
        hit = None if mask is None else np.asarray(mask, dtype=bool)
        if hit is None or not hit.any():
            return error
        rows = self.frame.loc[hit]
        usubjid = self.out.get("USUBJID", self.frame.get("USUBJID"))
        error.files = tuple(rows[FILE].astype("str")) if FILE in rows.columns else ()
        error.raw_rows = tuple(rows[ROW].astype(int)) if ROW in rows.columns else tuple(np.flatnonzero(hit) + 1)
        error.subjects = () if usubjid is None else tuple(usubjid[rows.index].astype("str").fillna(""))
        error.values = () if values is None else tuple(values[rows.index].astype("str").fillna(""))
        return error


def _about(what: str, text: str, exc: ExpressionDataError) -> str:
    """``what: message``, unless the message already starts with the expression itself."""
    message = str(exc)
    return message if message.startswith((f"{text}:", f"expression {text!r}")) else f"{what}: {message}"


@dataclass
class SdtmRecords(Records):
    """SDTM: the source records are raw rows (with their file and row number) or records of a spec."""

    codelists: Callable[[str], CodelistTerms] | None = None
    keys: list[str] = field(default_factory=list)
    codelist: str | None = None
    tests: pd.DataFrame | None = None  # findings: each record's test fields, aligned to the raw rows
    value_level: list[Any] = field(default_factory=list)  # the variable's value-level metadata (ValueLevel)

    @property
    def raw(self) -> pd.DataFrame:
        return self.frame

    def selects(self, where: dict[str, list]) -> pd.Series:
        """The records a value-level ``where`` selects: each named variable takes one of its listed values.

        >>> import pandas as pd
        >>> rows = SdtmRecords(None, "DS", "DSDECOD", pd.DataFrame(index=range(3)), {"DSCAT": pd.Series(["A", "B", None])}, {})
        >>> rows.selects({"DSCAT": ["B", "C"]}).tolist()
        [False, True, False]
        """
        hit = pd.Series(True, index=self.index)
        for name, values in where.items():
            column = self.column(name)
            if pd.api.types.is_numeric_dtype(column):
                hit &= column.isin(pd.to_numeric(pd.Series(values), errors="coerce").dropna())
            else:
                hit &= column.astype("str").isin([str(v) for v in values]).fillna(False).astype(bool)
        return hit

    def level_codelists(self) -> list[tuple[str, str, pd.Series]]:
        """Each value level that names a codelist: the codelist, its where clause in words and the records it selects."""
        return [
            (level.codelist, where_text(level.where), self.selects(level.where)) for level in self.value_level if level.codelist
        ]

    def collected(self, name: str) -> pd.Series:
        """What a ``from``-style field names: the raw column, or a (temporary) variable built earlier."""
        return plain_text(self.frame[name]) if name in self.frame.columns else self.out[name]

    def where(self, mask: pd.Series | np.ndarray, limit: int = 5) -> str:
        """``ae.csv rows 12, 40 (subjects X, Y)`` for the first rows under ``mask``."""
        if FILE not in self.frame.columns:
            return super().where(mask, limit)
        rows = self.frame.loc[np.asarray(mask, dtype=bool)]
        files = ", ".join(sorted(rows[FILE].unique()))
        numbers = ", ".join(str(r) for r in rows[ROW].head(limit))
        return f"{files} rows {numbers}{self._more(rows, limit)}{self._subjects(rows, limit)}"


def where_text(where: dict[str, list]) -> str:
    """A value-level where clause in words: ``DSCAT = OTHER EVENT``, ``VSTESTCD in [SYSBP, DIABP]``."""
    return " and ".join(f"{n} = {v[0]}" if len(v) == 1 else f"{n} in [{', '.join(map(str, v))}]" for n, v in where.items())


@dataclass
class AdamRecords(Records):
    """ADaM: the source records are the base records (one per record of the source dataset)."""

    flags: dict[tuple[str, str], pd.Series] = field(default_factory=dict)



def run_step(step: Any, index: int, what: str, records: AdamRecords, missing: str) -> pd.DataFrame:
    """Record step ``index`` (0-based) of a dataset over ``records.frame``: its records, in order.

    Every error names the dataset and the step (``ADVS: step 3 (derive_param_computed): ...``); a column the
    step reads but the records lack is said so, followed by ``missing`` (what the user should do).
    """
    from cdisc.rules import get

    name, params = step.rule
    where = f"{records.dataset}: {what} {index + 1} ({name})"
    try:
        return get(name).build(params, records).reset_index(drop=True)
    except KeyError as exc:
        raise DataError(f"{where} reads {exc.args[0]}, {missing}") from None
    except (ValueError, UserWarning) as exc:
        raise DataError(f"{where}: {exc}") from None
    except DataError as exc:
        if not str(exc).startswith(records.dataset):
            raise DataError(f"{where}: {exc}") from None
        raise
