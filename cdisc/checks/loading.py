"""Read an output folder for validation one dataset at a time: every ``.xpt`` under it, grouped by folder, with
define.xml keys.

A folder holding ``ad*.xpt`` files is an ADaM package, any other folder with
``.xpt`` files an SDTM package. Keys come from the folder's ``define.xml``
(``KeySequence`` in Define-XML 2.x, ``def:DomainKeys`` in 1.0); DM, ADSL,
TS, TE and SUPP-- have well-known keys when define.xml gives none.

Each file is read once (ASCII, else Windows-1252, which the ASCII rule then reports). A dataset's records are
loaded for its turn (:meth:`Loader.turns`) and let go after it, except those of the pinned datasets
(:data:`PINNED`: small, and reached by name from other datasets' rules), which are read first and kept until
validation ends. A dataset's SUPP-- (the CT rule reads its QNAMs) is read at the dataset's turn and has its own
turn right after.

Datasets whose rules already ran in the worker process that wrote them (:mod:`cdisc.checks.ahead`) take no turn: their
attributes, kept summaries and findings come from there, provided the define.xml the worker assumed gives the keys and
value-level codelists this folder's define.xml gives (else they take their turn here as any other).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from lxml import etree

from cdisc.checks.package import Dataset, Package, Submission, model_of
from cdisc.checks.rules_terms import value_level
from cdisc.checks.standards import Standards
from cdisc.compare.tables import Table, read_table
from cdisc.errors import DataError, UsageError

if TYPE_CHECKING:
    from cdisc.checks.ahead import CheckedFile

DEFAULT_KEYS = {
    "DM": ["STUDYID", "USUBJID"],
    "ADSL": ["STUDYID", "USUBJID"],
    "TS": ["STUDYID", "TSPARMCD", "TSSEQ"],
    "TE": ["STUDYID", "ETCD"],
    "SUPP": ["STUDYID", "RDOMAIN", "USUBJID", "IDVAR", "IDVARVAL", "QNAM"],
}
#: Datasets the rules of every dataset may reach by name (one or a few records per subject, or trial design).
PINNED = frozenset({"DM", "SE", "TS", "AE", "DD", "ADSL"})


@dataclass(frozen=True)
class _File:
    """One dataset file, its package and the keys its package's define.xml gives per dataset."""

    path: Path
    package: Package
    keys: dict[str, list[str]]

    @property
    def name(self) -> str:
        return self.path.stem.upper()


def open_submission(root: Path, standards: Standards, read: Callable[[Path], Table] = read_table,
                    checked: Mapping[Path, CheckedFile] | None = None) -> Loader:
    """The packages under ``root`` (define.xml parsed) and a loader of their dataset files (by ``read``); nothing read
    yet. ``checked``: what worker processes found on dataset files, by path."""
    if not root.is_dir():
        raise UsageError(f"{root}: no such folder")
    folders = sorted({p.parent for p in root.rglob("*") if p.suffix.lower() == ".xpt"})
    if not folders:
        raise UsageError(f"{root}: no .xpt datasets found in this folder or below")
    submission = Submission(root, standards=standards)
    files: list[_File] = []
    for folder in folders:
        paths = sorted(p for p in folder.iterdir() if p.suffix.lower() == ".xpt")
        model = "ADaM" if any(p.stem.lower().startswith("ad") for p in paths) else "SDTM"
        define = next((p for p in folder.iterdir() if p.name.lower() == "define.xml"), None)
        package = Package(folder, model, [p.name.lower() for p in paths], define)
        submission.packages.append(package)
        keys = define_keys(package.tree) if package.tree is not None else {}
        files += [_File(path, package, keys) for path in paths]
    return Loader(submission, files, read, accepted(files, checked or {}))


