"""Read a Pinnacle 21-template spec workbook (or a variant metacore reads) into YAML-level specs.

Sheets and columns are found by name (see :mod:`cdisc.specio.p21_template`). Method and comment
cells hold an ID of the Methods/Comments sheet or the text itself. A value the spec cannot hold
(a where clause other than EQ/IN, an ADaM role that is not an SDTM role, significant digits of a
variable) is left out and named in the notes; a value the spec refuses is an error at its cell.
"""

from __future__ import annotations

import re
import zipfile
from collections import defaultdict
from pathlib import Path
from typing import Any

from openpyxl import load_workbook
from openpyxl.worksheet.worksheet import Worksheet

from cdisc.errors import SpecError, UsageError
from cdisc.specio import p21_template as t
from cdisc.specio.bundle import Place, SpecBundle
from cdisc.specio.complete import finish, study_dict
from cdisc.specio.values import (
    FORMAT,
    ROLES,
    codelist_name,
    data_type,
    display_format,
    origin_value,
    typed,
)
from cdisc.specio.where import WhereError, parse_where


class _Table:
    """One sheet's rows as dicts keyed by template column, each with the cell places."""

    def __init__(self, sheet: t.Sheet, ws: Worksheet, file: str):
        self.sheet, self.ws, self.file = sheet, ws, file
        rows = ws.iter_rows(values_only=True)
        header = next(rows, ())
        found = {t.normalise(h): i for i, h in enumerate(header) if h is not None}
        self.columns = {}
        for column in {*sheet.columns, *dict(sheet.column_aliases)}:
            index = next((found[t.normalise(s)] for s in sheet.spellings(column) if t.normalise(s) in found), None)
            if index is not None:
                self.columns[column] = index
        self.rows = []
        for number, values in enumerate(rows, 2):
            if any(v is not None and str(v).strip() for v in values):
                self.rows.append((number, values))

    def get(self, values: tuple, column: str) -> Any:
        index = self.columns.get(column)
        value = values[index] if index is not None and index < len(values) else None
        if isinstance(value, str):
            value = value.strip() or None
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        return value

    def whole(self, values: tuple, column: str) -> Any:
        """A number cell (Length, Significant Digits), also when the workbook stores it as text."""
        value = self.get(values, column)
        return int(value) if isinstance(value, str) and value.isdigit() else value

    def text(self, values: tuple, column: str) -> str | None:
        value = self.get(values, column)
        return None if value is None else str(value)

    def place(self, row: int, column: str) -> Place:
        return Place(self.file, row, self.columns.get(column, 0) + 1, self.ws.title)


def read_workbook(path: Path) -> SpecBundle:
    """The specs a P21-template workbook holds; raise SpecError naming each bad cell."""
    try:
        wb = load_workbook(path, read_only=True, data_only=True)
    except (OSError, ValueError, KeyError, zipfile.BadZipFile) as exc:  # what openpyxl raises for a file that is not a workbook
        raise UsageError(f"{path}: not an Excel workbook (.xlsx) that can be read: {exc}") from None
    try:
        return _Reader(wb, path.name).bundle()
    finally:
        wb.close()


