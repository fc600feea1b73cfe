"""Read a Define-XML 2.1 (or 2.0) file into YAML-level specs: datasets, variables, value-level metadata, codelists.

Define-XML 2.0 differs from 2.1 only in ways the spec does not see (namespace, ``def:Class``
as an attribute, origin types ``CRF``/``eDT``), so a 2.0 file is first rewritten to the 2.1
shape and then read by :func:`cdisc.definexml.read.read_define`, the reader the package's own
define checks use. Values the spec refuses are reported at their line of the file.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

from lxml import etree

from cdisc.definexml.read import DEF, NS, Attributes, DefineSummary, read_define
from cdisc.errors import UsageError
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

DEF20 = "http://www.cdisc.org/ns/def/v2.0"


def read_define_file(path: Path) -> SpecBundle:
    """The specs a define.xml describes; raise SpecError naming each line the spec cannot take."""
    try:
        root = etree.parse(str(path)).getroot()
    except (OSError, etree.XMLSyntaxError) as exc:
        raise UsageError(f"{path}: not a define.xml that can be read: {exc}") from None
    lines = _oid_lines(path)
    root = _as_define21(root)
    if root.find("odm:Study/odm:MetaDataVersion", NS) is None:
        raise UsageError(f"{path}: no Study/MetaDataVersion: not a Define-XML file")
    return _Reader(root, path.name, lines).bundle()


def _oid_lines(path: Path) -> dict[str, int]:
    """The line each OID is defined on (where its element's start tag names it)."""
    lines: dict[str, int] = {}
    with path.open(encoding="utf-8", errors="replace") as stream:
        for number, line in enumerate(stream, 1):
            for oid in re.findall(r'(?<![:\w])OID="([^"]+)"', line):
                lines.setdefault(oid, number)
    return lines


def _as_define21(root: etree._Element) -> etree._Element:
    """A Define-XML 2.0 tree rewritten to the 2.1 namespace, with def:Class as an element."""
    if DEF20 not in root.nsmap.values():
        return root
    text = etree.tostring(root).replace(DEF20.encode(), DEF.encode())
    root = etree.fromstring(text)
    for group in root.iterfind(".//odm:ItemGroupDef", NS):
        klass = group.attrib.pop(f"{{{DEF}}}Class", None)
        if klass is not None:
            element = etree.Element(f"{{{DEF}}}Class", Name=klass)
            description = group.find("odm:Description", NS)
            group.insert(0 if description is None else group.index(description) + 1, element)
    return root


class _Reader:
    def __init__(self, root: etree._Element, file: str, lines: dict[str, int]):
        self.root, self.file, self.lines = root, file, lines
        self.mdv = root.find("odm:Study/odm:MetaDataVersion", NS)
        self.summary: DefineSummary = read_define(etree.tostring(root))
        self.out = SpecBundle(file)

    def place(self, oid: str) -> Place:
        return Place(self.file, self.lines.get(oid, 1))

    def bundle(self) -> SpecBundle:
        self.codelists = self._codelists()
        datasets: dict[str, dict[str, Any]] = {}
        standards: dict[str, str | None] = {}
        self.digits = self.roles = 0
        for name, summary in self.summary.datasets.items():
            datasets[name] = self._dataset(summary)
            standards[name] = "ADaM" if summary.purpose == "Analysis" else "SDTM"
        if self.digits:
            self.out.note(f"significant digits of {self.digits} variable(s) left out: the spec states them at value level only")
        if self.roles:
            self.out.note(f"role of {self.roles} variable(s) left out: not an SDTM variable role")
        finish(self.out, datasets, standards, {})
        self.out.study = self._study()
        return self.out

    def _codelists(self) -> dict[str, str]:
        names: dict[str, str] = {}
        for oid, summary in self.summary.codelists.items():
            version = self._dictionary_version(oid) if summary.external else None
            if summary.external and version is None:
                self.out.note(f"{summary.name} ({oid}) is the external dictionary {summary.external} without a version: "
                              "left out (the spec states a dictionary with its version); its variables name no codelist")
                continue
            name = codelist_name(oid, set(names.values()))
            names[oid] = name
            if name != oid.removeprefix("CL."):
                self.out.note(f"codelist {oid} is named {name} in the YAML spec (names are at most 8 characters, A-Z 0-9 _)")
            if summary.external:
                self.out.at("codelists", (len(self.out.codelists),), self.place(oid))
                self.out.codelists.append({"name": name, "label": summary.name, "type": "text",
                                           "dictionary": summary.external, "version": version})
                continue
            codelist: dict[str, Any] = {"name": name, "label": summary.name,
                                        "type": summary.data_type if summary.data_type in ("integer", "float") else "text"}
            if any(t.extended for t in summary.terms):
                codelist["extensible"] = True
            if summary.nci:
                codelist["nci"] = summary.nci
                self.out.ct_codelists.add(name)
            codelist["terms"] = [
                {"value": typed(t.value, codelist["type"]), **({"decode": t.decode} if t.decode is not None else {}),
                 **({"nci": t.nci} if t.nci else {})}
                for t in summary.terms
            ]
            if codelist["terms"]:
                self.out.at("codelists", (len(self.out.codelists),), self.place(oid))
                self.out.codelists.append(codelist)
        return names

    def _dictionary_version(self, oid: str) -> str | None:
        for codelist in self.mdv.iterfind("odm:CodeList", NS):
            if codelist.get("OID") == oid:
                external = codelist.find("odm:ExternalCodeList", NS)
                return external.get("Version") if external is not None else None
        return None

    def _dataset(self, summary) -> dict[str, Any]:
        name = summary.name
        oid = f"IG.{name}"
        spec: dict[str, Any] = {"dataset": name, "label": summary.label, "class": summary.class_name,
                                "structure": summary.structure, "keys": summary.keys}
        if summary.comment:
            spec["comment"] = summary.comment
        self.out.at(name, (), self.place(oid))
        spec["variables"] = []
        types = {v.name: v.attributes.data_type for v in summary.variables}
        for variable in summary.variables:
            path = ("variables", len(spec["variables"]))
            item_oid = self._item_oid(name, variable.name)
            self.out.at(name, path, self.place(item_oid))
            var = {"name": variable.name, **self._attributes(variable.attributes, f"{name}.{variable.name}", True)}
            if variable.attributes.mandatory:
                var["core"] = "Req"
            role = variable.attributes.role
            if role in ROLES:
                var["role"] = role
            elif role:
                self.roles += 1
            self.digits += variable.attributes.significant_digits is not None
            levels = [self._value_level(level, types, name, variable.name) for level in variable.value_level]
            levels = [level for level in levels if level is not None]
            if levels:
                var["value_level"] = levels
            spec["variables"].append(var)
        return spec

    def _item_oid(self, dataset: str, name: str) -> str:
        return next((o for o in (f"IT.{dataset}.{name}", f"IT.{name}") if o in self.lines), f"IT.{dataset}.{name}")

    def _attributes(self, attrs: Attributes, owner: str, variable: bool) -> dict[str, Any]:
        out: dict[str, Any] = {"label": attrs.label, "type": data_type(attrs.data_type)}
        if attrs.length is not None:
            out["length"] = attrs.length
        form = display_format(attrs.display_format)
        if form is not None and (not variable or FORMAT.fullmatch(form)):
            out["format"] = form
        elif form is not None:
            self.out.note(f"format {attrs.display_format} of {owner} left out: the spec's variable formats are named SAS formats")
        if attrs.codelist in self.codelists:
            out["codelist"] = self.codelists[attrs.codelist]
        elif attrs.codelist is not None and attrs.codelist not in self.summary.codelists:
            self.out.note(f"{owner}: codelist {attrs.codelist} is not defined in the file; left out")
        out["origin"] = origin_value(attrs.origin_type, attrs.origin_source, attrs.pages, attrs.predecessor)
        if attrs.method:
            out["method"] = attrs.method
        if attrs.comment:
            out["comment"] = attrs.comment
        return out

    def _value_level(self, level, types: dict[str, str], dataset: str, variable: str) -> dict[str, Any] | None:
        where: dict[str, list[Any]] = {}
        for name, comparator, values in level.where:
            if comparator not in ("EQ", "IN") or "." in name or name in where:
                shown = " and ".join(f"{n} {c} {', '.join(v)}" for n, c, v in level.where)
                self.out.note(f"{dataset}.{variable} value-level entry '{shown}' left out: the spec holds EQ and IN "
                              "conditions on variables of the same dataset only")
                return None
            where[name] = [typed(v, types.get(name)) for v in values]
        attrs = self._attributes(level.attributes, f"{dataset}.{variable}", False)
        out: dict[str, Any] = {"where": where, **{k: v for k, v in attrs.items() if v is not None}}
        if level.attributes.significant_digits is not None:
            out["significant_digits"] = level.attributes.significant_digits
        if level.attributes.mandatory:
            out["mandatory"] = True
        if out.get("origin") is None:
            out["origin"] = "Derived"
            self.out.note(f"{dataset}.{variable} value-level entry {where}: no origin; wrote Derived")
        return out

    def _study(self) -> dict[str, Any]:
        facts = {tag: self.root.findtext(f"odm:Study/odm:GlobalVariables/odm:{tag}", namespaces=NS)
                 for tag in ("StudyName", "StudyDescription", "ProtocolName")}
        standards: dict[str, str | None] = {}
        ct = None
        for standard in self.mdv.iterfind("def:Standards/def:Standard", NS):
            if standard.get("Type") == "CT":
                ct = ct or standard.get("Version")
            else:
                standards[standard.get("Name") or ""] = standard.get("Version")
        if self.mdv.get(f"{{{DEF}}}StandardName"):
            standards[self.mdv.get(f"{{{DEF}}}StandardName")] = self.mdv.get(f"{{{DEF}}}StandardVersion")
        created = self.root.get("CreationDateTime")
        try:
            stamp = dt.datetime.fromisoformat(created) if created else None
        except ValueError:
            stamp = None
        return study_dict(self.out, facts["StudyName"], facts["StudyDescription"], facts["ProtocolName"], standards, ct, stamp)

