"""PK and immunogenicity of the example study, end to end: ``cdisc run specs/`` gives ADPC, PP, ADPP, ADAB,
ADSL's per-drug ADA status, RELREC links from PP to PC, define.xml with value-level metadata and the PK reports.

One run for the module; everything is read back from the written files and checked against PC/IS/EX (recomputed
here independently) and the simulator's answer key."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyreadstat
import pytest
from conftest import REPO
from lxml import etree

from cdisc.checks import validate
from cdisc.study import run_study

NS = {"odm": "http://www.cdisc.org/ns/odm/v1.3", "def": "http://www.cdisc.org/ns/def/v2.1"}
ANALYTES = ["B8008ADC", "B8008TAB", "B8008PLD", "BAT1308"]
PK_PARAMETERS = ["CMAX", "TMAX", "CLST", "TLST", "AUCLST", "AUCTAU", "LAMZ", "LAMZHL", "LAMZNPT", "R2ADJ", "AUCIFO",
                 "AUCPEO", "CLO", "VZO"]


@pytest.fixture(scope="module")
def out(tmp_path_factory):
    folder = tmp_path_factory.mktemp("bat8008-pk")
    run_study(REPO / "specs", folder)
    return folder


@pytest.fixture(scope="module")
def data(out) -> dict[str, pd.DataFrame]:
    names = {"sdtm": ["pc", "pp", "relrec", "ex", "suppex"], "adam": ["adpc", "adpp", "adab", "adsl"]}
    return {n.upper(): pyreadstat.read_xport(str(out / model / f"{n}.xpt"))[0] for model, ns in names.items() for n in ns}


def _hours(later: pd.Series, earlier: pd.Series) -> pd.Series:
    return (pd.to_datetime(later) - pd.to_datetime(earlier)).dt.total_seconds() / 3600


# ---- ADPC ---------------------------------------------------------------------------------------------------------

def test_adpc_has_one_record_per_pc_record_with_times_in_hours(data):
    pc, adpc = data["PC"], data["ADPC"]
    original, copies = adpc[adpc["DTYPE"] == ""], adpc[adpc["DTYPE"] == "COPY"]
    assert len(original) == len(pc) and not adpc.duplicated(["USUBJID", "PARAMCD", "AVISITN", "NRRLT"]).any()
    merged = original.merge(pc[["USUBJID", "PCSEQ", "PCDTC", "PCRFTDTC", "PCTPTNUM", "VISITNUM"]], on=["USUBJID", "PCSEQ"],
                            suffixes=("", "_PC"))
    dated = merged["PCDTC_PC"].ne("")
    assert np.allclose(merged.loc[dated, "ARRLT"], _hours(merged.loc[dated, "PCDTC_PC"], merged.loc[dated, "PCRFTDTC_PC"]))
    assert merged.loc[~dated, "ARRLT"].isna().all()
    assert (merged["NRRLT"] == merged["PCTPTNUM_PC"]).all()
    cycle = np.floor(merged["VISITNUM_PC"])
    assert (merged["AVISITN"] == cycle).all() and (merged["NFRLT"] == (cycle - 1) * 504 + merged["NRRLT"]).all()  # 21-day cycles
    assert (merged["AVISIT"] == "Cycle " + cycle.astype(int).astype(str) + " Day 1").all()
    # AFRLT from the first dose of the analyte's own drug
    ex = data["EX"][data["EX"]["EXDOSE"] > 0].sort_values("EXSTDTC")
    first = ex.groupby(["USUBJID", "EXTRT"])["EXSTDTC"].first()
    drug = np.where(merged["PARAMCD"] == "BAT1308", "BAT1308", "BAT8008")
    start = pd.Series(first.reindex(list(zip(merged["USUBJID"], drug))).to_numpy(), index=merged.index)
    assert np.allclose(merged.loc[dated, "AFRLT"], _hours(merged.loc[dated, "PCDTC_PC"], start[dated]))
    # the pre-dose samples of cycles 2 and 4 close the profiles of cycles 1 and 3, timed from the dose before
    assert set(copies["AVISITN"]) == {1, 3} and (copies["NRRLT"] == 504 - 0.5).all() and (copies["ATPT"] == "END OF DOSING INTERVAL").all()
    source = copies.merge(pc[["USUBJID", "PCSEQ", "PCTPTNUM", "VISITNUM", "PCSTAT", "PCDTC", "PCRFTDTC"]],
                          on=["USUBJID", "PCSEQ"], suffixes=("", "_PC"))
    assert len(source) == len(copies) and (source["PCTPTNUM_PC"] < 0).all() and set(source["VISITNUM_PC"]) == {2.01, 4.01}
    assert (source["PCSTAT_PC"] == "").all()  # a sample not done is no trough
    # the copy refers to the drug's dose before the one the sample refers to
    drug = np.where(source["PARAMCD"] == "BAT1308", "BAT1308", "BAT8008")
    doses = ex.assign(NEXT=ex.groupby(["USUBJID", "EXTRT"])["EXSTDTC"].shift(-1)).set_index(["USUBJID", "EXTRT", "EXSTDTC"])["NEXT"]
    assert (doses.reindex(list(zip(source["USUBJID"], drug, source["PCRFTDTC"]))).to_numpy() == source["PCRFTDTC_PC"].to_numpy()).all()
    assert np.allclose(source["ARRLT"], _hours(source["PCDTC_PC"], source["PCRFTDTC"]))


def test_adpc_blq_rule_zero_before_the_first_quantifiable_concentration_missing_after(data):
    adpc = data["ADPC"]
    blq = adpc["PCSTRESC"].str.startswith("<")
    first = adpc[adpc["PCSTRESN"].notna()].groupby(["USUBJID", "PARAMCD", "PCRFTDTC"])["NRRLT"].min()
    first_of = pd.Series(first.reindex(list(zip(adpc["USUBJID"], adpc["PARAMCD"], adpc["PCRFTDTC"]))).to_numpy(), index=adpc.index)
    before = blq & (first_of.isna() | (adpc["NRRLT"] < first_of))
    after = blq & ~before
    assert before.sum() > 0 and after.sum() > 0  # both cases occur in the example
    assert (adpc.loc[before, "AVAL"] == 0).all() and adpc.loc[after, "AVAL"].isna().all()
    assert (adpc.loc[~blq, "AVAL"].fillna(-1) == adpc.loc[~blq, "PCSTRESN"].fillna(-1)).all()
    assert (adpc.loc[after, "NCAXRS"] == "BLQ AFTER THE FIRST QUANTIFIABLE CONCENTRATION").all()
    assert (adpc.loc[adpc["PCSTAT"] == "NOT DONE", "NCAXFL"] == "Y").all()
    assert set(adpc.loc[adpc["NCAXFL"] != "Y", "AVISITN"]) == {1, 3}  # the intensive profiles


def test_adpc_dose_is_the_total_dose_of_the_reference_infusion(data):
    adpc, ex, supp = data["ADPC"], data["EX"], data["SUPPEX"]
    total = supp[supp["QNAM"] == "TOTDOSMG"]
    total = total.set_index(["USUBJID", total["IDVARVAL"].astype(float)])["QVAL"].astype(float)
    ex = ex.assign(TOTAL=total.reindex(list(zip(ex["USUBJID"], ex["EXSEQ"]))).to_numpy(),
                   HOURS=_hours(ex["EXENDTC"], ex["EXSTDTC"]))
    drug = np.where(adpc["PARAMCD"] == "BAT1308", "BAT1308", "BAT8008")
    dose = ex.set_index(["USUBJID", "EXTRT", "EXSTDTC"]).reindex(list(zip(adpc["USUBJID"], drug, adpc["PCRFTDTC"])))
    assert dose["TOTAL"].notna().all() and (adpc["DOSEU"] == "mg").all()
    assert np.allclose(adpc["DOSEA"], dose["TOTAL"]) and np.allclose(adpc["ADOSEDUR"], dose["HOURS"])
    assert (adpc.loc[adpc["PARAMCD"] == "BAT1308", "DOSEA"] == 200).all()  # the flat BAT1308 dose


# ---- PP, ADPP -------------------------------------------------------------------------------------------------------

def test_pp_holds_every_parameter_of_every_intensive_profile(data):
    pp, adpc = data["PP"], data["ADPC"]
    profiles = adpc[adpc["NCAXFL"] != "Y"].drop_duplicates(["USUBJID", "PARAMCD", "AVISITN"])
    assert len(pp) == len(profiles) * len(PK_PARAMETERS)
    assert set(pp["PPTESTCD"]) == set(PK_PARAMETERS) and set(pp["PPCAT"]) == set(adpc["PCTEST"])
    missing = pp["PPSTRESN"].isna()
    assert (pp.loc[missing, "PPSTAT"] == "NOT DONE").all() and pp.loc[missing, "PPREASND"].ne("").all()
    assert (pp.loc[~missing, "PPSTAT"] == "").all()
    units = pp[~missing].groupby(["PPCAT", "PPTESTCD"])["PPSTRESU"].first()
    assert units[("BAT8008 ADC", "CMAX")] == "ug/mL" and units[("BAT8008 Free Payload", "AUCLST")] == "h*ng/mL"
    assert units[("BAT8008 ADC", "CLO")] == "L/h" and units[("BAT1308", "LAMZHL")] == "h"
    assert (pp["PPRFTDTC"].isin(set(adpc["PCRFTDTC"]))).all()


def test_nca_cmax_and_tmax_equal_the_observed_values(data):
    pp, adpc = data["PP"], data["ADPC"]
    used = adpc[(adpc["NCAXFL"] != "Y")].copy()
    used["PPGRPID"] = used["PARAMCD"] + "-C" + used["AVISITN"].astype(int).astype(str)
    peak = used.loc[used.sort_values("ARRLT").groupby(["USUBJID", "PPGRPID"])["AVAL"].idxmax()].set_index(["USUBJID", "PPGRPID"])
    got = pp.pivot(index=["USUBJID", "PPGRPID"], columns="PPTESTCD", values="PPSTRESN").reindex(peak.index)
    quantified = peak["AVAL"] > 0
    assert quantified.sum() > 400
    assert (got.loc[quantified, "CMAX"] == peak.loc[quantified, "AVAL"]).all()
    assert (got.loc[quantified, "TMAX"] == peak.loc[quantified, "ARRLT"].clip(lower=0)).all()


def test_cycle3_profiles_give_half_lives_and_cycle1_says_why_not(data):
    pp = data["PP"]
    half = pp[pp["PPTESTCD"] == "LAMZHL"]
    cycle1, cycle3 = half[half["PPGRPID"].str.endswith("-C1")], half[half["PPGRPID"].str.endswith("-C3")]
    assert cycle1["PPSTRESN"].isna().all()
    assert cycle1["PPREASND"].str.fullmatch(r"\d positive concentration\(s\) after Tmax, fewer than the 3 lambda-z needs").all()
    assert cycle3["PPSTRESN"].notna().mean() > 0.5


def test_cycle3_clearance_from_auctau_recovers_the_true_clearance(data):
    """At steady state AUCtau equals the single-dose AUCinf, so dose / AUCTAU estimates CL. The schedule's own
    bias (test_nca_example.py, the same NCA on noise-free concentrations: -3 % ADC, -1 % total antibody, +13 %
    BAT1308) plus the spread of a median over ~40 subjects (residual error 10-18 %) bounds the median error at
    0.1 around that bias. The payload's CL is per mg of BAT8008 (scaled by its input fraction here)."""
    pp, adpc = data["PP"], data["ADPC"]
    key = pd.read_csv(REPO / "examples" / "bat8008" / "answer_key" / "pk_parameters.csv", dtype={"SUBJID": str})
    analyte = {"B8008ADC": "ADC", "B8008TAB": "TAB", "BAT1308": "PD1"}
    auc = pp[(pp["PPTESTCD"] == "AUCTAU") & pp["PPGRPID"].str.endswith("-C3")].dropna(subset=["PPSTRESN"])
    auc = auc.assign(PARAMCD=auc["PPGRPID"].str[:-3]).loc[lambda f: f["PARAMCD"].isin(list(analyte))]
    dose = adpc[adpc["AVISITN"] == 3].groupby(["USUBJID", "PARAMCD"])["DOSEA"].first()
    true = key.set_index(["SUBJID", "ANALYTE"])["CL_L_H"]
    auc["ERROR"] = np.log(dose.reindex(list(zip(auc["USUBJID"], auc["PARAMCD"]))).to_numpy() / auc["PPSTRESN"].to_numpy()
                          / true.reindex(list(zip(auc["USUBJID"].str[-8:], auc["PARAMCD"].map(analyte)))).to_numpy())
    median = auc.groupby("PARAMCD")["ERROR"].median()
    bias = {"B8008ADC": -0.03, "B8008TAB": -0.01, "BAT1308": 0.13}
    assert auc.groupby("PARAMCD").size().min() >= 30
    assert all(abs(median[code] - bias[code]) <= 0.1 for code in bias), median


