"""What define.xml asks of a dataset's records, answered where the records are and kept as JSON.

The process that builds a dataset (a worker of the run's graph) answers, while the records are in memory, what
define.xml and its check against the data ask of them: :func:`save_summaries` asks the questions
:func:`~.build.build_define` asks (:func:`~.build.define_questions`, through the same :func:`~.values.summarise`) and
writes the answers into a folder. The run's own process then builds define.xml from them (:func:`read_summaries`
gives them as the records of a :class:`~.build.DefineDataset`) without reading the records again.
"""

from __future__ import annotations

import json
from pathlib import Path

from cdisc.arrowtext import is_text_per_record, plain_columns
from cdisc.built import BuiltDataset
from cdisc.definexml.build import DefineDataset, define_questions, described_tables
from cdisc.definexml.values import ColumnLoader, SettledFrame, Summary, summarise
from cdisc.spec.load import Study

__all__ = ["read_summaries", "save_summaries"]


def save_summaries(study: Study, built: BuiltDataset, folder: Path) -> None:
    """The answers about a built dataset's records (and its SUPP-- records) that define.xml asks, into
    ``folder/<DATASET>.json``."""
    frame = built.frame
    records = frame if not any(map(is_text_per_record, frame.dtypes)) else ColumnLoader(tuple(frame.columns), lambda names: plain_columns(frame[names]))
    tables = described_tables(study, DefineDataset(built.spec, records, built.supp))  # (text held once per distinct value: as text, a column at a time)
    answers = {t.meta.dataset: None if t.frame is None else summarise(t.meta.dataset, t.frame, define_questions(t.meta)) for t in tables}
    folder.mkdir(parents=True, exist_ok=True)
    text = json.dumps({name: None if settled is None else _settled_json(settled) for name, settled in answers.items()})
    (folder / f"{built.spec.dataset}.json").write_text(text, encoding="utf-8")


def read_summaries(folder: Path, name: str) -> tuple[SettledFrame | None, SettledFrame | None] | None:
    """The answers :func:`save_summaries` kept about dataset ``name``: of its records and of its SUPP-- records (None:
    none); None when there are none in ``folder``."""
    path = folder / f"{name}.json"
    if not path.is_file():
        return None
    tables = json.loads(path.read_text(encoding="utf-8"))
    own, supp = tables.get(name), tables.get(f"SUPP{name}")
    return _settled(own) if own is not None else None, _settled(supp) if supp is not None else None


def _settled_json(settled: SettledFrame) -> dict:
    """A :class:`SettledFrame` as JSON values (its summaries as [column, where clause, summary] in order)."""
    summaries = [[column, checks, None if summary is None else _summary_json(summary)] for (column, checks), summary in settled.summaries.items()]
    return {"name": settled.name, "columns": settled.columns, "summaries": summaries}


def _settled(value: dict) -> SettledFrame:
    """The :class:`SettledFrame` of :func:`_settled_json`."""
    summaries = {(column, tuple((v, c, tuple(values)) for v, c, values in checks)): None if summary is None else _summary(summary)
                 for column, checks, summary in value["summaries"]}
    return SettledFrame(value["name"], tuple(value["columns"]), summaries)


def _summary_json(summary: Summary) -> dict:
    """A :class:`Summary` as JSON values (the texts' counts as an object, in their order)."""
    return {"asked": sorted(summary.asked), "empty": summary.empty, "counts": summary.counts, "length": summary.length,
            "digits": summary.digits, "fractions": summary.fractions, "examples": summary.examples}


def _summary(value: dict) -> Summary:
    """The :class:`Summary` of :func:`_summary_json`."""
    digits, examples = value["digits"], value["examples"]
    return Summary(frozenset(value["asked"]), value["empty"], value["counts"], value["length"],
                   None if digits is None else tuple(digits), value["fractions"], None if examples is None else tuple(examples))
