"""What changed between two transfers: records added, removed and changed per dataset, --SEQ renumbered,
subjects new and dropped, exclusions new.

A record is recognised across transfers first by its natural key: the dataset keys with --SEQ
replaced by what the --SEQ rule orders by (AE: USUBJID, AESTDTC, AETERM), so that a record whose
AESEQ moved because another was inserted before it is the same record, renumbered. A record whose
natural key changed (a corrected date) is then recognised by its lineage: the same subject's same
raw file row (``lineage/<dataset>.csv``). What is left is added or removed. SUPP-- qualifiers are
compared as columns of their parent records.

    >>> before = Snapshot(pd.DataFrame({"USUBJID": ["A", "A"], "AESEQ": [1.0, 2.0], "AETERM": ["X", "Y"],
    ...                                 "AESTDTC": ["2024-01-02", "2024-01-05"]}))
    >>> after = Snapshot(pd.DataFrame({"USUBJID": ["A", "A", "A"], "AESEQ": [1.0, 2.0, 3.0],
    ...                                "AETERM": ["X", "Z", "Y"], "AESTDTC": ["2024-01-02", "2024-01-03", "2024-01-05"]}))
    >>> found = derive_dataset_changes("AE", before, after, Identity(["USUBJID", "AESEQ"], "AESEQ", ["USUBJID", "AESTDTC", "AETERM"]))
    >>> found.added["AETERM"].tolist(), found.renumbered[["AETERM", "before", "after"]].values.tolist(), len(found.changed)
    (['Z'], [['Y', 2.0, 3.0]], 0)
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow.compute as pc

from cdisc.arrowtext import TEXT, arrow_text, is_text_per_record, plain_text
from cdisc.errors import DataError
from cdisc.manifest import read_manifest
from cdisc.memory import release_memory_grown
from cdisc.raw import FILE, ROW

#: Variables not shown to tell records apart (the same on every record).
UNSHOWN = ("STUDYID", "DOMAIN")
#: Name endings of the variables that say what a record is about, shown for added and removed records.
TOPICS = ("TERM", "DECOD", "TRT", "TESTCD", "ORRES", "PARAMCD", "AVAL")


@dataclass(frozen=True)
class Snapshot:
    """One dataset of one transfer: its records (SUPP-- qualifiers as columns) and the raw rows behind them."""

    frame: pd.DataFrame
    lineage: pd.DataFrame | None = None


@dataclass(frozen=True)
class Identity:
    """How a dataset's records are recognised across transfers: its keys, its --SEQ and its natural key."""

    keys: list[str]
    seq: str | None = None
    natural: list[str] = field(default_factory=list)


@dataclass
class DatasetChanges:
    """The changes of one dataset; record listings show the natural key (and --SEQ)."""

    dataset: str
    identity: Identity
    before: int
    after: int
    added: pd.DataFrame
    removed: pd.DataFrame
    changed: pd.DataFrame  # natural key..., seq, variable, before, after
    renumbered: pd.DataFrame  # natural key..., before, after (--SEQ)
    by_lineage: int = 0

    @property
    def any(self) -> bool:
        return bool(len(self.added) or len(self.removed) or len(self.changed) or len(self.renumbered))


@dataclass
class Changes:
    """Everything that changed since the previous transfer."""

    previous: str
    previous_run: dict[str, Any]
    datasets: list[DatasetChanges]
    new_datasets: list[str]
    dropped_datasets: list[str]
    new_subjects: list[str]
    dropped_subjects: list[str]
    new_exclusions: pd.DataFrame


def record_identity(spec: Any) -> Identity:
    """Keys, --SEQ and natural key of a dataset spec (a variable built by the ``seq`` rule is its --SEQ)."""
    keys = list(spec.keys)
    seq = next((v for v in spec.variables if v.rule[0] == "seq" and v.name in keys), None)
    if seq is None:
        return Identity(keys, None, keys)
    order = [n for n in (seq.rule[1].order_by or []) if n not in keys]
    return Identity(keys, seq.name, [k for k in keys if k != seq.name] + order)


