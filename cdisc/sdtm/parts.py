"""A domain built from several sources: the main source's records and each part's, bound into one dataset.

Each part (``parts:`` in the spec) brings the rows of its own source (a raw table with its merges and exclusions, a
dataset, or records) and its own rules for the variables it lists; the variables keep one set of metadata. A variable
a part does not list is built on its records by the dataset's rule when that rule reads nothing of the source row
(STUDYID, DOMAIN, --SEQ over the whole domain, --DY, EPOCH), and is missing there otherwise.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pandas as pd

from cdisc.rules import get
from cdisc.spec.sdtm import SdtmDataset, SdtmPart, reads_source_row


@dataclass(frozen=True)
class Segment:
    """The records of the main source (``part`` None) or of one part: their positions and their source columns."""

    part: SdtmPart | None
    index: pd.Index
    columns: list[str]


def bind_parts(main: pd.DataFrame, parts: list[tuple[SdtmPart, pd.DataFrame]]) -> tuple[pd.DataFrame, list[Segment]]:
    """The main source's rows followed by each part's, renumbered 0, 1, ...; each segment keeps its own columns.

    >>> from types import SimpleNamespace as Part
    >>> rows, segments = bind_parts(pd.DataFrame({"A": ["x"]}), [(Part(part="p"), pd.DataFrame({"B": ["y", "z"]}))])
    >>> rows.to_dict("list"), [(list(s.index), s.columns) for s in segments]
    ({'A': ['x', nan, nan], 'B': [nan, 'y', 'z']}, [([0], ['A']), ([1, 2], ['B'])])
    """
    frames = [main, *(rows for _, rows in parts)]
    bound = pd.concat([frame.reset_index(drop=True) for frame in frames], ignore_index=True)
    segments, start = [], 0
    for part, frame in zip([None, *(part for part, _ in parts)], frames):
        segments.append(Segment(part, pd.RangeIndex(start, start + len(frame)), list(frame.columns)))
        start += len(frame)
    return bound, segments


def rule_of(var: Any, segment: Segment, variables: set[str]) -> Any | None:
    """What builds ``var`` on a segment's records: the part's own rule, the dataset's rule (on the main source, or on
    a part that does not list the variable when the rule reads nothing of the source row), or None (missing)."""
    if segment.part is None:
        return var
    if var.name in segment.part.variables:
        return segment.part.variables[var.name]
    return None if reads_source_row(var, variables) else var


class SegmentRows:
    """The records of one or more segments with their source columns, each selection made once (every variable
    is built on the same few)."""

    def __init__(self, rows: pd.DataFrame):
        self.rows = rows
        self.made: dict[tuple[int, ...], pd.DataFrame] = {}

    def of(self, segments: list[Segment]) -> pd.DataFrame:
        key = tuple(id(s) for s in segments)
        if key not in self.made:
            index = segments[0].index.append([s.index for s in segments[1:]]) if len(segments) > 1 else segments[0].index
            columns = list(dict.fromkeys(c for s in segments for c in s.columns))
            self.made[key] = self.rows.loc[index, columns]
        return self.made[key]


def build_variable(
    var: Any, spec: SdtmDataset, rows: SegmentRows, segments: list[Segment],
    build: Callable[[Any, Any, pd.DataFrame, Segment | None], pd.Series],
) -> pd.Series:
    """``var`` on every record: ``build(var, rules, frame, segment)`` evaluates one rule on the records of ``frame``; the
    dataset's rule runs once over every segment that uses it (so --SEQ numbers the whole domain), a part's own rule
    over its records, and the other records get a missing value."""
    variables = {v.name for v in spec.variables}
    own = [s for s in segments if rule_of(var, s, variables) is var]
    pieces = []
    if own:
        pieces.append(build(var, var, rows.of(own), own[0] if len(own) == 1 else None))
    for segment in segments:
        rules = rule_of(var, segment, variables)
        if rules is not None and rules is not var:
            pieces.append(build(var, rules, rows.of([segment]), segment))
    if not pieces:
        return pd.Series(pd.NA, index=rows.rows.index, dtype="object")
    values = pd.concat(pieces) if len(pieces) > 1 else pieces[0]
    return values.reindex(rows.rows.index)


def parts_read_failed(spec: SdtmDataset, name: str, failed: set[str]) -> bool:
    """Whether a part's rule for variable ``name`` reads a variable that failed to build."""
    return bool(failed) and any(
        (get(rules.rule[0]).reads(rules.rule[1]) - {name}) & failed
        for part in spec.parts if (rules := part.variables.get(name)) is not None
    )
