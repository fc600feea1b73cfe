"""define.xml rules: links to files that exist, methods for derived items, sources for predecessors, codelists
for variables the IG ties to CT, and the stylesheet line a reviewer's browser needs."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pandas as pd
from lxml import etree

from cdisc.checks.package import Package, Submission
from cdisc.checks.registry import findings, rule
from cdisc.checks.rules_metadata import ig_variables
from cdisc.checks.rules_terms import RESULTS
from cdisc.checks.xmlnodes import text_nodes

_XLINK = "{http://www.w3.org/1999/xlink}href"


def _defines(submission: Submission) -> Iterator[tuple[Package, Path, etree._ElementTree]]:
    """Each package with a readable define.xml: the package, its define.xml and the parsed document."""
    for package in submission.packages:
        if package.define is not None and package.tree is not None:
            yield package, package.define, package.tree


def _package_items(package: Package) -> pd.DataFrame:
    """:func:`_items` of a package's define.xml, read once."""
    return package.summaries.of("items", lambda: _items(package.tree))


def _items(tree: etree._ElementTree) -> pd.DataFrame:
    """One row per ItemRef (dataset or value level): the dataset (or value list), item name, origin type,
    whether a method is referenced, whether the origin has a description, whether a codelist is referenced.
    Elements are matched by local name, in any namespace (``{*}``: as XPath's local-name(), without XPath)."""
    defs = {}
    for item in tree.iter("{*}ItemDef"):
        origin = next(item.iterchildren("{*}Origin"), None)
        text = "".join(text for node in origin.iter("{*}TranslatedText") for text in text_nodes(node)).strip() if origin is not None else ""
        defs[item.get("OID")] = (item.get("Name"), origin.get("Type") if origin is not None else "", text,
                                 next(item.iterchildren("{*}CodeListRef"), None) is not None)
    rows = []
    for parent in tree.iter("{*}ItemGroupDef", "{*}ValueListDef"):
        owner = parent.get("Name") or parent.get("OID")
        for ref in parent.iterchildren("{*}ItemRef"):
            name, origin, text, codelist = defs.get(ref.get("ItemOID"), ("", "", "", False))
            no_data = any(k.endswith("HasNoData") and v == "Yes" for k, v in ref.attrib.items())
            rows.append((owner, parent.tag.endswith("ValueListDef"), ref.get("ItemOID"), name, origin, text, bool(ref.get("MethodOID")), codelist, no_data))
    frame = pd.DataFrame(rows, columns=["owner", "value_level", "oid", "name", "origin", "description", "method", "codelist", "no_data"])
    return frame.astype({"value_level": bool, "method": bool, "codelist": bool, "no_data": bool})


@rule("DEFINE-LINK", "define.xml links a file that is not in the package",
      "Define-XML 2.1 def:leaf (xlink:href, relative to define.xml, names a file of the submission); "
      "FDA Study Data TCG (referenced documents are submitted)", "error", across=True)
def links(submission: Submission) -> Iterator[pd.DataFrame]:
    for package, define, tree in _defines(submission):
        for leaf in tree.iter("{*}leaf"):
            target = (leaf.get(_XLINK) or "").split("#")[0]
            if target and not (package.folder / Path(target)).is_file():
                yield findings("DEFINE-LINK", leaf.get("ID") or "", f"{define}: def:leaf {leaf.get('ID')} links {target}, which does not exist")


@rule("DEFINE-METHOD", "Derived item without a method",
      "Define-XML 2.1 ItemRef/@MethodOID (expected for every item whose def:Origin Type is Derived)", "error", across=True)
def derived_methods(submission: Submission) -> Iterator[pd.DataFrame]:
    for package, define, _ in _defines(submission):
        items = _package_items(package)
        for record in items[(items["origin"] == "Derived") & ~items["method"]].itertuples(index=False):
            level = "value-level item" if record.value_level else "item"
            yield findings("DEFINE-METHOD", record.owner, f"{define.name}: {level} {record.oid} has origin Derived but no MethodOID",
                           variable=record.name)


@rule("DEFINE-PREDECESSOR", "Predecessor origin without its source",
      "Define-XML 2.1 def:Origin (Type Predecessor: its Description names the source variable, e.g. DM.AGE)", "error", across=True)
def predecessor_sources(submission: Submission) -> Iterator[pd.DataFrame]:
    for package, define, _ in _defines(submission):
        items = _package_items(package).drop_duplicates("oid")
        for record in items[(items["origin"] == "Predecessor") & (items["description"] == "")].itertuples(index=False):
            message = f"{define.name}: {record.oid} has origin Predecessor but no Description naming its source"
            yield findings("DEFINE-PREDECESSOR", record.owner, message,
                           variable=record.name)


@rule("DEFINE-CODELIST", "Variable with one CDISC CT codelist in the IG has no codelist in define.xml",
      "Define-XML 2.1 ItemDef/CodeListRef; SDTMIG 3.4 / ADaMIG 1.3 variable tables (CDISC CT codelist)", "warning", across=True)
def ct_codelists(submission: Submission) -> Iterator[pd.DataFrame]:
    for package, define, _ in _defines(submission):
        items = _package_items(package)
        items = items[~items["value_level"] & ~items["no_data"] & ~items["codelist"]]  # a variable without data lists no terms
        without_codelist: dict[str, list[str]] = {}
        for owner, name in zip(items["owner"].tolist(), items["name"].tolist(), strict=True):
            without_codelist.setdefault(owner, []).append(name)
        for dataset in [d for d in submission.datasets if d.table.path.parent == package.folder]:
            ig = ig_variables(submission, dataset)
            with_ct = {v for v, codes in zip(ig["variable"].tolist(), ig["codelists"].tolist(), strict=True)
                       if len(codes) == 1 and not str(v).endswith(RESULTS)}
            for name in [n for n in without_codelist.get(dataset.name, []) if n in with_ct]:
                yield findings("DEFINE-CODELIST", dataset.name, f"{define.name}: {name} takes CDISC CT but its ItemDef has no CodeListRef",
                               variable=name)


@rule("DEFINE-STYLESHEET", "define.xml without an xml-stylesheet instruction",
      "FDA Study Data Technical Conformance Guide, Data Definition Files (define.xml is submitted with a stylesheet so it displays in a browser)",
      "warning", across=True)
def stylesheet(submission: Submission) -> Iterator[pd.DataFrame]:
    for package, define, tree in _defines(submission):
        instructions = [node for node in tree.getroot().itersiblings(preceding=True) if isinstance(node, etree._ProcessingInstruction)]
        if not any(node.target == "xml-stylesheet" for node in instructions):
            yield findings("DEFINE-STYLESHEET", "", f"{define}: no <?xml-stylesheet ...?> line")
        else:
            for node in instructions:
                href = node.get("href") if node.target == "xml-stylesheet" else None
                if href and not (package.folder / href).is_file():
                    yield findings("DEFINE-STYLESHEET", "", f"{define}: the stylesheet {href} is not in the package")
