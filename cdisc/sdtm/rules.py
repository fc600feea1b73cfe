"""The SDTM variable rules: each builds one variable's values for all source rows at once.

A rule function takes the rule's parameters and a :class:`RuleInput` (the raw
rows, the variables built so far, the study) and returns a Series aligned to
the raw rows. Errors name the dataset, variable, raw file, rows and subjects.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from cdisc.errors import DataError
from cdisc.raw import FILE, ROW
from cdisc.sdtm.dates import InvalidDates, date_part, iso8601
from cdisc.spec.expr import ExpressionDataError, parse_expression
from cdisc.spec.load import Study
from cdisc.spec.models import (
    AssignCtRule,
    AssignRule,
    ConditionRule,
    EpochRule,
    Iso8601Rule,
    SeqRule,
    StudyDayRule,
    VisitRule,
)
from cdisc.terminology import CodelistTerms


@dataclass
class RuleInput:
    """What a rule may read: raw rows, variables built so far, the study, datasets built before."""

    study: Study
    dataset: str
    variable: str
    raw: pd.DataFrame
    out: dict[str, pd.Series]
    built: dict[str, pd.DataFrame]
    codelists: Callable[[str], CodelistTerms]
    keys: list[str]
    codelist: str | None = None
    warnings: list[str] = field(default_factory=list)
    tests: pd.DataFrame | None = None  # findings: each record's test fields, aligned to raw

    @property
    def constants(self) -> dict[str, Any]:
        """Names an expression may use besides raw columns: STUDYID and the variables built so far."""
        return {"STUDYID": self.study.spec.study.id, **self.out}

    def where(self, mask: pd.Series | np.ndarray, limit: int = 5) -> str:
        """``ae.csv rows 12, 40 (subjects X, Y)`` for the first rows under ``mask``."""
        rows = self.raw.loc[np.asarray(mask, dtype=bool)]
        files = ", ".join(sorted(rows[FILE].unique()))
        numbers = ", ".join(str(r) for r in rows[ROW].head(limit))
        more = f" and {len(rows) - limit} more" if len(rows) > limit else ""
        subjects = ""
        usubjid = self.out.get("USUBJID")
        if usubjid is not None:
            subjects = f" (subjects {', '.join(sorted(usubjid[rows.index].dropna().unique()[:limit]))})"
        return f"{files} rows {numbers}{more}{subjects}"

    def fail(self, message: str) -> DataError:
        return DataError(f"{self.dataset}.{self.variable}: {message}")


def evaluate(text: str, rows: RuleInput) -> Any:
    """Evaluate an expression over the raw rows, turning data problems into located errors."""
    try:
        return parse_expression(text).evaluate(rows.raw, rows.constants)
    except ExpressionDataError as exc:
        raise rows.fail(str(exc)) from None


def hardcode(value: Any, rows: RuleInput) -> pd.Series:
    """The same value on every record: ``hardcode: AE``."""
    return pd.Series(value, index=rows.raw.index)


def study(fact: str, rows: RuleInput) -> pd.Series:
    """A study fact: ``study: id`` (STUDYID) or ``study: usubjid`` (the study's USUBJID rule)."""
    if fact == "id":
        return pd.Series(rows.study.spec.study.id, index=rows.raw.index, dtype="str")
    return as_series(evaluate(rows.study.spec.subjects.usubjid, rows), rows)


def as_series(value: Any, rows: RuleInput) -> pd.Series:
    return value if isinstance(value, pd.Series) else pd.Series(value, index=rows.raw.index)


_CLEANERS: dict[str, Callable[[pd.Series], pd.Series]] = {
    "strip": lambda s: s.str.strip(),
    "collapse_spaces": lambda s: s.str.replace(r"\s+", " ", regex=True).str.strip(),
    "upper": lambda s: s.str.upper(),
    "lower": lambda s: s.str.lower(),
}


def assign(rule: AssignRule, rows: RuleInput) -> pd.Series:
    """A raw column as collected, with the listed clean-ups applied in order."""
    values = rows.raw[rule.source].astype("str")
    for step in rule.clean:
        values = _CLEANERS[step](values)
    return values.where(values.str.strip().ne(""))


def assign_ct(rule: AssignCtRule, rows: RuleInput) -> pd.Series:
    """Collected value or synonym -> CT submission value; values not in the codelist are reported."""
    name = rule.codelist or rows.codelist
    codelist = rows.codelists(name)
    collected = rows.raw[rule.source].astype("str")
    key = collected.str.strip().str.upper()
    mapped = key.map(codelist.lookup())
    unmapped = mapped.isna() & key.notna() & key.ne("")
    if unmapped.any():
        values = ", ".join(repr(v) for v in collected[unmapped].drop_duplicates().head(5))
        message = (
            f"{int(unmapped.sum())} value(s) of raw column {rule.source} are not in codelist {name}: {values} "
            f"at {rows.where(unmapped)}; add them as terms or synonyms in the study codelists"
        )
        if rule.unmapped == "error" and not codelist.extensible:
            raise rows.fail(message)
        rows.warnings.append(f"{rows.dataset}.{rows.variable}: {message} (kept as collected)")
        mapped = mapped.where(~unmapped, collected.str.strip())
    return mapped.astype("str")


def condition(rule: ConditionRule, rows: RuleInput) -> pd.Series:
    """The first case whose condition holds gives the value; ``else`` otherwise."""
    result = pd.Series(rule.otherwise, index=rows.raw.index, dtype=object)
    decided = pd.Series(False, index=rows.raw.index)
    for case in rule.cases:
        try:
            hit = parse_expression(case.when).mask(rows.raw, rows.constants) & ~decided
        except ExpressionDataError as exc:
            raise rows.fail(str(exc)) from None
        value = rows.raw[case.source] if case.source else case.value
        result = result.mask(hit, value)
        decided |= hit
    return result.infer_objects()


def expr(text: str, rows: RuleInput) -> pd.Series:
    """A value computed by an expression over raw columns."""
    return as_series(evaluate(text, rows), rows)


def to_iso8601(rule: Iso8601Rule, rows: RuleInput) -> pd.Series:
    """ISO 8601 text from EDC date/time columns; impossible dates are errors naming rows and subjects."""
    time = rows.raw[rule.time] if rule.time else None
    try:
        return iso8601(rows.raw[rule.date], time, **rule.options)
    except InvalidDates as exc:
        mask = np.zeros(len(rows.raw), dtype=bool)
        mask[exc.rows] = True
        shown = "; ".join(f"{v!r}: {r}" for v, r in list(dict.fromkeys(zip(exc.values, exc.reasons)))[:5])
        columns = rule.date + (f" + {rule.time}" if rule.time else "")
        raise rows.fail(f"{len(exc.rows)} invalid date(s) in raw {columns} at {rows.where(mask)}: {shown}") from None


def seq(rule: SeqRule, rows: RuleInput) -> pd.Series:
    """1, 2, ... within each ``by`` group, in ``order_by`` order (default: the dataset keys)."""
    order = [v for v in (rule.order_by or rows.keys) if v in rows.out and v not in rule.by]
    frame = pd.DataFrame({name: rows.out[name] for name in dict.fromkeys([*rule.by, *order])})
    for name in rule.by:
        missing = frame[name].isna()
        if missing.any():
            raise rows.fail(f"{name} is missing at {rows.where(missing)}; cannot number records")
    ordered = frame.sort_values([*rule.by, *order], kind="mergesort", na_position="first")
    numbers = ordered.groupby(rule.by, sort=False).cumcount() + 1
    return numbers.reindex(frame.index).astype(float)


def study_day(rule: StudyDayRule, rows: RuleInput) -> pd.Series:
    """Days from the subject's reference date (day 1) to the date of ``of``; no day 0; none if partial."""
    if rule.reference in rows.out:  # DM itself
        reference = date_part(rows.out[rule.reference])
    else:
        dm = rows.built.get("DM")
        if dm is None or rule.reference not in dm.columns:
            raise rows.fail(f"study day needs DM.{rule.reference}, which DM does not build")
        reference = date_part(rows.out["USUBJID"].map(dm.set_index("USUBJID")[rule.reference]))
    event = date_part(rows.out[rule.of])
    days = (event - reference).dt.days
    return days.where(days < 0, days + 1).astype(float)


def reference_date(name: str, rows: RuleInput) -> pd.Series:
    """A DM reference date per subject: the earliest/latest date over the raw sources in study.yaml."""
    rule = rows.study.spec.reference_dates[name]
    candidates = []
    for source in rule.sources:
        table = rows.study.raw_frame(source.table)
        source_rows = RuleInput(rows.study, rows.dataset, rows.variable, table, {}, rows.built, rows.codelists, [])
        if source.where:
            table = table[parse_expression(source.where).mask(table, source_rows.constants)]
            source_rows.raw = table
        dates = to_iso8601(Iso8601Rule(**source.model_dump(include=set(Iso8601Rule.model_fields))), source_rows)
        subjects = as_series(evaluate(rows.study.spec.subjects.usubjid, source_rows), source_rows)
        candidates.append(pd.DataFrame({"USUBJID": subjects, "DTC": dates}).dropna())
    found = pd.concat(candidates, ignore_index=True).sort_values(["USUBJID", "DTC"], kind="mergesort")
    pick = found.groupby("USUBJID")["DTC"].first() if rule.pick == "earliest" else found.groupby("USUBJID")["DTC"].last()
    return rows.out["USUBJID"].map(pick).astype("str")


def _visit_lookup(rows: RuleInput, rule: VisitRule) -> pd.Series:
    """Position of each raw visit name in study.yaml ``visits`` (matching is case- and space-insensitive)."""
    visits = rows.study.spec.visits
    spellings = {
        spelling.strip().upper(): i for i, v in enumerate(visits) for spelling in (*v.collected, v.visit)
    }
    collected = rows.raw[rule.source].astype("str")
    position = collected.str.strip().str.upper().map(spellings)
    unknown = position.isna() & collected.notna() & collected.str.strip().ne("")
    if unknown.any():
        names = ", ".join(repr(v) for v in collected[unknown].drop_duplicates().head(5))
        raise rows.fail(
            f"{int(unknown.sum())} raw {rule.source} value(s) are not visits in study.yaml: {names} at "
            f"{rows.where(unknown)}; add them to a visit's 'collected' list"
        )
    return position


def visit(rule: VisitRule, rows: RuleInput) -> pd.Series:
    """VISIT: the planned visit name for the raw visit/folder name."""
    names = pd.Series([v.visit for v in rows.study.spec.visits], dtype="str")
    return _visit_lookup(rows, rule).map(names).astype("str")


def visitnum(rule: VisitRule, rows: RuleInput) -> pd.Series:
    """VISITNUM: the planned visit number for the raw visit/folder name."""
    numbers = pd.Series([v.visitnum for v in rows.study.spec.visits], dtype=float)
    return _visit_lookup(rows, rule).map(numbers).astype(float)


def visitdy(rule: VisitRule, rows: RuleInput) -> pd.Series:
    """VISITDY: the planned study day of the raw visit/folder name."""
    days = pd.Series([v.visitdy for v in rows.study.spec.visits], dtype=float)
    return _visit_lookup(rows, rule).map(days).astype(float)


def epoch(rule: EpochRule, rows: RuleInput) -> pd.Series:
    """The EPOCH of the SE element whose start is the latest on or before the date, if the date is within it."""
    se = rows.built.get("SE")
    if se is None or not {"SESTDTC", "SEENDTC", "EPOCH"} <= set(se.columns):
        raise rows.fail("EPOCH needs an SE dataset with SESTDTC, SEENDTC and EPOCH")
    records = pd.DataFrame({"USUBJID": rows.out["USUBJID"], "date": date_part(rows.out[rule.of]), "at": rows.raw.index})
    records = records.dropna(subset=["date", "USUBJID"]).sort_values("date", kind="mergesort")
    elements = pd.DataFrame(
        {"USUBJID": se["USUBJID"], "start": date_part(se["SESTDTC"]), "end": date_part(se["SEENDTC"]), "EPOCH": se["EPOCH"]}
    ).dropna(subset=["start"]).sort_values("start", kind="mergesort")
    found = pd.merge_asof(records, elements, left_on="date", right_on="start", by="USUBJID", direction="backward")
    inside = found["end"].isna() | (found["date"] <= found["end"])
    result = pd.Series(np.nan, index=rows.raw.index, dtype="str")
    result[found.loc[inside, "at"].to_numpy()] = found.loc[inside, "EPOCH"].to_numpy()
    return result


RULES: dict[str, Callable[[Any, RuleInput], pd.Series]] = {
    "hardcode": hardcode,
    "study": study,
    "assign": assign,
    "assign_ct": assign_ct,
    "condition": condition,
    "expr": expr,
    "iso8601": to_iso8601,
    "seq": seq,
    "study_day": study_day,
    "reference_date": reference_date,
    "visit": visit,
    "visitnum": visitnum,
    "visitdy": visitdy,
    "epoch": epoch,
}
