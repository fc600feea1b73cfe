"""Read any Define-XML 2.1 file into plain summaries: datasets, variables, value-level metadata, codelists.

Used to check a written define.xml against the data, and to compare ours with the official
CDISC example. References are resolved: a variable names its codelist, method and comment
text, and a where clause names its variables (``DM.COUNTRY`` when in another dataset).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from lxml import etree

ODM = "http://www.cdisc.org/ns/odm/v1.3"
DEF = "http://www.cdisc.org/ns/def/v2.1"
XLINK = "http://www.w3.org/1999/xlink"
NS = {"odm": ODM, "def": DEF}


@dataclass(frozen=True)
class Attributes:
    """What an ItemDef and its ItemRef say about a variable or a value-level item."""

    name: str
    label: str | None
    data_type: str
    length: int | None
    significant_digits: int | None
    display_format: str | None
    codelist: str | None
    origin_type: str | None
    origin_source: str | None
    pages: str | None
    predecessor: str | None
    mandatory: bool
    method: str | None
    comment: str | None
    role: str | None


@dataclass(frozen=True)
class ValueSummary:
    """A value-level item: its where clause (variable, comparator, values) and its attributes."""

    where: tuple[tuple[str, str, tuple[str, ...]], ...]
    attributes: Attributes


@dataclass(frozen=True)
class VariableSummary:
    attributes: Attributes
    key_sequence: int | None
    value_level: tuple[ValueSummary, ...]

    @property
    def name(self) -> str:
        return self.attributes.name


@dataclass(frozen=True)
class DatasetSummary:
    name: str
    label: str | None
    class_name: str | None
    structure: str | None
    purpose: str | None
    domain: str | None
    href: str | None
    comment: str | None
    variables: tuple[VariableSummary, ...]

    @property
    def keys(self) -> list[str]:
        keyed = sorted((v for v in self.variables if v.key_sequence), key=lambda v: v.key_sequence or 0)
        return [v.name for v in keyed]


@dataclass(frozen=True)
class TermSummary:
    value: str
    decode: str | None
    nci: str | None
    extended: bool


@dataclass(frozen=True)
class CodelistSummary:
    oid: str
    name: str
    data_type: str
    nci: str | None
    terms: tuple[TermSummary, ...]
    external: str | None


@dataclass(frozen=True)
class DefineSummary:
    datasets: dict[str, DatasetSummary]
    codelists: dict[str, CodelistSummary]


def read_define(source: Path | bytes | etree._Element) -> DefineSummary:
    """Summaries of the datasets and codelists in a define.xml file (or its bytes, or its parsed root element)."""
    if isinstance(source, etree._Element):
        root = source
    else:
        root = etree.fromstring(source) if isinstance(source, bytes) else etree.parse(str(source)).getroot()
    return _Reader(_first(root, _ODM_STUDY, _ODM_MDV)).summary()


# Tags in Clark notation: children are found by tag in lxml's C iterators, not by ElementPath (Python) expressions.
_ODM_STUDY, _ODM_MDV, _ODM_DESCRIPTION, _ODM_TEXT = (f"{{{ODM}}}{t}" for t in ("Study", "MetaDataVersion", "Description", "TranslatedText"))
_ODM_GROUP, _ODM_ITEM_REF, _ODM_RANGE_CHECK, _ODM_CHECK_VALUE = (f"{{{ODM}}}{t}" for t in ("ItemGroupDef", "ItemRef", "RangeCheck", "CheckValue"))
_ODM_CODELIST, _ODM_CODELIST_REF, _ODM_DECODE, _ODM_ALIAS = (f"{{{ODM}}}{t}" for t in ("CodeList", "CodeListRef", "Decode", "Alias"))
_ODM_TERMS = (f"{{{ODM}}}CodeListItem", f"{{{ODM}}}EnumeratedItem")
_ODM_EXTERNAL = f"{{{ODM}}}ExternalCodeList"
_DEF_CLASS, _DEF_LEAF, _DEF_VALUE_LIST_REF, _DEF_WHERE_REF = (f"{{{DEF}}}{t}" for t in ("Class", "leaf", "ValueListRef", "WhereClauseRef"))
_DEF_ORIGIN, _DEF_DOCUMENT_REF, _DEF_PAGE_REF = (f"{{{DEF}}}{t}" for t in ("Origin", "DocumentRef", "PDFPageRef"))


def _first(element: etree._Element | None, *path: str) -> etree._Element | None:
    """The first element down ``path`` (tags of children, children's children, ...), as ``element.find("a/b")``."""
    if element is None:
        return None
    if not path:
        return element
    for child in element.iterchildren(path[0]):
        found = _first(child, *path[1:])
        if found is not None:
            return found
    return None


def _text(element: etree._Element | None) -> str | None:
    found = _first(element, _ODM_DESCRIPTION, _ODM_TEXT)
    return found.text if found is not None else None


def _nci_alias(element: etree._Element) -> etree._Element | None:
    """The first ``Alias`` child naming an NCI code (``Context="nci:ExtCodeID"``)."""
    return next((a for a in element.iterchildren(_ODM_ALIAS) if a.get("Context") == "nci:ExtCodeID"), None)


def _int(value: str | None) -> int | None:
    return int(value) if value is not None else None


class _Reader:
    def __init__(self, mdv: etree._Element):
        self.mdv = mdv
        self.by_oid = {e.get("OID"): e for e in mdv.xpath("descendant-or-self::*[@OID]")}
        self.owners: dict[str, set[str]] = {}
        for group in mdv.iterchildren(_ODM_GROUP):
            for ref in group.iterchildren(_ODM_ITEM_REF):
                self.owners.setdefault(ref.get("ItemOID"), set()).add(group.get("Name"))

    def summary(self) -> DefineSummary:
        datasets = {g.get("Name"): self._dataset(g) for g in self.mdv.iterchildren(_ODM_GROUP)}
        codelists = {c.get("OID"): self._codelist(c) for c in self.mdv.iterchildren(_ODM_CODELIST)}
        return DefineSummary(datasets, codelists)

    def _described(self, oid: str | None) -> str | None:
        return _text(self.by_oid.get(oid)) if oid else None

    def _dataset(self, group: etree._Element) -> DatasetSummary:
        klass = _first(group, _DEF_CLASS)
        leaf = _first(group, _DEF_LEAF)
        variables = []
        for ref in group.iterchildren(_ODM_ITEM_REF):
            item = self.by_oid[ref.get("ItemOID")]
            value_list = _first(item, _DEF_VALUE_LIST_REF)
            levels = self._value_level(value_list.get("ValueListOID"), group.get("Name")) if value_list is not None else ()
            variables.append(VariableSummary(self._attributes(item, ref), _int(ref.get("KeySequence")), levels))
        return DatasetSummary(
            name=group.get("Name"),
            label=_text(group),
            class_name=klass.get("Name") if klass is not None else None,
            structure=group.get(f"{{{DEF}}}Structure"),
            purpose=group.get("Purpose"),
            domain=group.get("Domain"),
            href=leaf.get(f"{{{XLINK}}}href") if leaf is not None else None,
            comment=self._described(group.get(f"{{{DEF}}}CommentOID")),
            variables=tuple(variables),
        )

    def _value_level(self, oid: str, dataset: str) -> tuple[ValueSummary, ...]:
        levels = []
        for ref in self.by_oid[oid].iterchildren(_ODM_ITEM_REF):
            where = []
            for clause_ref in ref.iterchildren(_DEF_WHERE_REF):
                for check in self.by_oid[clause_ref.get("WhereClauseOID")].iterchildren(_ODM_RANGE_CHECK):
                    target = check.get(f"{{{DEF}}}ItemOID")
                    name = self.by_oid[target].get("Name")
                    owners = self.owners.get(target, set())
                    if owners and dataset not in owners:
                        name = f"{sorted(owners)[0]}.{name}"
                    values = tuple(v.text or "" for v in check.iterchildren(_ODM_CHECK_VALUE))
                    where.append((name, check.get("Comparator"), values))
            levels.append(ValueSummary(tuple(where), self._attributes(self.by_oid[ref.get("ItemOID")], ref)))
        return tuple(levels)

    def _attributes(self, item: etree._Element, ref: etree._Element) -> Attributes:
        origin = _first(item, _DEF_ORIGIN)
        page = _first(origin, _DEF_DOCUMENT_REF, _DEF_PAGE_REF)
        codelist = _first(item, _ODM_CODELIST_REF)
        return Attributes(
            name=item.get("Name"),
            label=_text(item),
            data_type=item.get("DataType"),
            length=_int(item.get("Length")),
            significant_digits=_int(item.get("SignificantDigits")),
            display_format=item.get(f"{{{DEF}}}DisplayFormat"),
            codelist=codelist.get("CodeListOID") if codelist is not None else None,
            origin_type=origin.get("Type") if origin is not None else None,
            origin_source=origin.get("Source") if origin is not None else None,
            pages=page.get("PageRefs") if page is not None else None,
            predecessor=_text(origin) if origin is not None else None,
            mandatory=ref.get("Mandatory") == "Yes",
            method=self._described(ref.get("MethodOID")),
            comment=self._described(item.get(f"{{{DEF}}}CommentOID")),
            role=ref.get("Role"),
        )

    def _codelist(self, codelist: etree._Element) -> CodelistSummary:
        terms = []
        for term in codelist.iterchildren(*_ODM_TERMS):
            decode = _first(term, _ODM_DECODE, _ODM_TEXT)
            alias = _nci_alias(term)
            terms.append(
                TermSummary(
                    term.get("CodedValue"),
                    decode.text if decode is not None else None,
                    alias.get("Name") if alias is not None else None,
                    term.get(f"{{{DEF}}}ExtendedValue") == "Yes",
                )
            )
        alias = _nci_alias(codelist)
        external = _first(codelist, _ODM_EXTERNAL)
        return CodelistSummary(
            oid=codelist.get("OID"),
            name=codelist.get("Name"),
            data_type=codelist.get("DataType"),
            nci=alias.get("Name") if alias is not None else None,
            terms=tuple(terms),
            external=external.get("Dictionary") if external is not None else None,
        )