class Loader:
    """Reads each dataset file of a submission once, when a turn needs it, and keeps ``submission.datasets`` (the
    readable ones, in file order) and ``submission.unreadable`` (in file order) up to date. A file in ``checked`` (by
    position) is not read unless pinned: its dataset is made released from what the worker kept."""

    def __init__(self, submission: Submission, files: list[_File], read: Callable[[Path], Table] = read_table,
                 checked: Mapping[int, CheckedFile] | None = None) -> None:
        self.submission = submission
        self.files = files
        self.read_table = read
        self.checked = dict(checked or {})
        self.read: dict[int, Dataset | None] = {}  # file position -> its dataset (None: unreadable)
        self.problems: dict[int, str] = {}

    def turns(self) -> Iterator[tuple[Dataset, Submission]]:
        """Each readable dataset once, with the view of the submission its rules see (:meth:`Submission.view`),
        records loaded; its records are let go when the next turn starts (a pinned dataset's stay)."""
        for position, file in enumerate(self.files):
            if file.name in PINNED:
                self._dataset(position)
        for position in turn_order([f.name for f in self.files]):
            dataset = self._dataset(position)
            if dataset is None or position in self.checked:
                continue
            supplement = f"SUPP{dataset.name}"
            self._first(supplement)
            yield dataset, self.submission.view(dataset, {name: self.submission.find(name) for name in PINNED | {supplement}})
            if dataset.name not in PINNED:
                dataset.release()

    def _first(self, name: str) -> None:
        """Read the files called ``name``, in file order, up to the first readable one (the dataset ``find()`` gives)."""
        for position, file in enumerate(self.files):
            if file.name == name and self._dataset(position) is not None:
                return

    def _dataset(self, position: int) -> Dataset | None:
        """The dataset of the file at ``position``, read the first time it is asked for."""
        if position not in self.read:
            self.read[position] = self._read(position)
            self.submission.datasets[:] = [d for _, d in sorted(self.read.items()) if d is not None]
            self.submission.unreadable[:] = [problem for _, problem in sorted(self.problems.items())]
        return self.read[position]

    def findings(self) -> dict[Path, dict[str, list]]:
        """The findings worker processes made on the checked files, by file and rule."""
        return {self.files[position].path: found.findings for position, found in self.checked.items()}

    def _read(self, position: int) -> Dataset | None:
        file, found = self.files[position], self.checked.get(position)
        if found is not None and file.name not in PINNED:
            return found.dataset(file.path)
        try:
            table = self.read_table(file.path)
        except DataError as exc:
            self.problems[position] = str(exc)
            return None
        dataset = dataset_of(file.name, table, file.keys)
        if found is not None:
            dataset.kept.update(found.kept)
        return dataset


def dataset_of(name: str, table: Table, keys: dict[str, list[str]]) -> Dataset:
    """The dataset ``name`` read as ``table``, its keys those ``keys`` (of define.xml) gives it, else well-known ones."""
    default = DEFAULT_KEYS.get("SUPP" if name.startswith("SUPP") else name, [])
    chosen = [k for k in keys.get(name, default) if k in table.frame.columns]
    return Dataset(name, model_of(name), table, chosen)


def define_facts(package: Package, keys: dict[str, list[str]], name: str) -> object:
    """What the per-dataset rules take from a package's define.xml about dataset ``name``: its keys and its value-level
    codelists (as JSON values, so that those a worker process assumed compare equal)."""
    levels = {variable: items for (dataset, variable), items in value_level(package).items() if dataset == name}
    return json.loads(json.dumps({"keys": keys.get(name), "levels": levels}))


def accepted(files: list[_File], checked: Mapping[Path, CheckedFile]) -> dict[int, CheckedFile]:
    """The checked files (by position) whose worker assumed what define.xml says, of each worker task (a dataset and its
    SUPP--) only when all of its files are so: a dataset taking its turn here has its SUPP-- read beside it."""
    found = {position: checked[file.path] for position, file in enumerate(files) if file.path in checked}
    agrees = {p: found[p].facts == define_facts(files[p].package, files[p].keys, files[p].name) for p in found}
    refused = {found[p].task for p, agreed in agrees.items() if not agreed}
    return {p: one for p, one in found.items() if one.task not in refused}


def turn_order(names: list[str]) -> list[int]:
    """Positions of the files (by dataset name, in file order) in the order of their turns: file order, except that a
    SUPP-- comes right after the last dataset it supplements (read at that dataset's turn, it is then let go soon).

    >>> turn_order(["AE", "DM", "LB", "SUPPAE", "SUPPLB", "SUPPXX"])
    [0, 3, 1, 2, 4, 5]
    """
    supplements = {p: name[4:] for p, name in enumerate(names) if name.startswith("SUPP") and name[4:] in names}
    order = [p for p in range(len(names)) if p not in supplements]
    for position, parent in supplements.items():
        last = max(i for i, p in enumerate(order) if names[p] in (parent, f"SUPP{parent}"))
        order.insert(last + 1, position)
    return order


def define_keys(tree: etree._ElementTree) -> dict[str, list[str]]:
    """Key variables per dataset from a define.xml (1.0 or 2.x)."""
    names = {item.get("OID"): item.get("Name") for item in tree.iter("{*}ItemDef")}  # (by local name, in any namespace)
    keys: dict[str, list[str]] = {}
    for group in tree.iter("{*}ItemGroupDef"):
        refs = [(int(r.get("KeySequence")), names.get(r.get("ItemOID"), "")) for r in group.iterchildren("{*}ItemRef")
                if (r.get("KeySequence") or "").isdigit()]  # (one that is no whole number, e.g. "1.0", orders no key)
        domain_keys = next((v for k, v in group.attrib.items() if k.endswith("DomainKeys")), "")
        found = [name for _, name in sorted(refs)] or [k.strip() for k in domain_keys.split(",") if k.strip()]
        if found and group.get("Name"):
            keys[group.get("Name").upper()] = found
    return keys