def with_qualifiers(parent: pd.DataFrame, supp: pd.DataFrame | None, seq: str | None) -> pd.DataFrame:
    """``parent`` with one column per SUPP-- QNAM, matched by USUBJID and --SEQ (IDVARVAL), or by USUBJID alone."""
    if supp is None or supp.empty or "USUBJID" not in parent:
        return parent
    wide = supp.pivot_table(index=["USUBJID", "IDVARVAL"], columns="QNAM", values="QVAL", aggfunc="first").reset_index()
    wide = wide.rename_axis(columns=None).drop(columns=[c for c in wide.columns if c in parent.columns and c != "USUBJID"])
    if seq is None or seq not in parent:
        return parent.merge(wide.drop(columns="IDVARVAL").drop_duplicates("USUBJID"), on="USUBJID", how="left")
    idvarval = pd.to_numeric(parent[seq], errors="coerce").astype("Int64").astype("str")
    wide["IDVARVAL"] = wide["IDVARVAL"].astype("str").str.strip()
    merged = parent.assign(IDVARVAL=idvarval).merge(wide, on=["USUBJID", "IDVARVAL"], how="left")
    return merged.drop(columns="IDVARVAL").set_axis(parent.index)


def derive_dataset_changes(name: str, before: Snapshot, after: Snapshot, identity: Identity) -> DatasetChanges:
    """Records added, removed, changed (variable by variable) and renumbered between two transfers of a dataset.

    Each variable is normalised (:func:`_normal_column`) when it is compared, one at a time: the two transfers of a
    dataset are held once, not twice more as text (ADLB at 10,000 subjects: 1.4 M records of 52 variables)."""
    natural = [n for n in identity.natural if n in before.frame and n in after.frame]
    if natural and _same_records(before.frame, after.frame):  # what the matching below finds then: every record paired with itself
        return _unchanged(name, identity, _normal(after.frame.iloc[:0]), natural, len(after.frame))
    shown = [n for n in dict.fromkeys([*natural, *([identity.seq] if identity.seq else [])]) if n not in UNSHOWN]
    listed = [*shown, *(c for c in after.frame.columns if c.endswith(TOPICS) and c not in shown)]
    read = [*dict.fromkeys([*natural, *([identity.seq] if identity.seq else []), *listed])]
    old, new = (_normal(side.frame[[c for c in read if c in side.frame]]) for side in (before, after))
    pairs = _match(old, new, natural, identity.seq)
    by_lineage = pd.DataFrame(columns=["_b", "_a"])
    if before.lineage is not None and after.lineage is not None:
        by_lineage = _match_lineage(before.lineage, after.lineage, set(pairs["_b"]), set(pairs["_a"]))
    pairs = pd.concat([pairs, by_lineage], ignore_index=True)
    at_b, at_a = pairs["_b"].to_numpy(np.int64), pairs["_a"].to_numpy(np.int64)
    removed = old.drop(index=at_b).loc[:, [c for c in listed if c in old]]
    added = new.drop(index=at_a).loc[:, [c for c in listed if c in new]]
    b, a = old.take(at_b).reset_index(drop=True), new.take(at_a).reset_index(drop=True)
    label = a[[c for c in shown if c in a]]
    parts = []
    for column in [c for c in after.frame.columns if c in before.frame.columns and c != identity.seq]:
        was = b[column] if column in b else _normal_column(before.frame[column]).take(at_b).reset_index(drop=True)
        now = a[column] if column in a else _normal_column(after.frame[column]).take(at_a).reset_index(drop=True)
        differ = _differ(was, now)
        if differ.any():
            parts.append(label[differ].assign(variable=column, before=was[differ], after=now[differ]))
    changed = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=[*label.columns, "variable", "before", "after"])
    renumbered = pd.DataFrame(columns=[*natural, "before", "after"])
    if identity.seq and identity.seq in old and identity.seq in new:
        moved = _differ(b[identity.seq], a[identity.seq])
        named = [n for n in natural if n not in UNSHOWN]
        renumbered = a.loc[moved, named].assign(before=b.loc[moved, identity.seq], after=a.loc[moved, identity.seq])
    return DatasetChanges(
        name, identity, len(before.frame), len(after.frame), added.reset_index(drop=True), removed.reset_index(drop=True),
        changed, renumbered.reset_index(drop=True), len(by_lineage),
    )


