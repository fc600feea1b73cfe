"""Apply an ADaM dataset spec to datasets built earlier: base records, record steps, then each variable's rule."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
from pandas.arrays import ArrowStringArray
from pydantic import BaseModel

from cdisc.adam.derivations import by_groups, sorted_keys, taken_array
from cdisc.adam.supp import with_supp
from cdisc.arrowtext import arrow_codes, arrow_text, held_if_repeats, held_text, is_large, is_text_per_record, plain_text, repeats, text_per_record
from cdisc.built import BuiltDataset
from cdisc.collect import located, reads_failed
from cdisc.errors import DataError, DataErrors
from cdisc.memory import RELEASE_ABOVE, release_memory
from cdisc.rules import get, rules
from cdisc.rules.records import AdamRecords, run_step
from cdisc.spec.adam import AdamDataset
from cdisc.spec.base import parsed
from cdisc.spec.expr import ExpressionDataError
from cdisc.spec.load import Study
from cdisc.spec.order import build_order

SOURCE_RECORD = "@record"
SOURCE_DATASET = "@dataset"
RULES = rules("adam")


def _source_records(study: Study, spec: AdamDataset, built: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """The base records: the source dataset (qualifiers, merges, filter, distinct, renames), then the appended ones.

    ``@record`` numbers each record within its dataset and ``@dataset`` names it, for lineage.
    """
    source = spec.source
    frame = built[source.dataset]
    if source.supp:
        frame = with_supp(frame, built.get(f"SUPP{source.dataset}"))
    written = written_text(spec) if source.merge else ""
    for merge in source.merge:
        other = built[merge.dataset]
        extra = [c for c in other.columns if c not in frame.columns and c in written]
        codes, first = by_groups(frame, merge.by)  # merged once per group, then taken for each record: the frame is not copied
        try:
            found = frame[merge.by].iloc[first].merge(other[[*merge.by, *extra]], on=merge.by, how="left", validate="many_to_one")
        except pd.errors.MergeError:
            raise DataError(f"{spec.dataset}: {merge.dataset} has more than one record per {', '.join(merge.by)}") from None
        added = pd.DataFrame({c: text_per_record(found[c], codes) for c in extra}, copy=False).set_axis(frame.index)
        frame = pd.concat([frame, added], axis=1)
    parts = [_part(study, spec, source, frame, built[source.dataset].columns)]
    for i, part in enumerate(source.append):
        other = built[part.dataset]
        if part.supp:
            other = with_supp(other, built.get(f"SUPP{part.dataset}"))
        parts.append(_part(study, spec, part, other, built[part.dataset].columns, f"source.append[{i}]"))
    records = pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0].reset_index(drop=True)
    if source.distinct:
        records = records.drop_duplicates(source.distinct)[[*source.distinct, SOURCE_RECORD, SOURCE_DATASET]].reset_index(drop=True)
    return records


def written_text(spec: BaseModel) -> str:
    """Every text the spec writes (names, expressions, conditions, rule parameters with their defaults), one per line.

    A merged dataset's column is joined onto the base records only when it occurs in this text: no rule
    reads a column its spec does not name, and a merged ADSL's other columns would be copied onto every record.

    >>> from cdisc.spec.adam import AdamDataset
    >>> spec = AdamDataset.model_validate({"dataset": "ADAE", "label": "AE", "class": "OCCURRENCE DATA STRUCTURE",
    ...     "structure": "One record per event", "keys": ["USUBJID"], "source": {"dataset": "AE", "merge": [{"dataset": "ADSL"}]},
    ...     "variables": [{"name": "ASTDY", "label": "Day", "type": "integer", "origin": "Derived",
    ...                    "derive_vars_dy": {"date": "ASTDT"}}]})
    >>> [name for name in ["TRTSDT", "TRTEDT", "ASTDT"] if name in written_text(spec)]  # TRTSDT: the rule's default reference
    ['TRTSDT', 'ASTDT']
    """
    texts: list[str] = []

    def walk(node) -> None:
        if isinstance(node, BaseModel):  # every field, a default too (a rule's default reference date)
            for name in type(node).model_fields:
                walk(getattr(node, name))
        elif isinstance(node, dict):
            texts.extend(str(key) for key in node)
            for value in node.values():
                walk(value)
        elif isinstance(node, (list, tuple, set, frozenset)):
            for value in node:
                walk(value)
        elif isinstance(node, str):
            texts.append(node)

    walk(spec)
    return "\n".join(texts)


def _part(study: Study, spec: AdamDataset, part, frame: pd.DataFrame, own: pd.Index, where: str = "source") -> pd.DataFrame:
    """One source's records: filtered, renamed, reduced to ``keep``, with its constant values; its dataset's ``own``
    columns of text read held once per distinct value are so only where a variable built of them would be."""
    frame = frame.assign(**{SOURCE_RECORD: range(len(frame)), SOURCE_DATASET: part.dataset})
    if part.where:
        try:
            frame = frame[parsed(part.where).mask(frame, {"STUDYID": study.spec.study.id})]
        except ExpressionDataError as exc:
            raise DataError(f"{spec.dataset}: {where} where {part.where!r}: {exc}") from None
    frame = _held_where_repeated(frame, own)
    frame = frame.rename(columns=part.rename)
    if part.keep is not None:
        missing = [c for c in part.keep if c not in frame.columns]
        if missing:
            raise DataError(f"{spec.dataset}: {where} keeps {', '.join(missing)}, which {part.dataset} does not have")
        frame = frame[[*part.keep, SOURCE_RECORD, SOURCE_DATASET]]
    return frame.assign(**part.set_values_to)


class _Build:
    """The records of an ADaM dataset while it is built: source columns and the variables built so far.

    Record steps see both as one frame (a built variable wins over a source column of its name) and
    may add records; the records they add carry their source columns and variables with them.
    """

    def __init__(self, study: Study, spec: AdamDataset, built: dict[str, pd.DataFrame], hold: bool = False):
        self.study, self.spec, self.built, self.hold = study, spec, built, hold  # hold: repetitive text (:func:`~cdisc.arrowtext.held_if_repeats`)
        self.source = _source_records(study, spec, built)
        self.read_as_source = read_as_source(spec)
        self.out: dict[str, pd.Series] = {}
        self.flags: dict[tuple[str, str], pd.Series] = {}
        self.with_qualifiers: dict[str, pd.DataFrame] = {}
        self.memos: dict[int, tuple[pd.DataFrame, dict]] = {}  # function calls' values over other datasets (merge rules)
        self.reused: dict = {}  # what rules made once for several variables over the current records (Records.once)
        self.errors: list[DataError] = []
        self.failed: set[str] = set()
        self.warnings: list[str | DataError] = []

    def variables(self, names: list[str]) -> None:
        """Build the named variables, and the variables of this spec they read that are not built yet, on every
        record so far, each after what it reads."""
        by_name = {v.name: v for v in self.spec.variables}
        needed, pending = set(), [n for n in names if n in by_name]
        while pending:
            name = pending.pop()
            if name in needed or name in self.out:
                continue
            needed.add(name)
            var = by_name[name]
            pending += [n for n in get(var.rule[0]).reads(var.rule[1]) if n in by_name and n != name]
        wanted = [v for v in self.spec.variables if v.name in needed]
        for var in build_order(wanted, self.spec.keys):
            name, params = var.rule
            if reads_failed(var, self.spec.keys, self.failed):
                self.failed.add(var.name)
                continue
            records = AdamRecords(
                self.study, self.spec.dataset, var.name, self.source, self.out, self.built, self.warnings,
                self.flags, with_qualifiers=self.with_qualifiers, memos=self.memos, reused=self.reused,
            )
            try:
                self.out[var.name] = records.typed(RULES[name].build(params, records), var.type)
                if self.hold:
                    self.out[var.name] = held_if_repeats(self.out[var.name])
            except DataError as exc:
                self.errors.append(located(exc, self.spec.dataset, var.name))
                self.failed.add(var.name)

    def frame(self) -> pd.DataFrame:
        """Source columns and built variables as one frame (a variable wins over a source column of its name)."""
        shadowed = [c for c in self.source.columns if c in self.out]
        flags = {_flag_column(key): flag for key, flag in self.flags.items()}
        variables = pd.DataFrame({**self.out, **flags}, index=self.source.index, copy=False)
        return pd.concat([self.source.drop(columns=shadowed), variables], axis=1)

    def step(self, index: int, step) -> None:
        """Run one record step; its records replace the current ones."""
        name, params = step.rule
        if name == "derive":
            self.variables(params)
            return
        if self.errors:
            return  # a step over records whose variables failed would only report the same problem again
        self.reused = {}  # (made over the current records, which the step replaces: let go of before it copies them)
        records = AdamRecords(self.study, self.spec.dataset, f"step {index + 1} ({name})", self.frame(), {}, self.built, self.warnings)
        result = run_step(step, index, "step", records, "which is not built yet: list it in a 'derive' step before this one")
        self._replace(result)

    def _replace(self, result: pd.DataFrame) -> None:
        """The step's records become the current ones; a source column a variable hides comes from each record's origin."""
        shadowed = [c for c in self.source.columns if c in self.out and (self.read_as_source is None or c in self.read_as_source)]
        flags = {key: _flag_column(key) for key in self.flags}
        source = result.drop(columns=[c for c in result.columns if c in self.out or c in flags.values()])  # drop: no copy
        if shadowed and len(self.source):
            at = _first_of_origin(self.source, result)
            hidden = {c: _at_origin(self.source[c], at) for c in shadowed}
            source = pd.concat([source, pd.DataFrame(hidden, copy=False).set_axis(result.index)], axis=1)
        self.source = source
        self.out = {name: result[name] for name in self.out}
        self.flags = {key: result[column] for key, column in flags.items()}


def read_as_source(spec: AdamDataset) -> frozenset[str] | None:
    """The source columns a rule may read where a variable of the same name is built (a Predecessor's column copied
    into a variable of another name), or None for any (an expression's ``raw()``). Another source column a variable
    hides is read by nothing, so the records a record step gives do not carry it.

    >>> spec = AdamDataset.model_validate({"dataset": "ADVS", "label": "VS", "class": "BASIC DATA STRUCTURE",
    ...     "structure": "One record per visit", "keys": ["USUBJID"], "source": {"dataset": "VS"},
    ...     "variables": [{"name": "VISIT", "label": "Visit", "type": "text", "origin": "Predecessor", "predecessor": "VISIT"},
    ...                   {"name": "VISITO", "label": "Visit", "type": "text", "origin": "Predecessor", "predecessor": "VSTPT"}]})
    >>> sorted(read_as_source(spec))
    ['VSTPT']
    """
    if "raw(" in written_text(spec):
        return None
    rules = [("", step.rule) for step in spec.steps] + [(var.name, var.rule) for var in spec.variables]
    return frozenset(ref.text for variable, (name, params) in rules for ref in get(name).references(params)
                     if ref.kind in ("source", "raw") and ref.text != variable)  # (a variable copying its own name's column hides it once built)


def _at_origin(values: pd.Series, at: np.ndarray) -> pd.Series:
    """``values`` at positions ``at`` (-1: missing), numbered from 0. A step keeps the records it was given first, in
    order: where those already hold the values at their origin, they are kept and only the step's new records taken.

    >>> _at_origin(pd.Series(["a", "b"], dtype="str"), np.array([0, 1, 1, -1])).tolist()
    ['a', 'b', 'b', nan]
    """
    n = len(values)
    moved = np.flatnonzero(at[:n] != np.arange(min(n, len(at))))
    kept = len(at) >= n and len(moved) <= n // 8
    if kept and len(moved):  # records of an origin met before (copies): unchanged when their values are their origin's
        kept = pd.Series(taken_array(values, at[moved])).equals(pd.Series(taken_array(values, moved)))
    if kept:
        tail = taken_array(values, at[n:])
        return values.reset_index(drop=True) if not len(tail) else pd.concat([values, pd.Series(tail)], ignore_index=True)
    return pd.Series(taken_array(values, at))


def _first_of_origin(source: pd.DataFrame, records: pd.DataFrame) -> np.ndarray:
    """For each of ``records``, the position of the first ``source`` record of the same origin (``@dataset`` and
    ``@record``; a missing one matches a missing one), -1 for none.

    >>> source = pd.DataFrame({"@dataset": ["LB", "LB", None], "@record": [0, 1, np.nan]})
    >>> _first_of_origin(source, pd.DataFrame({"@dataset": ["LB", "LB", None, "LB", "VS"], "@record": [0, 1, np.nan, 1, 0]})).tolist()
    [0, 1, 2, 1, -1]
    """
    keys = _origin_keys(pd.concat([source[SOURCE_DATASET], records[SOURCE_DATASET]], ignore_index=True),
                        pd.concat([source[SOURCE_RECORD], records[SOURCE_RECORD]], ignore_index=True))
    size = int(keys.max(initial=-1)) + 1
    if size > 8 * len(keys) + 1024:  # (keys a few per record: indexed directly, as hashing each is slower)
        keys = pd.factorize(keys)[0]
        size = int(keys.max(initial=-1)) + 1
    first = np.full(size, -1)
    first[keys[: len(source)][::-1]] = np.arange(len(source))[::-1]  # written last to first: the first one stays
    return first[keys[len(source):]]


def _origin_keys(dataset: pd.Series, record: pd.Series) -> np.ndarray:
    """One whole number from 0 per record for its ``@dataset`` and ``@record`` (a missing one numbered too): equal for
    records of the same origin. (Text is numbered once; a pair of columns would be numbered three times.)"""
    names = pd.factorize(dataset)[0] + 1  # missing: 0
    numbers = record.to_numpy(dtype=float, na_value=np.nan) if record.dtype.kind in "iuf" else np.array([np.inf])
    present = np.nan_to_num(numbers, nan=0.0)
    if present.min(initial=0) >= 0 and present.max(initial=0) < 2**52 and np.array_equal(present, np.floor(present)):
        rank = present.astype(np.int64) + 1  # record numbers: whole, from 0 (missing: 0, the others one more)
        rank[np.isnan(numbers)] = 0
    else:
        rank = pd.factorize(record)[0] + 1  # missing: 0
    return names * (int(rank.max(initial=0)) + 1) + rank


def _flag_column(key: tuple[str, str]) -> str:
    """The column a date's imputation flag travels in while record steps copy and add records."""
    return f"@{key[0]}.{key[1]}"


def build_adam_dataset(study: Study, spec: AdamDataset, built: dict[str, pd.DataFrame], release: bool = False) -> BuiltDataset:
    """Build one ADaM dataset from its spec; ``built`` holds the datasets built before it.

    The record steps run in order; variables no ``derive`` step lists are built after the last step,
    on every record. With ``release`` ``built`` is emptied once every variable is derived, so that the records read
    (and the columns taken from them) are freed, and their memory handed back to the system (a large build's:
    :data:`~cdisc.memory.RELEASE_ABOVE`), before the variables are copied in key order: the copies then take no more
    than the records let go of; in a large dataset (:func:`~cdisc.arrowtext.is_large`) text merged onto every record,
    and repetitive text, is held once per distinct value (the worker's :meth:`cdisc.handoff.Handoff.store` writes it as
    text).
    """
    state = _Build(study, spec, built, hold=release)
    if release:  # the base records made, a dataset no rule reads goes with the records' first copy (a record step's)
        for name in _read_as_base_only(spec):
            built.pop(name, None)
            built.pop(f"SUPP{name}", None)
    for index, step in enumerate(spec.steps):
        state.step(index, step)
    state.variables([v.name for v in spec.variables])
    if state.errors:
        raise state.errors[0] if len(state.errors) == 1 else DataErrors(state.errors)
    order, duplicated = sorted_keys([state.out[key] for key in spec.keys])
    if duplicated.any():
        keys = pd.DataFrame({key: state.out[key] for key in spec.keys}, copy=False)
        first = keys.loc[duplicated].head(3).to_dict("records")
        raise DataError(f"{spec.dataset}: {int(duplicated.sum())} records share their keys ({', '.join(spec.keys)}), e.g. {first}")
    origin = state.source[[SOURCE_DATASET, SOURCE_RECORD]].take(order)  # not every source column
    lineage = pd.DataFrame({"dataset": origin[SOURCE_DATASET].reset_index(drop=True),  # (text as text: no object per record)
                            "record": (origin[SOURCE_RECORD] + 1).astype("Int64").to_numpy()})
    names = [var.name for var in output_variables(spec)]
    out, warnings = {name: state.out[name] for name in names}, state.warnings
    del state, origin  # the source records and temporary variables go before the variables are copied in order
    if release:
        built.clear()
        if len(order) * len(names) > RELEASE_ABOVE:
            release_memory()
    held = release and is_large(len(order))  # (a small dataset's text as text: holding saves nothing, and costs at each use)
    if np.array_equal(order, np.arange(len(order))):  # in key order already: nothing to copy
        frame = pd.DataFrame({name: _in_order(out.pop(name), None, held) for name in names}, copy=False)
    else:
        frame = pd.DataFrame({name: _in_order(out.pop(name), order, held) for name in names}, copy=False)  # each freed once copied
    if "USUBJID" in names:
        lineage.insert(0, "USUBJID", frame["USUBJID"])  # (the records' own, shared)
    excluded = pd.DataFrame(columns=["@file", "@row", "dataset", "reason"])
    return BuiltDataset(spec, frame, lineage, excluded, warnings=warnings)


def _held_where_repeated(frame: pd.DataFrame, names: pd.Index) -> pd.DataFrame:
    """``frame`` with the columns ``names`` of text held once per distinct value (read so from a large dataset:
    :meth:`cdisc.handoff.Handoff.frames`) as text where :func:`~cdisc.arrowtext.held_if_repeats` would not hold them: not
    :func:`~cdisc.arrowtext.is_large` (ADLBG3's few of ADLB's), or not repeated; records made of them then are as a build from
    the text makes them.

    >>> held = held_text(np.array([0, 1, 0, 0]), pa.array(["x", "y"]))
    >>> _held_where_repeated(pd.DataFrame({"A": held}), pd.Index(["A"]))["A"].dtype
    <StringDtype(na_value=nan)>
    """
    plain = {name: plain_text(frame[name]) for name in names if name in frame.columns and is_text_per_record(frame[name].dtype)
             and not _repeated(frame[name].cat.codes.to_numpy())}
    return frame.assign(**plain) if plain else frame


def _repeated(codes: np.ndarray) -> bool:
    """Whether text given as codes (-1: missing) is held by :func:`~cdisc.arrowtext.held_if_repeats`: it
    :func:`~cdisc.arrowtext.is_large` and :func:`~cdisc.arrowtext.repeats`."""
    distinct = int(np.count_nonzero(np.bincount(codes[codes >= 0]))) if len(codes) else 0
    return is_large(len(codes)) and repeats(distinct, len(codes))


def _read_as_base_only(spec: AdamDataset) -> set[str]:
    """The datasets ``spec`` reads only for its base records (its source, merged and appended datasets), not in a rule.

    >>> spec = AdamDataset.model_validate({"dataset": "ADLB", "label": "Lab", "class": "BASIC DATA STRUCTURE",
    ...     "structure": "One record per test", "keys": ["USUBJID"], "source": {"dataset": "LB", "merge": [{"dataset": "ADSL"}]},
    ...     "variables": [{"name": "TRTSDT", "label": "Start", "type": "integer", "origin": "Derived",
    ...                    "derive_vars_merged": {"dataset": "ADSL", "by": ["USUBJID"], "value": "TRTSDT"}}]})
    >>> sorted(_read_as_base_only(spec))
    ['LB']
    """
    base = {spec.source.dataset, *(m.dataset for m in spec.source.merge), *(a.dataset for a in spec.source.append)}
    rules = [step.rule for step in spec.steps] + [var.rule for var in spec.variables]
    return base - {dataset for name, params in rules for _, dataset in get(name).datasets(params)}


def _in_order(values: pd.Series, order: np.ndarray | None, held: bool = False) -> pd.Series:
    """``values`` at positions ``order`` (None: as they are), numbered from 0. Text is taken through its distinct values:
    the records' text is let go of before its copy in order is made (a take of text in several chunks copies each value
    twice). Text merged onto every record (a categorical: :func:`text_per_record`) is the text again, or with ``held``
    stays held once per distinct value, as does other text that :func:`~cdisc.arrowtext.repeats` (for
    :meth:`cdisc.handoff.Handoff.store`, whose writers write it as text).

    >>> _in_order(pd.Series(["b", None, "a", "b"], dtype="str"), np.array([3, 2, 1, 0])).tolist()
    ['b', 'a', nan, 'b']
    """
    if is_text_per_record(values.dtype):
        taken = values.reset_index(drop=True) if order is None else values.take(order).reset_index(drop=True)
        return taken if held else plain_text(taken)
    if order is None:
        return values.reset_index(drop=True)
    if not isinstance(values.array, ArrowStringArray):
        return values.take(order).reset_index(drop=True)
    codes, distinct = arrow_codes(arrow_text(values.array))
    dtype = values.dtype
    del values  # (the caller holds no other reference: the records' text goes here)
    at = codes[order]
    if held and repeats(len(distinct), len(at)):
        return held_text(at, distinct)
    text = distinct.take(pa.array(at, mask=at < 0) if (at < 0).any() else at)
    return pd.Series(ArrowStringArray(pa.chunked_array([text]), dtype=dtype), copy=False)


def output_variables(spec: AdamDataset) -> list:
    """The variables written to the dataset: all but the temporary ones."""
    return [var for var in spec.variables if not var.temporary]
