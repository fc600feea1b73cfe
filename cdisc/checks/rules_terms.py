"""Terminology and naming rules beyond closed codelists: test code/name pairs, synonyms and values of extensible
codelists, one label per variable name, SUPP-- QNAMs that reuse a standard variable name."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pandas as pd

from cdisc.checks.package import Submission, member
from cdisc.checks.registry import findings, rule
from cdisc.checks.rules_metadata import ig_variables
from cdisc.terminology import CodelistTerms

_PAIRS = (("TESTCD", "TEST"), ("PARMCD", "PARM"))
RESULTS = ("ORRES", "STRESC")


def _ig_codelist(submission: Submission, dataset, variable: str):
    """The one CT codelist the IG assigns to ``variable`` in this dataset, or None."""
    ig = ig_variables(submission, dataset)
    codes = ig.loc[ig["variable"] == variable, "codelists"]
    if codes.empty or len(codes.iloc[0]) != 1:
        return None
    return submission.standards.codelists.get(codes.iloc[0][0])


@rule("CT-PAIR", "Test code and test name are not the same CT term",
      "SDTMIG 3.4 controlled terminology assumptions (--TESTCD/--TEST, TSPARMCD/TSPARM: one CT term); P21 CT2003", "error")
def code_name_pairs(submission: Submission) -> Iterator[pd.DataFrame]:
    """Where --TESTCD is a CT term, --TEST must be that term's submission value in the paired name codelist."""
    for dataset in submission.model("SDTM"):
        prefix = dataset.domain[:2]
        for code_suffix, name_suffix in _PAIRS:
            code, name = prefix + code_suffix, prefix + name_suffix
            if not {code, name} <= set(dataset.frame.columns):
                continue
            codes, names = _ig_codelist(submission, dataset, code), _ig_codelist(submission, dataset, name)
            if codes is None or names is None:
                continue
            term_of_code = dict(zip(codes.terms["value"], codes.terms["nci"]))
            name_of_term = dict(zip(names.terms["nci"], names.terms["value"]))
            codes_text = dataset.text(code)
            expected = pd.Series(codes_text.values.map(term_of_code).map(name_of_term).array.take(codes_text.codes), index=dataset.frame.index)
            actual = dataset.text_column(name)
            bad = (expected.notna() & (actual != expected)).to_numpy(bool)
            if bad.any():
                message = name + " is '" + actual + "'; CT names " + code + " " + dataset.text_column(code) + " '" + expected.fillna("") + "'"
                yield findings("CT-PAIR", dataset.name, message, rows=np.flatnonzero(bad), variable=name, values=dataset.frame[name])


def _extensible_values(submission: Submission) -> Iterator[tuple]:
    """(dataset, variable, codelist, text) for every variable the IG ties to one extensible codelist; results
    (--ORRES, --STRESC) take their codelist per test (value level), so they are not checked against the IG's."""
    for dataset in submission.datasets:
        ig = ig_variables(submission, dataset)
        for variable, codes in zip(ig["variable"], ig["codelists"]):
            if variable not in dataset.frame.columns or len(codes) != 1 or variable.endswith(RESULTS):
                continue
            codelist = submission.standards.codelists.get(codes[0])
            if codelist is not None and codelist.extensible:
                yield dataset, variable, codelist, dataset.text(variable)


def _terms(submission: Submission, codelist: CodelistTerms) -> tuple[pd.Index, pd.Series, pd.Index]:
    """A codelist's submission values; the submission value each synonym (that is not one itself) stands for;
    submission values and synonyms together. Built once per codelist."""
    def build() -> tuple[pd.Index, pd.Series, pd.Index]:
        values = set(codelist.terms["value"])
        spelled = {s: v for v, syns in zip(codelist.terms["value"], codelist.terms["synonyms"]) for s in syns if s not in values}
        known = values | {s for syns in codelist.terms["synonyms"] for s in syns}
        return pd.Index(sorted(values), dtype="str"), pd.Series(spelled, dtype="str"), pd.Index(sorted(known), dtype="str")
    return submission.summaries.of(("terms", codelist.nci), build)


@rule("CT-SYNONYM", "A CT synonym instead of the CT submission value",
      "SDTMIG 3.4 controlled terminology assumptions (submit the CDISC submission value; synonyms map collected text)", "error")
def synonyms(submission: Submission) -> Iterator[pd.DataFrame]:
    """A value that is not a submission value of its (extensible) codelist but is listed as a synonym of one, e.g.
    LBORRESU "10^3/uL" for UNIT "10^9/L" (non-extensible codelists are the CT rule's)."""
    for dataset, variable, codelist, text in _extensible_values(submission):
        values, spelled, _ = _terms(submission, codelist)
        preferred = text.values.map(spelled)
        bad = text.per_record(preferred.notna().to_numpy(bool) & ~member(text.values, values))
        if bad.any():
            preferred = pd.Series(preferred.array.take(text.codes), index=dataset.frame.index)
            given = text.column(dataset.frame.index)
            message = variable + " '" + given + f"' is a synonym in {codelist.name} ({codelist.nci}); submit '" + preferred.fillna("") + "'"
            yield findings("CT-SYNONYM", dataset.name, message, rows=np.flatnonzero(bad), variable=variable, values=dataset.frame[variable])


@rule("CT-EXT", "Value not in an extensible CDISC codelist (sponsor extension)",
      "SDTMIG 3.4 controlled terminology assumptions (extensible codelists: a new term only when no CT term fits); P21 CT2002", "warning")
def extensible(submission: Submission) -> Iterator[pd.DataFrame]:
    """One finding per dataset, variable and distinct value outside its extensible codelist (synonyms are CT-SYNONYM's)."""
    for dataset, variable, codelist, text in _extensible_values(submission):
        known = _terms(submission, codelist)[2]
        outside = text.per_record((text.values != "").to_numpy(bool) & ~member(text.values, known))
        rows = np.flatnonzero(outside & text.first())
        if len(rows):
            yield findings("CT-EXT", dataset.name, f"{variable} value is not in the extensible codelist {codelist.name} ({codelist.nci})",
                           rows=rows, variable=variable, values=dataset.frame[variable])


@rule("LABEL-SAME-NAME", "Same variable name with different labels across datasets",
      "SDTMIG 3.4 / ADaMIG 1.3 (a variable name has one meaning, and so one label, within a submission); Define-XML 2.1 ItemDef", "warning")
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
