"""The content of one define.xml document, independent of its XML and HTML renderings.

Both templates render the same :class:`Define`, so the HTML view can never say
something the XML does not. Every element carries its OID; references are OIDs.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Standard:
    """An implementation guide or a controlled-terminology release (def:Standard)."""

    oid: str
    name: str
    type: str
    version: str
    publishing_set: str | None = None


@dataclass(frozen=True)
class PageRef:
    """Pages or named destinations in a document (def:DocumentRef with def:PDFPageRef)."""

    leaf_id: str
    pages: str
    page_type: str


@dataclass(frozen=True)
class Origin:
    """def:Origin: type, source, the predecessor text and CRF pages."""

    type: str
    source: str | None = None
    description: str | None = None
    pages: PageRef | None = None


@dataclass(frozen=True)
class ItemRef:
    """A variable's place in a dataset, or a value-level item's place in a value list."""

    item_oid: str
    order: int
    mandatory: bool
    key_sequence: int | None = None
    method_oid: str | None = None
    role: str | None = None
    has_no_data: bool = False
    where_oid: str | None = None


@dataclass
class Item:
    """An ItemDef: a variable, or a variable's attributes on the records a where clause selects."""

    oid: str
    name: str
    label: str
    data_type: str
    length: int | None = None
    significant_digits: int | None = None
    display_format: str | None = None
    codelist_oid: str | None = None
    origin: Origin | None = None
    comment_oid: str | None = None
    value_list_oid: str | None = None
    sas_name: str | None = None


@dataclass
class ItemGroup:
    """An ItemGroupDef: a dataset, its variables in order, and its XPT file."""

    oid: str
    name: str
    domain: str | None
    label: str
    class_name: str
    structure: str
    purpose: str
    repeating: bool
    reference_data: bool
    standard_oid: str
    refs: list[ItemRef]
    href: str
    comment_oid: str | None = None
    domain_description: str | None = None

    @property
    def leaf_id(self) -> str:
        return f"LF.{self.name}"

    @property
    def keys(self) -> list[str]:
        """Item OIDs of the key variables in key order."""
        keyed = sorted((r for r in self.refs if r.key_sequence is not None), key=lambda r: r.key_sequence or 0)
        return [r.item_oid for r in keyed]


@dataclass(frozen=True)
class RangeCheck:
    """One condition of a where clause: a variable EQ one value or IN several."""

    item_oid: str
    values: tuple[str, ...]

    @property
    def comparator(self) -> str:
        return "EQ" if len(self.values) == 1 else "IN"


@dataclass(frozen=True)
class WhereClause:
    oid: str
    checks: tuple[RangeCheck, ...]


@dataclass
class ValueList:
    """def:ValueListDef: the value-level items of one variable."""

    oid: str
    refs: list[ItemRef]


@dataclass(frozen=True)
class Term:
    """A coded value as used in the data; ``extended`` marks a sponsor addition to an extensible CT list."""

    value: str
    decode: str | None = None
    nci: str | None = None
    extended: bool = False


@dataclass
class CodeList:
    oid: str
    name: str
    data_type: str
    terms: list[Term]
    nci: str | None = None
    standard_oid: str | None = None
    dictionary: str | None = None  # an external dictionary (ExternalCodeList), with its version and no terms
    version: str | None = None

    @property
    def enumerated(self) -> bool:
        """No term has a decode: written as EnumeratedItem rather than CodeListItem."""
        return all(t.decode is None for t in self.terms)


@dataclass(frozen=True)
class Method:
    oid: str
    name: str
    description: str
    type: str = "Computation"


@dataclass(frozen=True)
class Comment:
    oid: str
    text: str


@dataclass(frozen=True)
class Leaf:
    """A referenced document (annotated CRF) other than the dataset files."""

    id: str
    href: str
    title: str


@dataclass
class Define:
    """Everything one define.xml says, in document order."""

    file_oid: str
    created: str
    study_name: str
    study_description: str
    protocol_name: str
    mdv_oid: str
    mdv_name: str
    mdv_description: str
    standards: list[Standard]
    groups: list[ItemGroup]
    items: dict[str, Item]
    value_lists: list[ValueList] = field(default_factory=list)
    where_clauses: list[WhereClause] = field(default_factory=list)
    codelists: list[CodeList] = field(default_factory=list)
    methods: list[Method] = field(default_factory=list)
    comments: list[Comment] = field(default_factory=list)
    leaves: list[Leaf] = field(default_factory=list)
    originator: str | None = None
    source_system_version: str = ""

    @property
    def acrf(self) -> Leaf | None:
        return next((leaf for leaf in self.leaves if leaf.id == ANNOTATED_CRF), None)

    def lookup(self) -> dict[str, object]:
        """Every element with an OID by its OID, for the HTML view's cross-references."""
        found: dict[str, object] = {g.oid: g for g in self.groups}
        found.update(self.items)
        for elements in (self.value_lists, self.where_clauses, self.codelists, self.methods, self.comments):
            found.update({e.oid: e for e in elements})
        return found


ANNOTATED_CRF = "LF.acrf"
