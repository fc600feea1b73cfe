"""Which columns of the datasets built before it a dataset's build reads, where its spec says so.

A worker process reads the records of the datasets a build needs from the handoff folder
(:meth:`cdisc.handoff.Handoff.frames`); a dataset the spec reads only through rules that name every column they
read of it (merge rules' ``by``, ``order``, ``value`` and ``filter_add``, a summary step's ``dataset_add``) is read
with those columns alone: SV summarises the visit dates of nine domains, ADSL merges from eleven datasets.
A source dataset is read with the columns its spec names anywhere (PP of ADPC's, as the columns of a merged dataset are
chosen: :func:`cdisc.adam.engine.written_text`) when no SUPP-- qualifiers are joined on and every record step names
what it reads. A dataset read any other way (merged or appended records, after other record steps, or by a rule that
reads columns its parameters do not name, such as DM's RFSTDTC for study days) is read whole. A dataset named only in
``depends_on`` (built first: RELREC relates the records of PC, PP, TU and TR) is read with the columns every subset keeps:
every rule that reads another dataset names it in its parameters.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from cdisc.adam.engine import written_text
from cdisc.rules import get
from cdisc.spec.adam import AdamDataset
from cdisc.spec.base import parsed
from cdisc.spec.check import dependencies
from cdisc.spec.sdtm import SdtmDataset

__all__ = ["columns_read", "read_held", "source_names"]

#: Rules that read of their other dataset only the columns their references name (and no SUPP-- qualifiers unasked).
_NAMING_RULES = frozenset({"derive_vars_merged", "derive_var_merged_summary", "derive_vars_joined", "derive_summary_records"})
#: Record steps that read of the records only the columns their parameters name ("derive" builds named variables;
#: derive_extreme_records copies whole records, but a column no text of the spec names is read by no rule after it).
_NAMING_STEPS = frozenset({"derive", "derive_summary_records", "derive_param_nca", "derive_extreme_records"})
#: Columns every subset keeps: what identifies a record's study and subject.
_ALWAYS = frozenset({"STUDYID", "USUBJID"})
#: Record steps whose new records take their text from the records (copied whole, or a group's by variables) or from the
#: values they set, so that text held once per distinct value stays so, or is text (:func:`read_held`).
_HOLDING_STEPS = frozenset({"derive", "derive_extreme_records", "derive_param_computed"})
_WHOLE = None


def columns_read(spec: SdtmDataset | AdamDataset) -> dict[str, frozenset[str]]:
    """The names of the columns the build of ``spec`` reads of each dataset whose every use names them; the datasets it
    needs that are not keys are read whole.

    >>> spec = AdamDataset.model_validate({"dataset": "ADSL", "label": "Subjects", "class": "SUBJECT LEVEL ANALYSIS DATASET",
    ...     "structure": "One record per subject", "keys": ["USUBJID"], "source": {"dataset": "DM"},
    ...     "variables": [{"name": "TRTSDT", "label": "Start", "type": "integer", "origin": "Derived",
    ...                    "derive_vars_merged": {"dataset": "EX", "order": ["EXSTDTC"], "value": "sas_date(EXSTDTC)"}}]})
    >>> sorted(columns_read(spec)["EX"])
    ['EXSTDTC', 'STUDYID', 'USUBJID']
    """
    read: dict[str, set[str] | None] = {}
    for dataset, names in _reads(spec):
        known = read.get(dataset, set())
        read[dataset] = None if names is _WHOLE or known is None else known | names
    needed = dependencies(spec)
    return {dataset: frozenset(names | _ALWAYS) for dataset, names in read.items() if names is not None and dataset in needed}


def read_held(spec: SdtmDataset | AdamDataset) -> frozenset[str]:
    """The datasets whose repetitive text the build of ``spec`` may read held once per distinct value
    (:meth:`cdisc.handoff.Handoff.frames`): every dataset an ADaM build reads, when its record steps are of
    :data:`_HOLDING_STEPS` (or it has none). Its rules read such text as text (:meth:`cdisc.rules.records.Records.column`),
    as they read ADSL's text merged onto each record; other steps join records of their own (a summary's, a parameter's
    of other datasets) to the records' held text as numbers or missing values of another type.

    >>> spec = {"dataset": "ADLB", "label": "Lab", "class": "BASIC DATA STRUCTURE", "structure": "One record per test",
    ...     "keys": ["USUBJID"], "source": {"dataset": "LB", "merge": [{"dataset": "ADSL"}]},
    ...     "variables": [{"name": "AVAL", "label": "Value", "type": "float", "origin": "Derived", "expr": "LBSTRESN"}]}
    >>> sorted(read_held(AdamDataset.model_validate(spec)))
    ['ADSL', 'LB']
    >>> summary = {"derive_summary_records": {"by_vars": ["USUBJID"], "set_values_to": {"DTYPE": "AVERAGE"}}}
    >>> read_held(AdamDataset.model_validate(spec | {"steps": [summary]}))
    frozenset()
    """
    if not isinstance(spec, AdamDataset) or any(step.rule[0] not in _HOLDING_STEPS for step in spec.steps):
        return frozenset()
    return frozenset(dependencies(spec))


def _reads(spec: SdtmDataset | AdamDataset) -> Iterator[tuple[str, set[str] | None]]:
    """Each way ``spec`` reads another dataset: the dataset and the names of the columns read, or None for all."""
    yield from ((dataset, set()) for dataset in spec.depends_on)
    if spec.source.dataset is not None:
        yield spec.source.dataset, source_names(spec)
    if isinstance(spec, AdamDataset):
        yield from ((part.dataset, _WHOLE) for part in spec.source.append)
        yield from ((merge.dataset, _WHOLE) for merge in spec.source.merge)
        rules = [step.rule for step in spec.steps] + [var.rule for var in spec.variables]
    else:
        yield from ((part.source.dataset, _WHOLE) for part in spec.parts if part.source.dataset is not None)
        yield from (("DM", _WHOLE), ("SE", _WHOLE))  # study days, epochs, last observations before exposure
        rules = [step.rule for step in spec.source.steps] + [var.rule for var in spec.variables]
    for name, params in rules:
        for _, dataset in get(name).datasets(params):
            yield dataset, _other_names(name, params)


def source_names(spec: SdtmDataset | AdamDataset) -> set[str] | None:
    """The columns a build reads of its source dataset, when its record steps read only columns they name and no SUPP--
    qualifiers are joined on: the names its spec writes (as a merged dataset's columns are chosen); else None (all)."""
    steps = spec.steps if isinstance(spec, AdamDataset) else spec.source.steps
    if getattr(spec.source, "supp", False) or any(step.rule[0] not in _NAMING_STEPS for step in steps):
        return _WHOLE
    return set(re.findall(r"[A-Za-z_]\w*", written_text(spec))) | _ALWAYS


def _other_names(name: str, params) -> set[str] | None:
    """The columns rule ``name`` reads of its other dataset, when its references name them all."""
    if name not in _NAMING_RULES or getattr(params, "supp", False):
        return _WHOLE
    names: set[str] = set()
    for ref in get(name).references(params):
        if ref.kind in ("other", "variable"):
            names.add(ref.text)
        elif ref.kind in ("other_expression", "joined_expression"):
            names |= parsed(ref.text).dependencies
    return names