def test_adpp_is_pp_with_adsl_variables(data):
    pp, adpp, adsl = data["PP"], data["ADPP"], data["ADSL"]
    assert len(adpp) == len(pp)
    both = adpp.merge(pp, on=["USUBJID", "PPSEQ"], suffixes=("", "_PP"))
    assert (both["PARAMCD"] == both["PPTESTCD_PP"]).all() and (both["PARCAT1"] == both["PPCAT_PP"]).all()
    assert ((both["AVAL"] == both["PPSTRESN"]) | (both["AVAL"].isna() & both["PPSTRESN"].isna())).all()
    assert (both["AVISITN"] == both["PPGRPID_PP"].str.split("-C").str[1].astype(float)).all()
    assert (adpp["TRT01A"] == adpp["USUBJID"].map(adsl.set_index("USUBJID")["TRT01A"])).all()


# ---- RELREC -------------------------------------------------------------------------------------------------------

def test_relrec_relates_every_pp_profile_to_the_pc_records_it_used(data):
    relrec, pp, pc, adpc = data["RELREC"], data["PP"], data["PC"], data["ADPC"]
    pp_side = relrec[relrec["RDOMAIN"] == "PP"]
    pc_side = relrec[relrec["RDOMAIN"] == "PC"]
    assert set(zip(pp_side["USUBJID"], pp_side["IDVARVAL"])) == set(zip(pp["USUBJID"], pp["PPGRPID"]))
    assert (pp_side["IDVAR"] == "PPGRPID").all() and (pc_side["IDVAR"] == "PCSEQ").all()
    linked = set(zip(pc_side["USUBJID"], pc_side["IDVARVAL"].astype(int)))
    assert linked <= set(zip(pc["USUBJID"], pc["PCSEQ"].astype(int)))
    used = adpc[adpc["NCAXFL"] != "Y"]
    assert linked == set(zip(used["USUBJID"], used["PCSEQ"].astype(int)))
    # each PC record is related to the profile its ADPC record belongs to
    expected = used["PARAMCD"] + "-C" + used["AVISITN"].astype(int).astype(str)
    got = pc_side.set_index(["USUBJID", pc_side["IDVARVAL"].astype(int)])["RELID"]
    assert (got.reindex(list(zip(used["USUBJID"], used["PCSEQ"].astype(int)))).to_numpy() == expected.to_numpy()).all()
    assert set(relrec.loc[relrec["USUBJID"] == "", "RELID"]) == {"TUTR"}  # the dataset-level relation is still there