def derive_changes(
    previous: str, previous_run: dict[str, Any], before: Mapping[str, Snapshot], after: Mapping[str, Snapshot],
    identities: dict[str, Identity], excluded_before: pd.DataFrame, excluded_after: pd.DataFrame,
    known: Mapping[str, DatasetChanges] = {},  # noqa: B006 (read only)
) -> Changes:
    """The change report between two transfers: every dataset in both, datasets and subjects new and dropped,
    exclusions new (raw rows excluded now that were not, by dataset, reason, file and row). ``known`` gives the
    changes of datasets found without comparing their records (:func:`unchanged_dataset`)."""
    datasets = []
    for name in (name for name in after if name in before):
        datasets.append(known[name] if name in known else derive_dataset_changes(name, before[name], after[name], identities[name]))
        release_memory_grown()  # (what a large dataset's two transfers took goes back to the system before the next is read)
    subjects = [_subjects(side) for side in (before, after)]
    return Changes(
        previous, previous_run, datasets,
        [n for n in after if n not in before], [n for n in before if n not in after],
        sorted(subjects[1] - subjects[0]), sorted(subjects[0] - subjects[1]), new_exclusions(excluded_before, excluded_after),
    )


def new_exclusions(before: pd.DataFrame, after: pd.DataFrame) -> pd.DataFrame:
    """Raw rows excluded now beyond those excluded before: counted per dataset, reason and subject (raw rows
    move between transfers), or per raw file row when the earlier run did not record subjects.

    >>> before = pd.DataFrame({"dataset": ["AE"], "reason": ["none"], "USUBJID": ["S1"], "@file": ["ae.csv"], "@row": [4]})
    >>> after = pd.DataFrame({"dataset": ["AE", "AE"], "reason": ["none"] * 2, "USUBJID": ["S1", "S2"],
    ...                       "@file": ["ae.csv"] * 2, "@row": [5, 9]})
    >>> new_exclusions(before, after)[["USUBJID", "@row"]].values.tolist()
    [['S2', '9']]
    """
    columns = ["dataset", "reason", "USUBJID", FILE, ROW]
    key = ["dataset", "reason", "USUBJID"] if "USUBJID" in before and "USUBJID" in after else ["dataset", "reason", FILE, ROW]
    sides = []
    for frame in (before, after):
        frame = frame.reindex(columns=columns).astype("str").fillna("")
        sides.append(frame.assign(_occurrence=frame.groupby(key).cumcount()))
    found = sides[1].merge(sides[0][[*key, "_occurrence"]], on=[*key, "_occurrence"], how="left", indicator=True)
    return found.loc[found["_merge"] == "left_only", columns].reset_index(drop=True)