class _Reader:
    def __init__(self, wb, file: str):
        self.file = file
        self.out = SpecBundle(file)
        self.tables: dict[str, _Table] = {}
        by_name = {t.normalise(name): name for name in wb.sheetnames}
        for sheet in (*t.TEMPLATE, t.WHERE_CLAUSES):
            name = next((by_name[t.normalise(n)] for n in sheet.names() if t.normalise(n) in by_name), None)
            if name is not None:
                self.tables[sheet.name] = _Table(sheet, wb[name], file)
        for needed in (t.DATASETS, t.VARIABLES):
            if needed.name not in self.tables:
                raise SpecError([Place(file, 1).issue("", f"no {needed.name} sheet (sheets: {', '.join(wb.sheetnames)})")])

    def bundle(self) -> SpecBundle:
        self.methods = self._texts("Methods", "Description")
        self.comments = self._texts("Comments", "Description")
        self.codelist_names = self._codelists()
        self.dictionaries = self._dictionaries()
        self.where_clauses = self._where_clauses()
        datasets = self._datasets()
        self._variables(datasets)
        self._value_level(datasets)
        self._finish(datasets)
        self.out.study = self._study()
        return self.out

    # -- lookups

    def _texts(self, sheet: str, column: str) -> dict[str, str]:
        table = self.tables.get(sheet)
        if table is None:
            return {}
        pairs = ((table.text(v, "ID"), table.text(v, column)) for _, v in table.rows)
        return {key: text for key, text in pairs if key and text}

    def _reference(self, value: str | None, texts: dict[str, str]) -> str | None:
        """A Method/Comment cell: the ID of a Methods/Comments row (its description), or the text itself."""
        return texts.get(value, value) if value else None

    def _codelists(self) -> dict[str, str]:
        table = self.tables.get("Codelists")
        names: dict[str, str] = {}
        if table is None:
            return names
        by_id: dict[str, dict[str, Any]] = {}
        for row, values in table.rows:
            identifier = table.text(values, "ID")
            if identifier is None:
                continue
            if identifier not in by_id:
                name = codelist_name(identifier, set(names.values()))
                names[identifier] = name
                kind = data_type(table.text(values, "Data Type")) or "text"
                by_id[identifier] = {"name": name, "label": table.text(values, "Name") or identifier,
                                     "type": kind if kind in ("text", "integer", "float") else "text"}
                if table.text(values, "NCI Codelist Code"):
                    by_id[identifier]["nci"] = table.text(values, "NCI Codelist Code")
                by_id[identifier]["terms"] = []
                if (table.text(values, "Terminology") or "").upper().startswith("CDISC"):
                    self.out.ct_codelists.add(name)
                index = len(self.out.codelists)
                self.out.at("codelists", (index,), table.place(row, "ID"))
                self.out.at("codelists", (index, "label"), table.place(row, "Name"))
                self.out.codelists.append(by_id[identifier])
                if name != identifier:
                    self.out.note(f"codelist {identifier} is named {name} in the YAML spec (names are at most 8 characters, A-Z 0-9 _)")
            codelist = by_id[identifier]
            value = table.get(values, "Term")
            if value is None:
                continue
            term = {"value": typed(value, codelist["type"])}
            if table.text(values, "Decoded Value") is not None:
                term["decode"] = table.text(values, "Decoded Value")
            if table.text(values, "NCI Term Code"):
                term["nci"] = table.text(values, "NCI Term Code")
            index = self.out.codelists.index(codelist)
            self.out.at("codelists", (index, "terms", len(codelist["terms"])), table.place(row, "Term"))
            codelist["terms"].append(term)
        empty = [c for c in self.out.codelists if not c["terms"]]
        for codelist in empty:
            self.out.codelists.remove(codelist)
            self.out.note(f"codelist {codelist['name']} lists no terms: variables refer to the CT release's codelist of that name")
        return names

    def _dictionaries(self) -> set[str]:
        """External dictionaries (MedDRA, WHODrug) become codelists naming the dictionary and its version; the IDs
        of those without a version (which the spec cannot hold) are returned, to be left out where named."""
        table = self.tables.get("Dictionaries")
        left_out: set[str] = set()
        if table is None:
            return left_out
        for row, values in table.rows:
            identifier, version = table.text(values, "ID"), table.text(values, "Version")
            if identifier is None:
                continue
            if version is None:
                left_out.add(identifier)
                continue
            name = codelist_name(identifier, set(self.codelist_names.values()))
            self.codelist_names[identifier] = name
            self.out.at("codelists", (len(self.out.codelists),), table.place(row, "ID"))
            self.out.at("codelists", (len(self.out.codelists), "label"), table.place(row, "Name"))
            kind = data_type(table.text(values, "Data Type")) or "text"
            self.out.codelists.append({"name": name, "label": table.text(values, "Name") or identifier,
                                       "type": kind if kind in ("text", "integer", "float") else "text",
                                       "dictionary": table.text(values, "Dictionary") or identifier, "version": version})
        return left_out

    def _where_clauses(self) -> dict[str | None, str]:
        """Where clause text by ID from a separate WhereClauses sheet (older P21 template)."""
        table = self.tables.get("WhereClauses")
        clauses: dict[str | None, list[str]] = defaultdict(list)
        if table is not None:
            for _, values in table.rows:
                parts = [table.text(values, c) or "" for c in ("Variable", "Comparator", "Value")]
                clauses[table.text(values, "ID")].append(" ".join(parts))
        return {k: " and ".join(v) for k, v in clauses.items()}

    # -- sheets

    def _datasets(self) -> dict[str, dict[str, Any]]:
        table = self.tables["Datasets"]
        datasets: dict[str, dict[str, Any]] = {}
        for row, values in table.rows:
            name = table.text(values, "Dataset")
            if name is None:
                self.out.issues.append(table.place(row, "Dataset").issue("", "dataset name is empty"))
                continue
            spec: dict[str, Any] = {"dataset": name, "label": table.text(values, "Label"),
                                    "class": (table.text(values, "Class") or "").upper() or None,
                                    "structure": table.text(values, "Structure")}
            keys = table.text(values, "Key Variables")
            spec["keys"] = [k for k in re.split(r"[,\s]+", keys) if k] if keys else None
            comment = self._reference(table.text(values, "Comment"), self.comments)
            if comment:
                spec["comment"] = comment
            spec["variables"] = []
            spec["_standard"] = table.text(values, "Standard")
            for key, column in (("dataset", "Dataset"), ("label", "Label"), ("class", "Class"), ("structure", "Structure"),
                                ("keys", "Key Variables"), ("comment", "Comment")):
                self.out.at(name, (key,), table.place(row, column))
            datasets[name] = spec
        return datasets

    def _attributes(self, table: _Table, row: int, values: tuple, owner: str, path: tuple) -> tuple[dict[str, Any], Any]:
        """Label, type, length, format, codelist, origin, method, comment of a Variables or ValueLevel row."""
        attrs: dict[str, Any] = {"label": table.text(values, "Label"), "type": data_type(table.text(values, "Data Type"))}
        length = table.whole(values, "Length")
        if length is not None:
            attrs["length"] = length
        form = display_format(table.text(values, "Format"))
        if form is not None and (path[0] != "variables" or FORMAT.fullmatch(form)):
            attrs["format"] = form
        elif form is not None:
            self.out.note(f"{table.place(row, 'Format').cell}: format {form} of {owner} left out: "
                          "the spec's variable formats are named SAS formats")
        codelist = table.text(values, "Codelist")
        if codelist is not None:
            if codelist in self.codelist_names:
                attrs["codelist"] = self.codelist_names[codelist]
            elif codelist in self.dictionaries:
                self.out.note(f"{owner}: dictionary {codelist} left out (the Dictionaries sheet gives no version)")
            else:
                attrs["codelist"] = codelist
        pages = table.text(values, "Pages")
        origin = origin_value(table.text(values, "Origin"), table.text(values, "Source"), pages,
                              table.text(values, "Predecessor"))
        attrs["origin"] = origin
        method = self._reference(table.text(values, "Method"), self.methods)
        if method:
            attrs["method"] = method
        comment = self._reference(table.text(values, "Comment"), self.comments)
        if comment:
            attrs["comment"] = comment
        for key, column in (("label", "Label"), ("type", "Data Type"), ("length", "Length"), ("format", "Format"),
                            ("codelist", "Codelist"), ("origin", "Origin"), ("method", "Method"), ("comment", "Comment"),
                            ("significant_digits", "Significant Digits"), ("mandatory", "Mandatory")):
            self.out.at(owner.split(".")[0], (*path, key), table.place(row, column))
        return attrs, table.get(values, "Assigned Value")

    def _variables(self, datasets: dict[str, dict[str, Any]]) -> None:
        table = self.tables["Variables"]
        self.assigned: dict[tuple[str, str | None], Any] = {}  # (dataset, variable): the Assigned Value cell
        digits = roles = 0
        for row, values in table.rows:
            dataset, name = table.text(values, "Dataset"), table.text(values, "Variable")
            if dataset is None or dataset not in datasets:
                self.out.issues.append(table.place(row, "Dataset").issue(f"{dataset}.{name}", f"dataset {dataset} is not on the Datasets sheet"))
                continue
            spec = datasets[dataset]
            path = ("variables", len(spec["variables"]))
            attrs, assigned = self._attributes(table, row, values, f"{dataset}.{name}", path)
            var = {"name": name, **attrs}
            self.out.at(dataset, path, table.place(row, "Variable"))
            self.out.at(dataset, (*path, "name"), table.place(row, "Variable"))
            if (table.text(values, "Mandatory") or "").lower() in ("yes", "y"):
                var["core"] = "Req"
            role = table.text(values, "Role")
            if role in ROLES:
                var["role"] = role
            elif role:
                roles += 1
            digits += table.get(values, "Significant Digits") is not None
            self.assigned[dataset, name] = assigned
            spec["variables"].append(var)
        if digits:
            self.out.note(f"significant digits of {digits} variable(s) left out: the spec states them at value level only")
        if roles:
            self.out.note(f"role of {roles} variable(s) left out: not an SDTM variable role (ADaM variable groups)")

    def _value_level(self, datasets: dict[str, dict[str, Any]]) -> None:
        table = self.tables.get("ValueLevel")
        if table is None:
            return
        for row, values in table.rows:
            dataset, name = table.text(values, "Dataset"), table.text(values, "Variable")
            spec = datasets.get(dataset) if dataset is not None else None
            var = next((v for v in spec["variables"] if v["name"] == name), None) if spec else None
            if dataset is None or spec is None or var is None:
                self.out.issues.append(table.place(row, "Variable").issue(f"{dataset}.{name}", "value-level row of a variable not on the Variables sheet"))
                continue
            text = table.text(values, "Where Clause")
            text = self.where_clauses.get(text, text)
            types = {v["name"]: v.get("type") for v in spec["variables"]}
            try:
                where = parse_where(text or "", types)
            except WhereError as exc:
                self.out.note(f"{table.place(row, 'Where Clause').cell}: {dataset}.{name} value-level entry left out: {exc}")
                continue
            levels = var.setdefault("value_level", [])
            index = spec["variables"].index(var)
            path = ("variables", index, "value_level", len(levels))
            attrs, _ = self._attributes(table, row, values, f"{dataset}.{name}", path)
            level = {"where": where, **{k: v for k, v in attrs.items() if k != "label" or v is not None}}
            if level["origin"] is None:
                level["origin"] = "Derived"
                self.out.note(f"{table.place(row, 'Origin').cell}: {dataset}.{name} value-level entry without an origin; wrote Derived")
            digits = table.whole(values, "Significant Digits")
            if digits is not None:
                level["significant_digits"] = digits
            if (table.text(values, "Mandatory") or "").lower() in ("yes", "y"):
                level["mandatory"] = True
            self.out.at(dataset, path, table.place(row, "Where Clause"))
            self.out.at(dataset, (*path, "where"), table.place(row, "Where Clause"))
            levels.append(level)

    def _finish(self, datasets: dict[str, dict[str, Any]]) -> None:
        standards = {name: spec.pop("_standard") for name, spec in datasets.items()}
        finish(self.out, datasets, standards, self.assigned)

    def _study(self) -> dict[str, Any]:
        table = self.tables.get("Define")
        facts = {}
        if table is not None:
            facts = {table.text(v, "Attribute"): table.text(v, "Value") for _, v in table.rows if table.text(v, "Attribute")}
        ct = None
        guides = {facts.get("StandardName") or "": facts.get("StandardVersion")}
        table = self.tables.get("Standards")
        if table is not None:
            for _, values in table.rows:
                kind, version = (table.text(values, "Type") or "").upper(), table.text(values, "Version")
                if kind == "CT":
                    ct = ct or version
                elif kind == "IG":
                    guides[table.text(values, "Name") or ""] = version
        return study_dict(self.out, facts.get("StudyName"), facts.get("StudyDescription"), facts.get("ProtocolName"),
                          guides, ct, None)
