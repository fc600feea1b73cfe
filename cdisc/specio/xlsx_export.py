"""Write a study's specs as a Pinnacle 21-template workbook that reviewers read and filter in Excel.

One sheet per template sheet, header row frozen and filterable, column widths set. Methods are
in words (the spec's ``method:``, else the rule described, as define.xml says it); SUPP--
datasets appear as define.xml shows them (QVAL described per QNAM at value level). Study
codelists are written in full, external dictionaries on the Dictionaries sheet; a CT codelist lists only the terms the data uses when a run's
define.xml is given (``data``), since those list exactly the used terms.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from cdisc.definexml.build import _methods, _supp_meta, _with_predecessor
from cdisc.definexml.read import read_define
from cdisc.spec.adam import AdamDataset
from cdisc.spec.load import Study
from cdisc.spec.models import DatasetMeta, Origin, ValueLevel, VariableMeta
from cdisc.specio import p21_template as t
from cdisc.specio.where import format_where

HEADER_FILL = PatternFill("solid", fgColor="D9E1F2")


def export_workbook(study: Study, path: Path, data: Path | None = None) -> list[str]:
    """Write ``study``'s specs to ``path``; ``data`` is a run's output folder whose define.xml files
    restrict CT codelists to the terms used. Returns the lines to print."""
    rows = _Rows(study, _used_ct_terms(data) if data is not None else None)
    for meta in _described(study):
        rows.dataset(meta)
    rows.codelists()
    wb = Workbook()
    wb.remove(wb.active)
    for sheet in t.TEMPLATE:
        _sheet(wb, sheet, rows.sheets.get(sheet.name, []))
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    counts = ", ".join(f"{len(rows.sheets.get(s.name, []))} {s.name}" for s in (t.DATASETS, t.VARIABLES, t.VALUE_LEVEL, t.CODELISTS, t.METHODS))
    return [f"wrote {path}: {counts} row(s)"]


def _described(study: Study) -> list[DatasetMeta]:
    """The datasets as define.xml describes them: each spec (without temporary variables; ADaM predecessors with
    their source and codelist), then its SUPP--."""
    out: list[DatasetMeta] = []
    for dataset in study.datasets.values():
        spec = dataset.spec
        if isinstance(spec, AdamDataset):  # as define.xml states them: a predecessor's source and codelist
            variables = [_with_predecessor(study, spec, v) for v in spec.variables if not v.temporary]
            spec = spec.model_copy(update={"variables": variables})
        elif any(v.temporary for v in spec.variables):  # helpers are not written
            spec = spec.model_copy(update={"variables": [v for v in spec.variables if not v.temporary]})
        out.append(spec)
        qualifiers = getattr(spec, "supp", None)
        if qualifiers:
            out.append(_supp_meta(study, spec, qualifiers))
    return out


def _used_ct_terms(folder: Path) -> dict[str, list[Any]]:
    """CodeLists of a run's define.xml files (``sdtm/``, ``adam/``), by codelist name: the terms the data uses,
    over every define.xml (a codelist both list, such as PKUNIT, holds the terms of both)."""
    found: dict[str, list[Any]] = {}
    for define in sorted(folder.glob("*/define.xml")):
        for codelist in read_define(define).codelists.values():
            terms = found.setdefault(codelist.oid.removeprefix("CL."), [])
            seen = {term.value for term in terms}
            terms += [term for term in codelist.terms if term.value not in seen]
    return found


class _Rows:
    """Rows of every sheet, collected dataset by dataset."""

    def __init__(self, study: Study, used: dict[str, list[Any]] | None):
        self.study, self.used = study, used
        self.sheets: dict[str, list[list[Any]]] = {}
        self.codelist_names: list[str] = []
        spec = study.spec
        self.add(t.DEFINE, ["StudyName", spec.study.id])
        self.add(t.DEFINE, ["StudyDescription", spec.study.title])
        self.add(t.DEFINE, ["ProtocolName", spec.study.protocol or spec.study.id])
        kinds = {"ADaM" if isinstance(d.spec, AdamDataset) else "SDTM" for d in study.datasets.values()}
        first = "SDTM" if "SDTM" in kinds else "ADaM"
        self.add(t.DEFINE, ["StandardName", "SDTMIG" if first == "SDTM" else "ADaMIG"])
        self.add(t.DEFINE, ["StandardVersion", spec.standards.sdtmig if first == "SDTM" else spec.standards.adamig])
        self.add(t.DEFINE, ["Language", "en"])
        for kind in sorted(kinds, key=lambda k: k != "SDTM"):
            version = spec.standards.sdtmig if kind == "SDTM" else spec.standards.adamig
            self.add(t.STANDARDS, [f"STD.{kind}IG", f"{kind}IG", "IG", None, version, "Final", None])
            self.add(t.STANDARDS, [f"STD.CT.{kind}", "CDISC/NCI", "CT", kind, spec.terminology.version, "Final", None])

    def add(self, sheet: t.Sheet, values: list[Any]) -> None:
        self.sheets.setdefault(sheet.name, []).append(values)

    def dataset(self, meta: DatasetMeta) -> None:
        name = meta.dataset
        standard = self.study.spec.standards
        adam = isinstance(meta, AdamDataset)
        self.add(t.DATASETS, [
            name, meta.label, meta.dataset_class, None, meta.structure, ", ".join(meta.keys),
            f"ADaMIG {standard.adamig}" if adam else f"SDTMIG {standard.sdtmig}", "No",
            "Yes" if "USUBJID" in meta.keys and any(k not in ("STUDYID", "USUBJID") for k in meta.keys) else "No",
            "Yes" if meta.dataset_class == "TRIAL DESIGN" else "No", self._comment(name, meta.comment), None,
        ])
        methods = _methods(self.study, meta)
        for order, var in enumerate(meta.variables, 1):
            self._variable(meta, order, var, methods.get(var.name))
            for number, level in enumerate(var.value_level, 1):
                self._value_level(meta, var, number, level)

    def _variable(self, meta: DatasetMeta, order: int, var: VariableMeta, method: str | None) -> None:
        key = f"{meta.dataset}.{var.name}"
        mandatory = var.core == "Req" or (var.core is None and var.name in meta.keys)
        rule = getattr(var, "rule", (None, None))
        assigned = rule[1] if rule[0] == "hardcode" else None
        origin = var.origin
        self.add(t.VARIABLES, [
            order, meta.dataset, var.name, var.label, var.type, var.length, None, var.format,
            "Yes" if mandatory else "No", assigned, self._codelist(var.codelist), None, origin.type, origin.source,
            origin.page, self._method(key, method), origin.predecessor, var.role, "No", self._comment(key, var.comment), None,
        ])

    def _value_level(self, meta: DatasetMeta, var: VariableMeta, number: int, level: ValueLevel) -> None:
        key = f"{meta.dataset}.{var.name}.{number}"
        origin: Origin = level.origin
        self.add(t.VALUE_LEVEL, [
            number, meta.dataset, var.name, format_where(level.where), level.label, level.type, level.length,
            level.significant_digits, level.format, "Yes" if level.mandatory else "No", None,
            self._codelist(level.codelist), origin.type, origin.source, origin.page, self._method(key, level.method),
            origin.predecessor, self._comment(key, level.comment), None,
        ])

    def _method(self, key: str, text: str | None) -> str | None:
        if not text:
            return None
        identifier = f"MT.{key}"
        self.add(t.METHODS, [identifier, f"Algorithm to derive {key}", "Computation", text, None, None, None, None])
        return identifier

    def _comment(self, key: str, text: str | None) -> str | None:
        if not text:
            return None
        identifier = f"COM.{key}"
        self.add(t.COMMENTS, [identifier, text, None, None])
        return identifier

    def _codelist(self, name: str | None) -> str | None:
        if name is not None and name not in self.codelist_names:
            self.codelist_names.append(name)
        return name

    def codelists(self) -> None:
        """The codelists named anywhere, in name order: study codelists in full, external dictionaries (MedDRA) on
        the Dictionaries sheet, CT ones restricted to used terms."""
        own = {c.name: c for c in self.study.codelist_file.codelists}
        for name in sorted(self.codelist_names):
            if name in own and own[name].dictionary:
                codelist = own[name]
                self.add(t.DICTIONARIES, [name, codelist.label, codelist.type, codelist.dictionary, codelist.version])
                continue
            if name in own:
                codelist = own[name]
                terminology = "CDISC/NCI" if codelist.nci else None
                for order, term in enumerate(codelist.terms, 1):
                    self.add(t.CODELISTS, [name, codelist.label, codelist.nci, codelist.type, terminology, None, order,
                                           term.value, term.nci, term.decode])
                continue
            ct = self.study.ct.get(name)
            label, nci = (ct.label, ct.nci) if ct is not None else (name, None)
            terms = self.used.get(name, []) if self.used is not None else []
            if not terms:
                self.add(t.CODELISTS, [name, label, nci, "text", "CDISC/NCI", None, None, None, None, None])
            for order, term in enumerate(terms, 1):
                self.add(t.CODELISTS, [name, label, nci, "text", "CDISC/NCI", None, order, term.value, term.nci, term.decode])


def _sheet(wb: Workbook, sheet: t.Sheet, rows: list[list[Any]]) -> None:
    """One sheet: bold filled header row, frozen and filterable, columns as wide as their content allows."""
    ws = wb.create_sheet(sheet.name)
    ws.append(list(sheet.columns))
    for row in rows:
        ws.append(row)
    for cell in ws[1]:
        cell.font = Font(bold=True)
        cell.fill = HEADER_FILL
        cell.alignment = Alignment(vertical="top")
    ws.freeze_panes = "A2"
    ws.auto_filter.ref = f"A1:{get_column_letter(len(sheet.columns))}{max(len(rows) + 1, 2)}"
    for index, column in enumerate(sheet.columns, 1):
        longest = max((len(str(r[index - 1])) for r in rows if r[index - 1] is not None), default=0)
        cap = t.WIDE.get(column, 24)
        ws.column_dimensions[get_column_letter(index)].width = max(len(column) + 4, min(longest + 2, cap))
