"""Terminology and naming rules beyond closed codelists: test code/name pairs, synonyms and values of extensible
codelists, one label per variable name, SUPP-- QNAMs that reuse a standard variable name.

A variable's codelist is the IG's, except on the records a define.xml value-level item with a codelist selects
(its where clause): there the item's codelist is checked (:func:`codelist_parts`), e.g. RSTESTCD ECOG1TC where
RSCAT is ECOG and ONCRTSCD elsewhere."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pandas as pd

from cdisc.checks.package import Dataset, Package, Submission, mapped, member, position_in
from cdisc.checks.registry import findings, rule
from cdisc.checks.rules_metadata import ig_variables
from cdisc.checks.xmlnodes import text_nodes
from cdisc.terminology import CodelistTerms

_PAIRS = (("TESTCD", "TEST"), ("PARMCD", "PARM"))
RESULTS = ("ORRES", "STRESC")
_COMPARATORS = {"EQ": False, "IN": False, "NE": True, "NOTIN": True}  # comparator -> negated membership
VALUE_LEVEL = "value_level_codelists"  # a package's summary: what value_level reads in its define.xml


def value_level(package: Package) -> dict[tuple[str, str], list[tuple[tuple, str]]]:
    """Value-level items with a codelist, read once per define.xml: (dataset, variable) -> [(where, NCI code)], where
    ``where`` is the item's where clauses (any of them), each a tuple of (variable, negated, values) checks (all of them).
    Items whose clauses use other comparators than EQ/NE/IN/NOTIN are left out (their records keep the variable's codelist)."""
    def build() -> dict[tuple[str, str], list[tuple[tuple, str]]]:
        tree = package.tree
        if tree is None:
            return {}
        def first(node, child: str, attribute: str, **having: str):  # the attribute of the first such child that has it
            return next((c.get(attribute) for c in node.iterchildren(f"{{*}}{child}")
                         if c.get(attribute) is not None and all(c.get(k) == v for k, v in having.items())), None)
        defs = {i.get("OID"): i for i in tree.iter("{*}ItemDef")}  # (elements by local name, in any namespace)
        names = {oid: i.get("Name") for oid, i in defs.items()}
        nci = {c.get("OID"): first(c, "Alias", "Name", Context="nci:ExtCodeID") for c in tree.iter("{*}CodeList")}
        value_list = {oid: first(i, "ValueListRef", "ValueListOID") for oid, i in defs.items()}
        item_codelist = {oid: nci.get(first(i, "CodeListRef", "CodeListOID")) for oid, i in defs.items()}
        clauses = {}
        for clause in tree.iter("{*}WhereClauseDef"):
            checks = [(names.get(next((v for k, v in c.attrib.items() if k.endswith("ItemOID")), "")), c.get("Comparator"),
                       tuple(text.strip() for v in c.iterchildren("{*}CheckValue") for text in text_nodes(v)))
                      for c in clause.iterchildren("{*}RangeCheck")]
            if checks and all(name and comparator in _COMPARATORS for name, comparator, _ in checks):
                clauses[clause.get("OID")] = tuple((name, _COMPARATORS[comparator], values) for name, comparator, values in checks)
        lists = {}
        for vl in tree.iter("{*}ValueListDef"):
            items = []
            for ref in vl.iterchildren("{*}ItemRef"):
                where = [c.get("WhereClauseOID") for c in ref.iterchildren("{*}WhereClauseRef")]
                code = item_codelist.get(ref.get("ItemOID"))
                if code and where and all(w in clauses for w in where):
                    items.append((tuple(clauses[w] for w in where), code))
            lists[vl.get("OID")] = items
        found: dict[tuple[str, str], list[tuple[tuple, str]]] = {}
        for group in tree.iter("{*}ItemGroupDef"):
            for ref in group.iterchildren("{*}ItemRef"):
                vl = value_list.get(ref.get("ItemOID"))
                if lists.get(vl):
                    found[((group.get("Name") or "").upper(), names[ref.get("ItemOID")])] = lists[vl]
        return found
    return package.summaries.of(VALUE_LEVEL, build)


def _selected(dataset: Dataset, where: tuple) -> np.ndarray:
    """The records any of the where clauses selects (a clause: all its checks hold; a check on a missing column: none)."""
    selected = np.zeros(len(dataset.frame), dtype=bool)
    for checks in where:
        held = np.ones(len(dataset.frame), dtype=bool)
        for name, negated, values in checks:
            if name not in dataset.frame.columns:
                held[:] = False
                break
            text = dataset.text(name)
            held &= text.per_record(text.values.isin(values).to_numpy(bool) != negated)
        selected |= held
    return selected


def codelist_parts(submission: Submission, dataset: Dataset, variable: str, codes: tuple[str, ...]) -> list[tuple[tuple[str, ...], np.ndarray | None]]:
    """The codelists (NCI codes) ``variable`` takes and the records each is checked on (None: every record): a value-level
    item's codelist on the records its where clause selects (the first item selecting a record wins), ``codes`` (the
    IG's) on the rest. Value-level items come from define.xml of the dataset's folder.

    A submission without value-level codelists gives ``[(codes, None)]``."""
    package = next((p for p in submission.packages if p.folder == dataset.table.path.parent), None)
    items = value_level(package).get((dataset.name, variable), []) if package is not None else []
    if not items:
        return [(codes, None)] if codes else []
    parts: list[tuple[tuple[str, ...], np.ndarray | None]] = []
    covered = np.zeros(len(dataset.frame), dtype=bool)
    for where, code in items:
        records = _selected(dataset, where) & ~covered
        if records.any():
            parts.append(((code,), records))
            covered |= records
    if codes and not covered.all():
        parts.append((codes, ~covered))
    return parts


def _ig_codes(submission: Submission, dataset, variable: str) -> tuple[str, ...]:
    """The one CT codelist the IG assigns to ``variable`` in this dataset, as a 1-tuple of its NCI code, or ()."""
    ig = ig_variables(submission, dataset)
    codes: list[str] = next((c for name, c in zip(ig["variable"].tolist(), ig["codelists"].tolist(), strict=True) if name == variable), [])
    return tuple(codes) if len(codes) == 1 else ()


@rule("CT-PAIR", "Test code and test name are not the same CT term",
      "SDTMIG 3.4 controlled terminology assumptions (--TESTCD/--TEST, TSPARMCD/TSPARM: one CT term); P21 CT2003", "error")
def code_name_pairs(submission: Submission) -> Iterator[pd.DataFrame]:
    """Where --TESTCD is a CT term, --TEST must be that term's submission value in the paired name codelist.

    Each distinct code is named once per codelist part; a record then compares positions among the distinct names."""
    for dataset in submission.model("SDTM"):
        prefix = dataset.domain[:2]
        for code_suffix, name_suffix in _PAIRS:
            code, name = prefix + code_suffix, prefix + name_suffix
            if not {code, name} <= set(dataset.frame.columns):
                continue
            codes_text = dataset.text(code)
            named: list[pd.Series] = []  # per codelist part, the name each distinct code calls for (missing: none)
            choice = np.full(len(dataset.frame), -1, dtype=np.intp)  # per record, its expected name among the concatenated parts
            for code_part, code_records in codelist_parts(submission, dataset, code, _ig_codes(submission, dataset, code)):
                for name_part, name_records in codelist_parts(submission, dataset, name, _ig_codes(submission, dataset, name)):
                    codes, names = submission.standards.codelists.get(code_part[0]), submission.standards.codelists.get(name_part[0])
                    records = _both(code_records, name_records, len(choice))
                    if codes is None or names is None or len(code_part) != 1 or len(name_part) != 1 or not records.any():
                        continue
                    term_of_code = dict(zip(codes.terms["value"].tolist(), codes.terms["nci"].tolist()))
                    name_of_term = dict(zip(names.terms["nci"].tolist(), names.terms["value"].tolist()))
                    choice = np.where(records, sum(len(n) for n in named) + codes_text.codes, choice)
                    named.append(pd.Series(codes_text.values.map(term_of_code).map(name_of_term).array, dtype="str"))
            if not named:
                continue
            names_text, expected = dataset.text(name), pd.concat(named, ignore_index=True)
            called = np.append(expected.notna().to_numpy(bool), False)[choice]  # (choice -1: the appended False)
            bad = called & (np.append(position_in(expected, pd.Index(names_text.values)), -1)[choice] != names_text.codes)
            if bad.any():
                rows = np.flatnonzero(bad)  # (messages written for these only)
                actual, given = names_text.values.to_numpy()[names_text.codes[rows]], codes_text.values.to_numpy()[codes_text.codes[rows]]
                message = np.full(len(bad), "", dtype=object)
                message[rows] = name + " is '" + actual + "'; CT names " + code + " " + given + " '" + expected.to_numpy()[choice[rows]] + "'"
                yield findings("CT-PAIR", dataset.name, pd.Series(message, index=dataset.frame.index, dtype="str"), rows=rows, variable=name,
                               values=dataset.column(name))


def _both(first: np.ndarray | None, second: np.ndarray | None, n: int) -> np.ndarray:
    """Records in both selections (None: every record)."""
    return np.ones(n, dtype=bool) & (True if first is None else first) & (True if second is None else second)


def _extensible_values(submission: Submission) -> Iterator[tuple]:
    """(dataset, variable, codelist, text, records) for every variable the IG ties to one codelist, per codelist part
    (:func:`codelist_parts`) that is one extensible codelist; ``records`` the part's (None: all). Results (--ORRES,
    --STRESC) take their codelist per test (value level), so they are not checked against the IG's."""
    for dataset in submission.datasets:
        ig = ig_variables(submission, dataset)
        for variable, codes in zip(ig["variable"].tolist(), ig["codelists"].tolist()):
            if variable not in dataset.frame.columns or len(codes) != 1 or variable.endswith(RESULTS):
                continue
            for part, records in codelist_parts(submission, dataset, variable, tuple(codes)):
                codelist = submission.standards.codelists.get(part[0]) if len(part) == 1 else None
                if codelist is not None and codelist.extensible:
                    yield dataset, variable, codelist, dataset.text(variable), records


def _terms(submission: Submission, codelist: CodelistTerms) -> tuple[pd.Index, pd.Series, pd.Index]:
    """A codelist's submission values; the submission value each synonym (that is not one itself) stands for;
    submission values and synonyms together. Built once per codelist."""
    def build() -> tuple[pd.Index, pd.Series, pd.Index]:
        submitted, synonyms = codelist.terms["value"].tolist(), codelist.terms["synonyms"].tolist()  # (lists: a Series iterates slowly)
        values = set(submitted)
        spelled = {s: v for v, syns in zip(submitted, synonyms) for s in syns if s not in values}
        known = values | {s for syns in synonyms for s in syns}
        return pd.Index(sorted(values), dtype="str"), pd.Series(spelled, dtype="str"), pd.Index(sorted(known), dtype="str")
    return submission.shared.of(("terms", codelist.nci), build)


@rule("CT-SYNONYM", "A CT synonym instead of the CT submission value",
      "SDTMIG 3.4 controlled terminology assumptions (submit the CDISC submission value; synonyms map collected text)", "error")
def synonyms(submission: Submission) -> Iterator[pd.DataFrame]:
    """A value that is not a submission value of its (extensible) codelist but is listed as a synonym of one, e.g.
    LBORRESU "10^3/uL" for UNIT "10^9/L" (non-extensible codelists are the CT rule's)."""
    for dataset, variable, codelist, text, records in _extensible_values(submission):
        values, spelled, _ = _terms(submission, codelist)
        preferred = mapped(text.values, spelled)
        bad = _both(text.per_record(preferred.notna().to_numpy(bool) & ~member(text.values, values)), records, len(text.codes))
        if bad.any():
            preferred = pd.Series(preferred.array.take(text.codes), index=dataset.frame.index)
            given = text.column(dataset.frame.index)
            message = variable + " '" + given + f"' is a synonym in {codelist.name} ({codelist.nci}); submit '" + preferred.fillna("") + "'"
            yield findings("CT-SYNONYM", dataset.name, message, rows=np.flatnonzero(bad), variable=variable, values=dataset.column(variable))


@rule("CT-EXT", "Value not in an extensible CDISC codelist (sponsor extension)",
      "SDTMIG 3.4 controlled terminology assumptions (extensible codelists: a new term only when no CT term fits); P21 CT2002", "warning")
def extensible(submission: Submission) -> Iterator[pd.DataFrame]:
    """One finding per dataset, variable and distinct value outside its extensible codelist (synonyms are CT-SYNONYM's)."""
    for dataset, variable, codelist, text, records in _extensible_values(submission):
        known = _terms(submission, codelist)[2]
        outside = _both(text.per_record((text.values != "").to_numpy(bool) & ~member(text.values, known)), records, len(text.codes))
        rows = np.flatnonzero(outside & _first(text.codes, outside))
        if len(rows):
            yield findings("CT-EXT", dataset.name, f"{variable} value is not in the extensible codelist {codelist.name} ({codelist.nci})",
                           rows=rows, variable=variable, values=dataset.column(variable))


def _first(codes: np.ndarray, among: np.ndarray) -> np.ndarray:
    """True on the first record of ``among`` holding each value (``codes``: one per record)."""
    first = np.zeros(len(codes), dtype=bool)
    rows = np.flatnonzero(among)
    first[rows[np.unique(codes[rows], return_index=True)[1]]] = True
    return first


@rule("LABEL-SAME-NAME", "Same variable name with different labels across datasets",
      "SDTMIG 3.4 / ADaMIG 1.3 (a variable name has one meaning, and so one label, within a submission); Define-XML 2.1 ItemDef", "warning", across=True)
def same_name_labels(submission: Submission) -> Iterator[pd.DataFrame]:
    """Per model, every variable whose label differs from the label most datasets give that name."""
    for model in ("SDTM", "ADaM"):
        rows = [(d.name, v.name, v.label or "") for d in submission.model(model) if not d.name.startswith("SUPP") for v in d.table.variables]
        table = pd.DataFrame(rows, columns=["dataset", "variable", "label"])
        if table.empty:
            continue
        usual = table.groupby(["variable", "label"]).size().rename("n").reset_index().sort_values(["variable", "n", "label"], ascending=[True, False, True])
        usual = usual.drop_duplicates("variable").set_index("variable")["label"]
        odd = table[table["label"] != table["variable"].map(usual)]
        for record in odd.itertuples(index=False):
            yield findings("LABEL-SAME-NAME", record.dataset, f"{record.variable} is labelled '{record.label}' here and '{usual[record.variable]}' elsewhere",
                           variable=record.variable)


@rule("SUPP-QNAM-STANDARD", "SUPP-- QNAM reuses a standard variable name of its parent domain",
      "SDTMIG 3.4 §8.4 SUPP-- (QNAM must not reuse a standard variable name; a standard variable goes in the parent domain)", "warning")
def qnam_standard_name(submission: Submission) -> Iterator[pd.DataFrame]:
    standards = submission.standards
    for dataset in submission.model("SDTM"):
        if not dataset.name.startswith("SUPP") or "QNAM" not in dataset.frame.columns:
            continue
        parent = dataset.name[4:]
        names = set(standards.sdtm.loc[standards.sdtm["dataset"] == parent, "variable"])
        qnam = dataset.text("QNAM")
        rows = np.flatnonzero(qnam.per_record(qnam.values.isin(names)) & qnam.first())
        if len(rows):
            message = f"QNAM is an SDTMIG 3.4 {parent} variable; put it in {parent} with its standard meaning or choose another name"
            yield findings("SUPP-QNAM-STANDARD", dataset.name, message,
                           rows=rows, variable="QNAM", values=qnam.column(dataset.frame.index))