# ---- ADA ----------------------------------------------------------------------------------------------------------

def test_ada_status_per_subject_and_drug_equals_the_answer_key(data):
    adsl, adab = data["ADSL"], data["ADAB"]
    key = pd.read_csv(REPO / "examples" / "bat8008" / "answer_key" / "subjects.csv", dtype=str, keep_default_na=False)
    ours = adsl.assign(SUBJID=adsl["USUBJID"].str[-8:]).set_index("SUBJID")
    key = key.set_index("SUBJID")
    assert len(key) == len(ours) == 60
    assert (ours.loc[key.index, "ADAB8ST"] == key["ADA_BAT8008"]).all()
    assert (ours.loc[key.index, "ADAB13ST"] == key["ADA_BAT1308"]).all()
    assert (key[["ADA_BAT8008", "ADA_BAT1308"]] != "NEGATIVE").sum().sum() >= 5
    # ADAB: every subject with samples, per drug, all 13 parameters once
    assert adab.groupby(["USUBJID", "PARCAT1"]).size().eq(13).all()
    status = adab[adab["PARAMCD"] == "ADASTAT"].set_index(["USUBJID", "PARCAT1"])["AVALC"]
    emergent = key.reset_index().melt(id_vars="SUBJID", value_vars=["ADA_BAT8008", "ADA_BAT1308"])
    emergent = emergent[emergent["value"] == "TREATMENT EMERGENT"]
    for subject, column in zip(emergent["SUBJID"], emergent["variable"]):
        usubjid = adsl.loc[adsl["USUBJID"].str.endswith(subject), "USUBJID"].iloc[0]
        assert status[(usubjid, column.removeprefix("ADA_"))] == "POSITIVE"


