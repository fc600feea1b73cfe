"""Load a study folder: ``study.yaml``, ``codelists.yaml`` and every dataset spec, all checked.

:func:`load_study` either returns a fully checked :class:`Study` or raises
:class:`~cdisc.errors.SpecError` listing every problem found, each located to
file, line and column.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Collection, Mapping
from contextvars import ContextVar
from dataclasses import dataclass, field
from functools import cached_property, partial
from pathlib import Path
from typing import TYPE_CHECKING, get_args

import pandas as pd

from cdisc.arrowtext import held_columns
from cdisc.errors import SpecError, SpecIssue, UsageError
from cdisc.inputs import input_path, read_input
from cdisc.raw import FILE, ROW, RawTableFile, discover_tables, read_table
from cdisc.spec.adam import AdamClass, AdamDataset
from cdisc.spec.copy import with_copied_variables
from cdisc.spec.expr import did_you_mean
from cdisc.spec.models import CodelistFile, RawData, SdtmClass, StudySpec
from cdisc.spec.sdtm import SdtmDataset
from cdisc.spec.validate import validate_document
from cdisc.spec.yamlsource import PathKey, YamlDocument, load_yaml
from cdisc.standards_meta import ig_order, with_ig_defaults
from cdisc.terminology import CodelistTerms, load_ct_file

if TYPE_CHECKING:
    from cdisc.changes import PreviousRun

STUDY_FILE = "study.yaml"


@dataclass
class DatasetFile:
    """A validated dataset spec and the document it came from (for located errors)."""

    spec: SdtmDataset | AdamDataset
    doc: YamlDocument


@dataclass
class Study:
    """A loaded study: its spec, codelists and dataset specs in build order."""

    folder: Path
    spec: StudySpec
    doc: YamlDocument
    codelist_file: CodelistFile = field(default_factory=CodelistFile)
    codelist_doc: YamlDocument | None = None
    datasets: dict[str, DatasetFile] = field(default_factory=dict)
    spec_warnings: list[SpecIssue] = field(default_factory=list)  # where a spec states IG metadata differently
    data_cutoff: dt.date | None = None  # the run's data cutoff (--data-cutoff, else study.yaml), set when a run is prepared
    previous_run: PreviousRun | None = None  # the run this one is compared with (seq: {stable: true} keeps its --SEQ), set then too
    _raw_frames: dict[str, pd.DataFrame] = field(default_factory=dict, repr=False)

    def resolve(self, path: Path) -> Path:
        """A path from the spec, relative to the study folder."""
        return path if path.is_absolute() else (self.folder / path)

    @cached_property
    def raw_tables(self) -> dict[str, RawTableFile]:
        """The raw tables of the extract by name (none when the study has no raw data)."""
        if self.spec.raw is None:
            return {}
        raw = self.spec.raw
        declared = {n: t.model_dump() for n, t in raw.tables.items()}
        return discover_tables(self.resolve(raw.folder), declared, encoding=raw.encoding, na_values=raw.na_values)

    @cached_property
    def input_files(self) -> dict[str, Path | None]:
        """Input datasets by name and the file each is read from (None when no file is found)."""
        if self.spec.inputs is None:
            return {}
        folder = self.resolve(self.spec.inputs.folder)
        return {name: (folder / typed.file if typed.file and (folder / typed.file).is_file() else None) if typed.file
                else input_path(folder, name) for name, typed in self.spec.inputs.datasets.items()}

    def input_frame(self, name: str) -> pd.DataFrame:
        """An input dataset, read and typed (once per run)."""
        key = f"input:{name}"
        if key not in self._raw_frames:
            path, inputs = self.input_files.get(name), self.spec.inputs
            if path is None or inputs is None:  # check-spec refuses a missing input file before anything reads one
                raise SpecError([self.doc.issue(("inputs", "datasets", name), "study.inputs", f"no input file for dataset {name}")])
            self._raw_frames[key] = read_input(path, inputs.datasets[name])
        return self._raw_frames[key]

    def raw_frame(self, table: str) -> pd.DataFrame:
        """A raw table's rows (read once per run); callers must not modify the frame. A large table's repetitive text
        columns are held once per distinct value (:func:`~cdisc.arrowtext.held_columns`): read them as text through
        :func:`~cdisc.arrowtext.plain_text` (as expressions and rules do)."""
        if table not in self._raw_frames:
            self._raw_frames[table] = held_columns(read_table(self.raw_tables[table]), plain=(FILE, ROW))
        return self._raw_frames[table]

    def release_frames(self) -> None:
        """Let go of the raw tables and input datasets read so far (read again when asked for)."""
        self._raw_frames.clear()

    def narrow_raw_frames(self, columns: Mapping[str, Collection[str]]) -> None:
        """Keep of each raw table read so far only the ``columns`` named for it (those it has; a table not named: none),
        letting go of the others; what is kept is not read again."""
        for table in [t for t in self._raw_frames if t in self.raw_tables]:
            frame = self._raw_frames[table]
            self._raw_frames[table] = frame[[c for c in frame.columns if c in columns.get(table, ())]]

    @cached_property
    def ct(self) -> dict[str, CodelistTerms]:
        """CDISC controlled terminology codelists (SDTM and ADaM files named in study.yaml)."""
        codelists: dict[str, CodelistTerms] = {}
        for path in (self.spec.terminology.sdtm, self.spec.terminology.adam):
            if path is not None:
                codelists.update(load_ct_file(self.resolve(path).resolve()))
        return codelists


WORKING_FOLDER: ContextVar[Path | None] = ContextVar("WORKING_FOLDER", default=None)  # a Dask worker's run: the client's folder


def display_path(path: Path) -> str:
    """``path`` relative to the working folder when it lies inside it, as users typed it (on a Dask
    worker converting a study for a client, relative to the client's working folder)."""
    try:
        return str(path.resolve().relative_to((WORKING_FOLDER.get() or Path.cwd()).resolve()))
    except ValueError:
        return os.path.normpath(str(path))


def load_study(folder: Path, raw: Path | None = None) -> Study:
    """Load and check the study in ``folder``; raise :class:`SpecError` listing every problem.

    ``raw`` reads the raw extract from that folder instead of ``raw.folder`` in study.yaml (a new transfer
    converted with the same specs).
    """
    from cdisc.spec.check import check_study  # check needs Study; import here to keep modules acyclic

    study_file = folder / STUDY_FILE if folder.is_dir() else folder
    if not study_file.is_file():
        raise UsageError(f"{display_path(folder)}: no {STUDY_FILE} found; a study is a folder holding {STUDY_FILE}")
    folder = study_file.parent
    doc = load_yaml(study_file, display_path(study_file))
    spec, issues = validate_document(StudySpec, doc, _study_subject)
    if spec is None:
        raise SpecError(issues)
    if raw is not None:
        spec = _with_raw_folder(spec, raw)
    study = Study(folder=folder, spec=spec, doc=doc)
    issues += _load_codelists(study)
    issues += _load_datasets(study)
    if not issues:
        issues = check_study(study)
    if issues:
        raise SpecError(issues)
    _in_ig_order(study)
    return study


def _in_ig_order(study: Study) -> None:
    """Every dataset's variables in SDTMIG order (a variable the IG does not define stays after the one listed
    before it), with their places in the spec file moved along so messages still point at the right lines."""
    for name, dataset in study.datasets.items():
        spec, doc = dataset.spec, dataset.doc
        order = ig_order(spec.dataset, spec.dataset_class, [v.name for v in spec.variables])
        if order != sorted(order):
            data = {**doc.data, "variables": [doc.data["variables"][i] for i in order]}
            reordered = spec.model_copy(update={"variables": [spec.variables[i] for i in order]})
            study.datasets[name] = DatasetFile(reordered, doc.reordered(("variables",), order, data))


def _with_raw_folder(spec: StudySpec, folder: Path) -> StudySpec:
    """``spec`` reading its raw extract from ``folder`` (as given on the command line, relative to the working folder)."""
    if not folder.is_dir():
        raise UsageError(f"--raw {display_path(folder)}: no such folder")
    raw = spec.raw.model_copy(update={"folder": folder.resolve()}) if spec.raw else RawData(folder=folder.resolve())
    return spec.model_copy(update={"raw": raw})


def _study_subject(loc: PathKey) -> str:
    return "study" if not loc else str(loc[0])


def _load_codelists(study: Study) -> list[SpecIssue]:
    if study.spec.codelists is None:
        return []
    path = study.resolve(study.spec.codelists)
    if not path.is_file():
        return [study.doc.issue(("codelists",), "study.codelists", f"codelist file '{study.spec.codelists}' does not exist")]
    doc = load_yaml(path, display_path(path))
    parsed, issues = validate_document(CodelistFile, doc, lambda loc: _codelist_subject(doc, loc))
    if parsed is not None:
        study.codelist_file, study.codelist_doc = parsed, doc
    return issues


def _codelist_subject(doc: YamlDocument, loc: PathKey) -> str:
    if len(loc) >= 2 and loc[0] == "codelists" and isinstance(loc[1], int):
        entry = doc.data["codelists"][loc[1]]
        name = entry.get("name") if isinstance(entry, dict) else None
        return f"codelist {name}" if name else f"codelists[{loc[1]}]"
    return "codelists"


def _load_datasets(study: Study) -> list[SpecIssue]:
    issues: list[SpecIssue] = []
    paths = sorted({p for pattern in study.spec.datasets for p in study.folder.glob(pattern) if p.is_file()})
    if not paths:
        patterns = ", ".join(study.spec.datasets)
        return [study.doc.issue(("datasets",), "study.datasets", f"no dataset spec files match {patterns}")]
    models: dict[str, type[SdtmDataset | AdamDataset]] = {
        **{c: SdtmDataset for c in get_args(SdtmClass)}, **{c: AdamDataset for c in get_args(AdamClass)},
    }
    docs: list[YamlDocument] = []
    for path in paths:
        try:
            doc = load_yaml(path, display_path(path))
        except SpecError as exc:
            issues += exc.issues
            continue
        doc, differences = with_ig_defaults(doc)
        study.spec_warnings += differences
        docs.append(doc)
    by_name = {str(d.data.get("dataset")): d for d in docs if isinstance(d.data, dict)}
    for doc in docs:
        doc, found = with_copied_variables(doc, by_name)
        issues += found
        if not isinstance(doc.data, dict):
            issues.append(doc.issue((), "", "a dataset spec must be a mapping with keys dataset, label, class, ..."))
            continue
        klass = doc.data.get("class")
        if klass is not None and klass not in models:
            hint = did_you_mean(str(klass), models)
            issues.append(doc.issue(("class",), _dataset_name(doc), f"'{klass}' is not an SDTM or ADaM dataset class{hint}; "
                                    f"expected one of {', '.join(models)}"))
            continue
        model = models[klass] if klass is not None else SdtmDataset
        spec, found = validate_document(model, doc, partial(dataset_subject, doc))
        issues += found
        if spec is None:
            continue
        if spec.dataset in study.datasets:
            other = study.datasets[spec.dataset].doc.file
            issues.append(doc.issue(("dataset",), spec.dataset, f"dataset {spec.dataset} is also defined in {other}"))
            continue
        study.datasets[spec.dataset] = DatasetFile(spec, doc)
    return issues


def _dataset_name(doc: YamlDocument) -> str:
    name = doc.data.get("dataset") if isinstance(doc.data, dict) else None
    return name if isinstance(name, str) else Path(doc.file).stem.upper()


def dataset_subject(doc: YamlDocument, loc: PathKey) -> str:
    """``AE.AETERM`` for a variable, ``SUPPAE.AEDLT`` for a qualifier, ``AE`` otherwise."""
    name = _dataset_name(doc)
    if len(loc) >= 2 and loc[0] in ("variables", "supp") and isinstance(loc[1], int):
        entries = doc.data.get(loc[0])
        entry = entries[loc[1]] if isinstance(entries, list) and loc[1] < len(entries) else None
        key = "name" if loc[0] == "variables" else "qnam"
        var = entry.get(key) if isinstance(entry, dict) else None
        prefix = name if loc[0] == "variables" else f"SUPP{name}"
        return f"{prefix}.{var}" if isinstance(var, str) else f"{prefix}.{loc[0]}[{loc[1]}]"
    return name
