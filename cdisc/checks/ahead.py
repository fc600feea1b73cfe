"""Validation's per-dataset turns, run ahead in the worker processes that build a study's datasets.

A worker task per dataset (``check NAME``, :func:`cdisc.graph.dataset_graph`) runs once the dataset and the pinned
datasets (:data:`~cdisc.checks.loading.PINNED`) are built: it takes the dataset's files (its XPT file and its SUPP--'s)
as the worker that wrote them read them (:meth:`cdisc.handoff.Handoff.read_back`), gives each its turn
(:func:`~cdisc.checks.run.check_turn`) and leaves in the handoff folder's ``checks/``, per file, its findings (Arrow
IPC), its attributes and kept summaries and what its rules took from define.xml (JSON). The run's own process then
validates with those (:func:`checked_in_workers`): only the rules ``across`` datasets run there.

define.xml is written once every dataset is built, so the worker takes a dataset's keys and value-level codelists from a
define.xml made from its spec alone; the run's own process keeps a worker's findings only where the written define.xml
says the same (:func:`cdisc.checks.loading.accepted`), else the dataset takes its turn there as before.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd
from pyarrow import feather
from pydantic import BaseModel

from cdisc.checks.loading import PINNED, dataset_of, define_facts, turn_order
from cdisc.checks.package import Dataset, Package, Submission, Summaries, model_of
from cdisc.checks.registry import COLUMNS, KEPT
from cdisc.checks.rules_terms import VALUE_LEVEL
from cdisc.checks.run import check_turn
from cdisc.checks.standards import Standards, load_standards, locate_standards
from cdisc.compare.tables import Table, Variable

if TYPE_CHECKING:
    from cdisc.handoff import Handoff
    from cdisc.spec.load import Study

__all__ = ["CheckedFile", "check_in_worker", "checked_in_workers", "make_named_terms"]


@dataclass
class _Held:
    """What a worker process keeps between the check tasks of one run: the IG/CT metadata and their shared summaries,
    the pinned datasets (records and summaries) and each dataset's define.xml made from its spec (as a package)."""

    standards: Standards
    shared: Summaries = field(default_factory=Summaries)
    pinned: dict[str, Dataset | None] = field(default_factory=dict)
    described: dict[str, tuple[Package, dict[str, list[str]]]] = field(default_factory=dict)


_HELD: dict[Path, _Held] = {}  # per handoff folder, in a worker process


def make_named_terms(study: Study) -> None:
    """Make the terms of each CT codelist the study's specs and codelists name, in the run's own process before the
    worker processes are forked from it: they share them (else each makes them, for its builds, for the define.xml of
    each dataset's spec and for the CT rules), and the run's define.xml needs them later."""
    own = study.codelist_file.codelists
    named = set(_codelists_named([dataset.spec for dataset in study.datasets.values()])) | {c.name for c in own}
    coded = {c.nci for c in own if c.nci}
    for codelist in study.ct.values():
        if codelist.name in named or codelist.nci in coded:
            codelist.terms  # noqa: B018  (a cached property: made here, once)


def _codelists_named(value: object) -> Iterator[str]:
    """Every ``codelist`` a spec model (or what it holds) names."""
    if isinstance(value, BaseModel):
        for field_name in type(value).model_fields:
            held = getattr(value, field_name)
            if field_name == "codelist" and isinstance(held, str):
                yield held
            else:
                yield from _codelists_named(held)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _codelists_named(item)
    elif isinstance(value, dict):
        for item in value.values():
            yield from _codelists_named(item)