# ---- define.xml, reports, validation ------------------------------------------------------------------------------

def test_define_xml_describes_the_pk_and_ada_datasets_with_value_level_metadata(out):
    sdtm = etree.parse(str(out / "sdtm" / "define.xml")).getroot()
    adam = etree.parse(str(out / "adam" / "define.xml")).getroot()
    groups = {g.get("OID") for root in (sdtm, adam) for g in root.iterfind(".//odm:ItemGroupDef", NS)}
    assert {"IG.PP", "IG.RELREC", "IG.ADPC", "IG.ADPP", "IG.ADAB"} <= groups

    def levels(root, oid: str) -> list[str]:
        values = root.find(f".//def:ValueListDef[@OID='{oid}']", NS)
        return [ref.find("def:WhereClauseRef", NS).get("WhereClauseOID").rsplit(".", 1)[-1] for ref in values.iterfind("odm:ItemRef", NS)]

    assert levels(sdtm, "VL.PP.PPSTRESN") == PK_PARAMETERS
    assert levels(adam, "VL.ADPC.AVAL") == ANALYTES
    assert levels(adam, "VL.ADPP.AVAL") == PK_PARAMETERS
    assert len(levels(adam, "VL.ADAB.AVALC")) == 13
    method = sdtm.find(".//odm:MethodDef[@OID='MT.PP.PPSTRESN']/odm:Description/odm:TranslatedText", NS).text
    assert method.startswith("Non-compartmental analysis per") and "linear-up/log-down" in method