def derive_var_stable_seq(
    current: pd.DataFrame, lineage: pd.DataFrame | None, previous: Snapshot, by: list[str], natural: list[str], seq: str,
) -> pd.Series:
    """--SEQ that keeps the number each record had in the previous transfer; new records are numbered after
    the largest earlier number of their ``by`` group, in the order of ``current``'s rows.

    Records are recognised by ``natural`` (the keys without --SEQ plus what it orders by), then by
    lineage (the same subject's same raw file row). A removed record's number is not reused.

    >>> before = Snapshot(pd.DataFrame({"USUBJID": ["A", "A"], "AETERM": ["X", "Y"], "AESEQ": [1.0, 2.0]}))
    >>> now = pd.DataFrame({"USUBJID": ["A", "A", "A", "B"], "AETERM": ["X", "Z", "Y", "W"]})
    >>> derive_var_stable_seq(now, None, before, ["USUBJID"], ["USUBJID", "AETERM"], "AESEQ").tolist()
    [1.0, 3.0, 2.0, 1.0]
    """
    read = [*dict.fromkeys([*natural, *by, seq])]
    old, new = (_normal(frame[[c for c in read if c in frame]]) for frame in (previous.frame, current.reset_index(drop=True)))
    natural = [n for n in natural if n in old and n in new]
    pairs = _match(old, new, natural, seq)
    if previous.lineage is not None and lineage is not None:
        found = _match_lineage(previous.lineage, lineage.reset_index(drop=True), set(pairs["_b"]), set(pairs["_a"]))
        pairs = pd.concat([pairs, found], ignore_index=True)
    numbers = pd.Series(np.nan, index=new.index)
    numbers[pairs["_a"].to_numpy()] = old[seq].to_numpy()[pairs["_b"].to_numpy()]
    fresh = numbers.isna()
    if fresh.any():
        last = old.groupby(by)[seq].max().rename("_last").reset_index()
        rows = new.loc[fresh, by].merge(last, on=by, how="left").set_index(new.index[fresh])
        rank = rows.groupby(by, sort=False).cumcount() + 1
        numbers[fresh] = rows["_last"].fillna(0) + rank
    return pd.Series(numbers.to_numpy(), index=current.index)


def _subjects(side: Mapping[str, Snapshot]) -> set[str]:
    """Subjects of a transfer: those in DM, or in any dataset when there is no DM."""
    frames = [side["DM"].frame] if "DM" in side else [s.frame for s in side.values()]
    return {str(u) for frame in frames if "USUBJID" in frame for u in frame["USUBJID"].dropna().unique() if str(u)}


def _normal(frame: pd.DataFrame) -> pd.DataFrame:
    """Every column normalised (:func:`_normal_column`)."""
    return pd.DataFrame({name: _normal_column(frame[name]) for name in frame.columns}, index=pd.RangeIndex(len(frame)))


def _normal_column(values: pd.Series) -> pd.Series:
    """Numbers as float64, text without trailing blanks and with missing as "" (as XPT stores it).

    >>> _normal_column(pd.Series(["a  ", None, " b"], dtype="str")).tolist(), _normal_column(pd.Series([1, 2])).dtype
    (['a', '', ' b'], dtype('float64'))
    """
    if pd.api.types.is_numeric_dtype(values):
        return pd.Series(values.astype("float64").to_numpy(), index=pd.RangeIndex(len(values)), copy=False)
    text = values if values.dtype == TEXT else plain_text(values).astype("str")
    trimmed = pc.utf8_rtrim_whitespace(pc.fill_null(arrow_text(text.array), ""))  # (pandas' rstrip: per value, in Python)
    return pd.Series(pd.array(trimmed, dtype="str"), index=pd.RangeIndex(len(values)), copy=False)


def _match(old: pd.DataFrame, new: pd.DataFrame, natural: list[str], seq: str | None) -> pd.DataFrame:
    """Positions ``_b``/``_a`` of records with equal natural keys; repeats pair in --SEQ (else record) order."""
    if not natural:
        return pd.DataFrame(columns=["_b", "_a"], dtype="int64")
    sides = []
    for frame, position in ((old, "_b"), (new, "_a")):
        keyed = frame[natural].assign(**{position: np.arange(len(frame))})
        order = frame[seq] if seq and seq in frame else keyed[position]
        keyed = keyed.assign(_order=order.to_numpy()).sort_values("_order", kind="mergesort")
        keyed["_occurrence"] = keyed.groupby(natural, dropna=False).cumcount()
        sides.append(keyed.drop(columns="_order"))
    pairs = sides[0].merge(sides[1], on=[*natural, "_occurrence"], how="inner")
    return pairs[["_b", "_a"]].astype("int64")