def check_in_worker(study: Study, handoff: Handoff, name: str) -> list[str]:
    """The per-dataset rules on dataset ``name`` and its SUPP--, left in ``handoff.folder / "checks"``; nothing when a
    file was not read back (the run's own process reads it, and says why it cannot). The names of the datasets the
    rules reached (pinned ones, its SUPP--): the findings hold as long as those and its own files do."""
    held = _HELD.setdefault(handoff.folder, _Held(load_standards(locate_standards(None))))
    files = _xpt_files(handoff, name)
    if not files:
        return []
    package, keys = _described(held, study, handoff, name, next(iter(files.values())).parent)
    read = {rel: _dataset(held, study, handoff, rel, path, keys) for rel, path in files.items()}
    datasets = {rel: dataset for rel, dataset in read.items() if dataset is not None}
    if len(datasets) < len(read):
        return []
    entries, found, reached = {}, [], set[str]()
    for rel in [list(datasets)[p] for p in turn_order([d.name for d in datasets.values()])]:
        dataset = datasets[rel]
        named = _Reach(PINNED | {f"SUPP{dataset.name}"}, lambda n: _reached(held, study, handoff, datasets, n))
        view = Submission(handoff.folder, held.standards, [package], [dataset], shared=held.shared, named=named)
        found += [f.assign(file=rel, check=rule) for rule, frames in check_turn(dataset, view).items() for f in frames]
        reached |= named.got.keys()
        entries[rel] = _entry(dataset, define_facts(package, keys, dataset.name))
        if dataset.name not in PINNED:
            dataset.release()
    folder = handoff.folder / "checks"
    folder.mkdir(exist_ok=True)
    if found:
        feather.write_feather(pd.concat(found, ignore_index=True), folder / f"{name}.arrow", compression="uncompressed")
    (folder / f"{name}.json").write_text(json.dumps({"files": entries}), encoding="utf-8")
    return sorted(reached)


def _xpt_files(handoff: Handoff, name: str) -> dict[str, Path]:
    """The XPT files a dataset task wrote (its own, its SUPP--'s), by their path in the output folder, where they are."""
    listed = handoff.folder / "files" / f"{name}.sha256.json"
    written = json.loads(listed.read_text(encoding="utf-8")) if listed.is_file() else {}
    return {rel: handoff.folder / "files" / name / rel for rel in sorted(written) if rel.endswith(".xpt")}


def _described(held: _Held, study: Study, handoff: Handoff, name: str, folder: Path) -> tuple[Package, dict[str, list[str]]]:
    """A package of the dataset's folder whose define.xml is that of the dataset's spec alone, and its keys: what
    :func:`~cdisc.checks.loading.define_keys` and :func:`~cdisc.checks.rules_terms.value_level` would read in it, taken
    from the document before it is written (:func:`spec_define`)."""
    if name not in held.described:
        keys, levels = spec_define(study, handoff.specs[name])
        package = Package(folder, model_of(name), [], None)
        package.summaries[VALUE_LEVEL] = levels
        held.described[name] = package, keys
    return held.described[name]


def spec_define(study: Study, spec) -> tuple[dict[str, list[str]], dict[tuple[str, str], list]]:
    """The keys (by dataset) and value-level codelists (by dataset and variable) of the define.xml of one dataset (and
    its SUPP--) described from its spec alone, as define.xml gives them to the rules (read off the document's content)."""
    from cdisc.definexml.build import DefineDataset, build_define

    define = build_define(study, [DefineDataset(spec, None)])
    names = {oid: item.name for oid, item in define.items.items()}
    nci = {codelist.oid: codelist.nci for codelist in define.codelists}
    code = {oid: found for oid, item in define.items.items() if (found := nci.get(item.codelist_oid or ""))}
    clauses = {clause.oid: tuple((names[c.item_oid], False, tuple(v.strip() for v in c.values)) for c in clause.checks)
               for clause in define.where_clauses if clause.checks and all(c.item_oid in names for c in clause.checks)}
    lists = {values.oid: [((clauses[ref.where_oid],), code[ref.item_oid]) for ref in values.refs if ref.item_oid in code and ref.where_oid in clauses]
             for values in define.value_lists}
    listed = {oid: items for oid, item in define.items.items() if (items := lists.get(item.value_list_oid or ""))}
    keys = {group.name.upper(): [names.get(oid, "") for oid in group.keys] for group in define.groups if group.keys}
    levels = {(group.name.upper(), names[ref.item_oid]): listed[ref.item_oid] for group in define.groups for ref in group.refs if ref.item_oid in listed}
    return keys, levels


def _dataset(held: _Held, study: Study, handoff: Handoff, rel: str, path: Path, keys: dict[str, list[str]]) -> Dataset | None:
    """The dataset of a file the task wrote (a pinned one: the one this process holds); None when it was not read back."""
    name = path.stem.upper()
    if name in PINNED:
        return _pinned(held, study, handoff, name)
    table = handoff.read_back(rel, path, anew=True)
    return None if table is None else dataset_of(name, table, keys)