def test_run_writes_pk_plots_and_the_parameter_summary(out, data):
    reports = out / "reports"
    plots = sorted(p.name for p in reports.glob("adpc_*.png"))
    assert len(plots) == len(ANALYTES) * 2  # per analyte, cycles 1 and 3; one line per dose level in each
    assert all((reports / p).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" for p in plots)
    summary = (reports / "adpp_pk_summary.txt").read_text()
    assert summary.startswith("ADPP: PK parameters: geometric mean and geometric CV%")
    assert all(analyte in summary for analyte in set(data["PP"]["PPCAT"]))
    # the summary's geometric mean equals the one recomputed from ADPP
    adpp = data["ADPP"]
    rows = adpp[(adpp["PKFL"] == "Y") & (adpp["PARAMCD"] == "CMAX") & (adpp["PARCAT1"] == "BAT1308") & (adpp["AVISITN"] == 1)]
    dose = rows["TRT01A"].iloc[0]
    expected = np.exp(np.log(rows.loc[rows["TRT01A"] == dose, "AVAL"]).mean())
    line = next(row for row in summary.splitlines() if row.startswith("BAT1308") and "Cycle 1 Day 1" in row and dose in row and " CMAX " in row)
    assert float(line.split()[line.split().index("ug/mL") + 2]) == pytest.approx(expected, rel=1e-3)


def test_validate_finds_no_errors_in_the_pk_and_ada_datasets(out):
    findings = validate(out).findings
    assert findings[findings["severity"] == "error"].empty