def _match_lineage(before: pd.DataFrame, after: pd.DataFrame, taken_b: set, taken_a: set) -> pd.DataFrame:
    """Still unmatched records with the same subject and the same raw file row behind them."""
    columns = [c for c in ("USUBJID", FILE, ROW) if c in before.columns and c in after.columns]
    if FILE not in columns or ROW not in columns:
        return pd.DataFrame(columns=["_b", "_a"], dtype="int64")
    sides = []
    for lineage, position, taken in ((before, "_b", taken_b), (after, "_a", taken_a)):
        keyed = lineage[columns].astype("str").assign(**{position: np.arange(len(lineage))})
        sides.append(keyed[~keyed[position].isin(taken)].drop_duplicates(columns, keep=False))
    return sides[0].merge(sides[1], on=columns, how="inner")[["_b", "_a"]].astype("int64")


def _same_records(old: pd.DataFrame, new: pd.DataFrame) -> bool:
    """Whether two transfers of a dataset hold the same records in the same order, column for column (normalised)."""
    return list(old.columns) == list(new.columns) and len(old) == len(new) and all(
        _same_values(old[column], new[column]) for column in new.columns
    )


def _same_values(old: pd.Series, new: pd.Series) -> bool:
    """Whether two columns of as many records hold the same values, normalised (:func:`_normal_column`); text held once
    per distinct value on both sides is compared by its values' codes, each distinct value normalised once.

    >>> from cdisc.arrowtext import text_per_record
    >>> old = text_per_record(pd.Series(["a ", "b"], dtype="str"), np.array([0, 1, -1]))
    >>> new = text_per_record(pd.Series(["", "b", "a"], dtype="str"), np.array([2, 1, 0]))
    >>> _same_values(old, new), _same_values(old, new.iloc[::-1].reset_index(drop=True))
    (True, False)
    """
    if not (is_text_per_record(old.dtype) and is_text_per_record(new.dtype)):
        return not _differ(_normal_column(old), _normal_column(new)).any()
    texts = [_normal_column(pd.Series(side.cat.categories.array)) for side in (old, new)]
    shared = pd.Index(pd.concat([*texts, pd.Series([""], dtype="str")], ignore_index=True).unique())
    positions = [np.append(shared.get_indexer(text), shared.get_loc("")) for text in texts]  # (code -1, missing: "")
    return bool(np.array_equal(positions[0][old.cat.codes.to_numpy()], positions[1][new.cat.codes.to_numpy()]))


def unchanged_dataset(name: str, identity: Identity, columns: pd.DataFrame, records: int) -> DatasetChanges | None:
    """The changes of a dataset known to hold the records it held before (built from the same inputs), from its
    columns (``columns``, no records needed; SUPP-- qualifiers as columns) and its record count: what
    :func:`derive_dataset_changes` finds comparing the records; None when that needs the records (no natural key).

    >>> found = unchanged_dataset("AE", Identity(["USUBJID", "AESEQ"], "AESEQ", ["USUBJID", "AETERM"]),
    ...                           pd.DataFrame(columns=["STUDYID", "USUBJID", "AESEQ", "AETERM"]), 12)
    >>> found.before, found.after, found.any, found.added.columns.tolist()
    (12, 12, False, ['USUBJID', 'AETERM', 'AESEQ'])
    """
    frame = columns.iloc[:0]  # (the listings stay empty: their columns are what counts)
    natural = [n for n in identity.natural if n in frame]
    return _unchanged(name, identity, frame, natural, records) if natural else None


def _unchanged(name: str, identity: Identity, frame: pd.DataFrame, natural: list[str], records: int | None = None) -> DatasetChanges:
    """The changes of a dataset whose records are all as they were: none (the listings keep their columns)."""
    shown = [n for n in dict.fromkeys([*natural, *([identity.seq] if identity.seq else [])]) if n not in UNSHOWN and n in frame]
    listed = [*shown, *(c for c in frame.columns if c.endswith(TOPICS) and c not in shown)]
    renumbered = [n for n in natural if n not in UNSHOWN] if identity.seq and identity.seq in frame else natural
    none = frame.loc[:, listed].iloc[:0]
    count = len(frame) if records is None else records
    return DatasetChanges(
        name, identity, count, count, none, none.copy(),
        pd.DataFrame(columns=[*shown, "variable", "before", "after"]), pd.DataFrame(columns=[*renumbered, "before", "after"]),
    )