def _pinned(held: _Held, study: Study, handoff: Handoff, name: str) -> Dataset | None:
    """Pinned dataset ``name``, read the first time it is asked for; None when the study has none (or it was not read
    back: then the run's own process cannot read it either)."""
    if name not in held.pinned:
        files = {rel: path for rel, path in _xpt_files(handoff, name).items() if path.stem.upper() == name}
        table = next((handoff.read_back(rel, path, anew=True) for rel, path in files.items()), None)
        keys = _described(held, study, handoff, name, next(iter(files.values())).parent)[1] if table is not None else {}
        held.pinned[name] = None if table is None else dataset_of(name, table, keys)
    return held.pinned[name]


def _reached(held: _Held, study: Study, handoff: Handoff, task: dict[str, Dataset], name: str) -> Dataset | None:
    """A dataset a turn reaches by name: pinned, else one of the task's (its SUPP--)."""
    if name in PINNED:
        return _pinned(held, study, handoff, name)
    return next((d for d in task.values() if d.name == name), None)


class _Reach(Mapping):
    """The datasets a turn may reach by name (``names``), each got when a rule first asks for it (:attr:`got`: those
    asked for)."""

    def __init__(self, names: frozenset[str], get: Callable[[str], Dataset | None]) -> None:
        self.names, self.get_dataset = names, get
        self.got: dict[str, Dataset | None] = {}

    def __getitem__(self, name: str) -> Dataset | None:
        if name not in self.names:
            raise KeyError(name)
        if name not in self.got:
            self.got[name] = self.get_dataset(name)
        return self.got[name]

    def __contains__(self, name: object) -> bool:
        return name in self.names

    def __iter__(self) -> Iterator[str]:
        return iter(self.names)

    def __len__(self) -> int:
        return len(self.names)


def _entry(dataset: Dataset, facts: object) -> dict:
    """A checked file's attributes, kept summaries (:data:`~cdisc.checks.registry.KEPT`: JSON values) and define.xml
    facts, as JSON values."""
    table = dataset.table
    return {"name": dataset.name, "label": table.label, "encoding": table.encoding, "variables": [asdict(v) for v in table.variables],
            "columns": list(dataset.columns), "records": dataset.records, "domain": dataset.domain, "keys": dataset.keys,
            "table": table.name, "kept": {name: dataset.kept[name] for name in KEPT}, "facts": facts}


@dataclass(frozen=True)
class CheckedFile:
    """What a worker process found on one dataset file: the findings of each per-dataset rule, and the dataset as
    the rules across datasets see it (attributes, kept summaries), made from the define.xml ``facts`` it assumed."""

    task: str  # the dataset whose task checked it (a SUPP--: its parent)
    entry: dict  # as :func:`_entry` left it
    findings: dict[str, list[pd.DataFrame]]  # by rule

    @property
    def facts(self) -> object:
        return self.entry["facts"]

    @property
    def kept(self) -> dict:
        return self.entry["kept"]

    def dataset(self, path: Path) -> Dataset:
        """The dataset (now at ``path``) with its records let go, as after its turn."""
        entry = self.entry
        variables = tuple(Variable(**v) for v in entry["variables"])
        table = Table(entry["table"], entry["label"], path, pd.DataFrame(columns=entry["columns"]), variables, entry["encoding"])
        dataset = Dataset(entry["name"], model_of(entry["name"]), table, entry["keys"])
        dataset.records, dataset.domain, dataset.released = entry["records"], entry["domain"], True
        dataset.kept.update(entry["kept"])
        return dataset


def checked_in_workers(folder: Path, root: Path) -> dict[Path, CheckedFile]:
    """What the check tasks left in ``folder / "checks"``, by the file's path under ``root`` (the output folder)."""
    checked: dict[Path, CheckedFile] = {}
    for listed in sorted((folder / "checks").glob("*.json")):
        findings = _findings(listed.with_suffix(".arrow"))
        for rel, entry in json.loads(listed.read_text(encoding="utf-8"))["files"].items():
            checked[root / rel] = CheckedFile(listed.stem, entry, findings.get(rel, {}))
    return checked


def _findings(path: Path) -> dict[str, dict[str, list[pd.DataFrame]]]:
    """A task's findings by file and rule (each rule's findings of a file as one frame)."""
    if not path.is_file():
        return {}
    found: dict[str, dict[str, list[pd.DataFrame]]] = {}
    for (rel, rule), part in feather.read_feather(path).groupby(["file", "check"], sort=False):
        found.setdefault(rel, {})[rule] = [part[COLUMNS].reset_index(drop=True)]
    return found