def _differ(before: pd.Series, after: pd.Series) -> pd.Series:
    if pd.api.types.is_numeric_dtype(before) and pd.api.types.is_numeric_dtype(after):
        return ~((before == after) | (before.isna() & after.isna()))
    return before.astype("str") != after.astype("str")


# ---------------------------------------------------------------------------- reports


def changes_text(changes: Changes, limit: int = 50) -> str:
    """The change report as a data manager reads it: a summary table, then every change listed."""
    run = changes.previous_run
    when = ", ".join(f"{k.replace('_', ' ')} {run[k]}" for k in ("created", "data_cutoff") if run.get(k))
    lines = [f"Changes since the previous transfer: {changes.previous}" + (f" ({when})" if when else ""), ""]
    lines.append(
        f"Subjects: {len(changes.new_subjects)} new{_listed(changes.new_subjects)}, "
        f"{len(changes.dropped_subjects)} dropped{_listed(changes.dropped_subjects)}"
    )
    if changes.new_datasets or changes.dropped_datasets:
        lines.append(f"Datasets: new {', '.join(changes.new_datasets) or 'none'}; dropped {', '.join(changes.dropped_datasets) or 'none'}")
    lines += ["", _table(summary_frame(changes))]
    for found in changes.datasets:
        seq = found.identity.seq
        for title, frame in (
            ("record(s) added", found.added),
            ("record(s) removed", found.removed),
            (f"record(s) renumbered ({seq} before -> after; the same record by {_natural(found.identity)})", found.renumbered),
            ("value(s) changed", found.changed),
        ):
            if len(frame):
                more = f" (first {limit})" if len(frame) > limit else ""
                lines += ["", f"{found.dataset}: {len(frame)} {title}{more}", _table(frame.head(limit), indent=2)]
        if found.by_lineage:
            lines.append(f"  ({found.by_lineage} record(s) recognised by their raw file row, their natural key having changed)")
    if len(changes.new_exclusions):
        lines += ["", f"New exclusions: {len(changes.new_exclusions)} raw row(s)", _table(changes.new_exclusions, indent=2)]
    if not any(d.any for d in changes.datasets) and not changes.new_subjects and not changes.dropped_subjects:
        lines += ["", "No records changed."]
    return "\n".join(lines).rstrip() + "\n"


def summary_frame(changes: Changes) -> pd.DataFrame:
    """One row per dataset: records before and now, added, removed, changed (records), renumbered."""
    return pd.DataFrame(
        [
            {
                "dataset": d.dataset, "before": d.before, "now": d.after, "added": len(d.added), "removed": len(d.removed),
                "changed": int(d.changed.drop(columns=["variable", "before", "after"]).drop_duplicates().shape[0]),
                "renumbered": len(d.renumbered),
            }
            for d in changes.datasets
        ],
        columns=["dataset", "before", "now", "added", "removed", "changed", "renumbered"],
    )


def changes_json(changes: Changes) -> str:
    """The change report as JSON: the same content, records as lists of objects."""
    def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
        return frame.astype(object).where(frame.notna(), None).to_dict(orient="records") if len(frame) else []

    data = {
        "previous": changes.previous,
        "previous_run": changes.previous_run,
        "new_subjects": changes.new_subjects,
        "dropped_subjects": changes.dropped_subjects,
        "new_datasets": changes.new_datasets,
        "dropped_datasets": changes.dropped_datasets,
        "summary": records(summary_frame(changes)),
        "datasets": {
            d.dataset: {
                "added": records(d.added), "removed": records(d.removed), "changed": records(d.changed),
                "renumbered": records(d.renumbered), "recognised_by_lineage": d.by_lineage,
            }
            for d in changes.datasets
        },
        "new_exclusions": records(changes.new_exclusions),
    }
    return json.dumps(data, indent=2, default=str) + "\n"


def _natural(identity: Identity) -> str:
    return ", ".join(n for n in identity.natural if n not in UNSHOWN)


def _listed(names: list[str], limit: int = 10) -> str:
    if not names:
        return ""
    more = f" and {len(names) - limit} more" if len(names) > limit else ""
    return f" ({', '.join(names[:limit])}{more})"


def _table(frame: pd.DataFrame, indent: int = 0) -> str:
    cells = frame.astype(object).map(lambda v: "." if v is None or (isinstance(v, float) and np.isnan(v)) else (f"{v:g}" if isinstance(v, float) else str(v)))
    text = cells.to_string(index=False) if len(frame) else "(none)"
    return "\n".join(" " * indent + line for line in text.splitlines())


# ---------------------------------------------------------------------------- reading a previous run


@dataclass
class PreviousRun:
    """A run's outputs as read back: datasets with their lineage, exclusions, and its ``reports/run.json``."""

    folder: Path
    datasets: Mapping[str, Snapshot]
    excluded: pd.DataFrame
    manifest: dict[str, Any]


class Snapshots(Mapping[str, Snapshot]):
    """Datasets by name, each made when asked for and not kept: a 10,000-subject transfer is compared with the
    previous one a dataset at a time instead of holding both whole.

    >>> made = Snapshots(["DM"], lambda name: Snapshot(pd.DataFrame({"USUBJID": ["A"]})))
    >>> list(made), len(made["DM"].frame), "AE" in made
    (['DM'], 1, False)
    """

    def __init__(self, names: list[str], make: Callable[[str], Snapshot]):
        self._names, self._make = dict.fromkeys(names), make

    def __getitem__(self, name: str) -> Snapshot:
        if name not in self._names:
            raise KeyError(name)
        return self._make(name)

    def __contains__(self, name: object) -> bool:  # (Mapping's would make the dataset)
        return name in self._names

    def __iter__(self) -> Iterator[str]:
        return iter(self._names)

    def __len__(self) -> int:
        return len(self._names)


def _read_snapshot(path: Path, supp: Path | None, seq: str | None) -> Snapshot:
    """A dataset of a run's output folder, its SUPP-- qualifiers as columns, with its lineage when written; a large
    dataset's repetitive text held once per distinct value (:func:`~cdisc.xpt.read_xpt`)."""
    from cdisc.spec.load import display_path
    from cdisc.xpt import read_xpt

    trace = path.parent / "lineage" / f"{path.stem.lower()}.csv"
    lineage = pd.read_csv(trace, dtype="str", keep_default_na=False) if trace.is_file() else None
    try:
        frame, qualifiers = read_xpt(path, held=True)[0], None if supp is None else read_xpt(supp)[0]
    except DataError as exc:
        folder = path.parent.parent
        raise DataError(
            f"the previous run in {display_path(folder)}, which the change report compares with, cannot be read: {exc}; "
            f"repair or remove that folder's outputs, or compare with another run (--compare-to)"
        ) from None
    return Snapshot(with_qualifiers(frame, qualifiers, seq), lineage)


def holds_run(folder: Path) -> bool:
    """Whether ``folder`` holds the outputs of a run (XPT files under ``sdtm/`` or ``adam/``)."""
    return any(path.is_file() for standard in ("sdtm", "adam") for path in (folder / standard).glob("*.xpt"))


def read_run(folder: Path, seqs: dict[str, str | None]) -> PreviousRun:
    """The datasets of a run's output folder, each read when asked for; ``seqs`` gives each dataset's --SEQ, to join
    its SUPP-- qualifiers."""
    files = {path.stem.upper(): path for standard in ("sdtm", "adam") for path in sorted((folder / standard).glob("*.xpt"))}
    datasets = Snapshots(
        [name for name in files if not (name.startswith("SUPP") and name[4:] in files)],
        lambda name: _read_snapshot(files[name], files.get(f"SUPP{name}"), seqs.get(name)),
    )
    excluded_path = folder / "reports" / "excluded.csv"
    excluded = pd.read_csv(excluded_path, dtype="str", keep_default_na=False) if excluded_path.is_file() else pd.DataFrame()
    return PreviousRun(folder, datasets, excluded, read_manifest(folder))
