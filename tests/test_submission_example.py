"""Issue 12 findings on the example study's output: each test failed on the output before the fix.

One run of ``specs/`` for the module; the checks read the written XPT files and define.xml, and
``cdisc validate`` on the whole output gives no errors."""

from __future__ import annotations

import pandas as pd
import pyreadstat
import pytest
from conftest import REPO
from lxml import etree

from cdisc.checks import validate
from cdisc.study import run_study

SPECS = REPO / "specs"
NS = {"odm": "http://www.cdisc.org/ns/odm/v1.3", "def": "http://www.cdisc.org/ns/def/v2.1", "xlink": "http://www.w3.org/1999/xlink"}


@pytest.fixture(scope="module")
def out(tmp_path_factory):
    folder = tmp_path_factory.mktemp("bat8008")
    run_study(SPECS, folder)
    return folder


@pytest.fixture(scope="module")
def findings(out) -> pd.DataFrame:
    return validate(out).findings


def define(out, model: str) -> etree._Element:
    return etree.parse(str(out / model / "define.xml")).getroot()


def read(out, name: str) -> pd.DataFrame:
    return pyreadstat.read_xport(str(out / "sdtm" / f"{name}.xpt"))[0]


# ---- define.xml -----------------------------------------------------------------------------------------------------

def test_every_predecessor_origin_names_its_source(out):
    root = define(out, "adam")
    sources = {item.get("OID"): "".join(item.xpath("def:Origin/odm:Description/odm:TranslatedText/text()", namespaces=NS))
               for item in root.xpath("//odm:ItemDef[def:Origin/@Type='Predecessor']", namespaces=NS)}
    assert sources and all(sources.values()), [oid for oid, text in sources.items() if not text]
    assert sources["IT.ADSL.AGE"] == "DM.AGE" and sources["IT.ADAE.AGE"] == "ADSL.AGE"
    assert sources["IT.ADAE.AEDLT"] == "SUPPAE.QVAL where QNAM = AEDLT"


def test_adam_define_has_the_codelists_of_its_coded_variables(out):
    root = define(out, "adam")
    coded = {item.get("Name") for item in root.xpath("//odm:ItemDef[odm:CodeListRef]", namespaces=NS)}
    assert {"SEX", "RACE", "SAFFL", "EOSSTT", "TRTSTMF", "ASTDTF", "AEOUT"} <= coded


def test_every_derived_item_has_a_method_and_unit_conversions_give_their_factor(out):
    root = define(out, "sdtm")
    derived = root.xpath("//odm:ItemDef[def:Origin/@Type='Derived']/@OID", namespaces=NS)
    refs = {ref.get("ItemOID"): ref.get("MethodOID") for ref in root.xpath("//odm:ItemRef", namespaces=NS)}
    assert [oid for oid in derived if oid in refs and not refs[oid]] == []
    methods = {m.get("OID"): "".join(m.xpath(".//odm:TranslatedText/text()", namespaces=NS)) for m in root.xpath("//odm:MethodDef", namespaces=NS)}
    assert "a result in g/dL multiplied by 10" in methods[refs["IT.LB.LBSTRESN.LBTESTCD.HGB"]]


def test_define_links_only_files_that_exist_and_carries_a_stylesheet(out):
    for model in ("sdtm", "adam"):
        root = define(out, model)
        targets = root.xpath("//def:leaf/@xlink:href", namespaces=NS)
        assert all((out / model / t).is_file() for t in targets), targets
        instruction = root.getprevious()
        assert instruction is not None and instruction.target == "xml-stylesheet"
        assert (out / model / instruction.get("href")).is_file()


# ---- validate ------------------------------------------------------------------------------------------------------

def test_validate_finds_no_errors_on_the_example_output(findings):
    errors = findings[findings["severity"] == "error"]
    assert errors.empty, errors.groupby(["rule", "dataset", "variable"]).size().to_string()


# ---- controlled terminology and EX -----------------------------------------------------------------------------------

def test_units_and_test_names_are_ct_submission_values(out, findings):
    lb, tr = read(out, "lb"), read(out, "tr")
    assert not {"10^3/uL", "uIU/mL"} & set(lb["LBORRESU"])  # CT synonyms of 10^9/L and mIU/L
    assert set(tr.loc[tr["TRTESTCD"] == "SUMDIAM", "TRTEST"]) == {"Sum of Diameter"}
    assert findings[findings["rule"].isin(["CT", "CT-PAIR", "CT-SYNONYM"])].empty


def test_exadj_holds_dose_adjustments_only_and_suppex_names_are_not_standard_variables(out):
    ex, supp = read(out, "ex"), read(out, "suppex")
    assert not ex["EXADJ"].str.contains("DELAYED").any()
    assert set(supp["QNAM"]) == {"TOTDOSMG", "DOSEWT", "CYCDLY"}
    assert (supp.loc[supp["QNAM"] == "CYCDLY", "QVAL"] == "Y").any()


def test_annotated_crf_is_written_and_annotates_every_form(out):
    page = (out / "sdtm" / "acrf.html").read_text()
    for form in ("AE", "EX", "ENROL", "IC", "LB"):
        assert f'id="{form}"' in page
    assert "SUPPEX.QVAL where QNAM = DOSEWT" in page


# ---- timing -----------------------------------------------------------------------------------------------------------

def test_pre_dose_records_on_the_first_dose_day_are_screening(out):
    dm = read(out, "dm").set_index("USUBJID")
    for domain, dtc in (("lb", "LBDTC"), ("vs", "VSDTC"), ("pc", "PCDTC")):
        frame = read(out, domain)
        first = frame["USUBJID"].map(dm["RFXSTDTC"])
        before = (frame[dtc].str.len() > 10) & (frame[dtc] < first) & (frame[dtc].str[:10] == first.str[:10])
        assert before.any() and set(frame.loc[before, "EPOCH"]) == {"SCREENING"}, domain


def test_end_of_study_epoch_is_an_epoch_the_subject_has(out):
    ds, se = read(out, "ds"), read(out, "se")
    epochs = set(zip(se["USUBJID"], se["EPOCH"]))
    assert all(pair in epochs for pair in zip(ds["USUBJID"], ds["EPOCH"]))


# ---- consistency ------------------------------------------------------------------------------------------------------

def test_no_record_after_end_of_participation_or_death_or_before_consent(findings):
    timing = {"DATE-AFTER-RFPENDTC", "DATE-BEFORE-RFICDTC", "AFTER-DEATH", "DEATH-NO-CAUSE", "RANGE-NONNUMERIC"}
    assert findings[findings["rule"].isin(timing)].empty, findings[findings["rule"].isin(timing)].head().to_string()


def test_events_ongoing_in_a_subject_who_died_are_ongoing_at_the_death(out):
    dm = read(out, "dm").set_index("USUBJID")
    for domain in ("ae", "cm"):
        frame = read(out, domain)
        prefix = domain.upper()
        ongoing = frame[frame[f"{prefix}ENRTPT"] == "ONGOING"]
        death = ongoing["USUBJID"].map(dm["DTHDTC"]).fillna("")
        assert (death != "").any() and (ongoing.loc[death != "", f"{prefix}ENTPT"] == death[death != ""]).all()
        assert set(ongoing.loc[death == "", f"{prefix}ENTPT"]) == {"2026-01-12"}  # the data cutoff (study.yaml)


def test_lab_results_that_are_not_numbers_carry_no_standard_range(out):
    lb = read(out, "lb")
    text = lb["LBSTRESN"].isna() & (lb["LBSTRESC"] != "")
    assert text.any() and lb.loc[text, ["LBSTNRLO", "LBSTNRHI"]].isna().all().all()


def test_meddra_is_an_external_dictionary_and_ctcae_version_is_named(out):
    for model in ("sdtm", "adam"):
        root = define(out, model)
        external = root.xpath("//odm:CodeList[odm:ExternalCodeList]", namespaces=NS)
        assert ("CL.MEDDRA", "MedDRA", "26.1") in [(c.get("OID"), c[0].get("Dictionary"), c[0].get("Version")) for c in external]
        coded = {i.get("Name") for i in root.xpath("//odm:ItemDef[odm:CodeListRef/@CodeListOID='CL.MEDDRA']", namespaces=NS)}
        assert {"AEDECOD", "AEBODSYS"} <= coded
        assert root.xpath("//odm:CodeList[@Name='CTCAE v5.0 Toxicity Grade']", namespaces=NS)


def test_aeacn_is_multiple_exactly_when_the_actions_per_drug_differ(out):
    ae, supp = read(out, "ae"), read(out, "suppae")
    per_drug = supp[supp["QNAM"].isin(["AEACNB8", "AEACNB13"])].pivot(index=["USUBJID", "IDVARVAL"], columns="QNAM", values="QVAL")
    actions = ae.assign(IDVARVAL=ae["AESEQ"].astype(int).astype(str)).join(per_drug, on=["USUBJID", "IDVARVAL"])
    differ = actions["AEACNB8"] != actions["AEACNB13"]
    assert differ.sum() == (actions["AEACN"] == "MULTIPLE").sum() == 15
    assert (actions.loc[~differ, "AEACN"] == actions.loc[~differ, "AEACNB8"]).all()


def test_ts_gives_the_data_cutoff_and_the_review_parameters(out):
    ts = read(out, "ts")
    values = ts.groupby("TSPARMCD")["TSVAL"].first()
    assert values["DCUTDTC"] == "2026-01-12"
    assert {"DCUTDESC", "INDIC", "PCLAS", "OUTMSPRI", "OUTMSSEC"} <= set(values.index)
    assert values["ACTSUB"] == str(read(out, "dm")["ARMCD"].notna().sum())  # counted from DM, not written in the spec


def test_rs_responses_are_oncology_response_terms(out):
    from cdisc.checks.standards import SHIPPED, load_standards

    terms = set(next(c for c in load_standards(SHIPPED).codelists.values() if c.name == "ONCRSR").terms["value"])
    rs = read(out, "rs")
    responses = rs[rs["RSTESTCD"].isin(["TRGRESP", "NTRGRESP", "OVRLRESP"])]
    assert set(responses["RSSTRESC"]) <= terms and "NA" not in set(rs["RSORRES"])


def test_sumdiam_is_derived_at_value_level_with_its_method(out):
    root = define(out, "sdtm")
    item = root.xpath("//odm:ItemDef[@OID='IT.TR.TRORRES.TRTESTCD.SUMDIAM']", namespaces=NS)[0]
    assert item.xpath("def:Origin/@Type", namespaces=NS) == ["Derived"]
    ref = root.xpath("//odm:ItemRef[@ItemOID='IT.TR.TRORRES.TRTESTCD.SUMDIAM']", namespaces=NS)[0]
    method = root.xpath(f"//odm:MethodDef[@OID='{ref.get('MethodOID')}']//odm:TranslatedText/text()", namespaces=NS)[0]
    assert method.startswith("SUMDIAM: the sum of the standard results of LDIAM, LPERP")


def test_mh_holds_the_cancer_under_study_for_every_subject(out):
    mh, dm = read(out, "mh"), read(out, "dm")
    assert sorted(mh["USUBJID"]) == sorted(dm["USUBJID"]) and set(mh["MHCAT"]) == {"PRIMARY CANCER"}
    supp = read(out, "suppdm")
    tumour = supp[supp["QNAM"] == "TUMTYPE"].set_index("USUBJID")["QVAL"].str.upper()
    assert (mh.set_index("USUBJID")["MHTERM"] == tumour.reindex(mh["USUBJID"]).to_numpy()).all()


def test_tumour_baselines_are_flagged_last_before_exposure(out):
    dm = read(out, "dm").set_index("USUBJID")
    for domain in ("tu", "tr"):
        frame = read(out, domain)
        flagged = frame[frame[f"{domain.upper()}LOBXFL"] == "Y"]
        assert len(flagged) and (flagged[f"{domain.upper()}DTC"] <= flagged["USUBJID"].map(dm["RFXSTDTC"])).all()


@pytest.mark.skipif(not (REPO.parent / "shared" / "reference" / "pharmaversesdtm").is_dir(), reason="pharmaversesdtm not available")
def test_predecessors_of_input_datasets_made_elsewhere_name_their_source(tmp_path):
    run_study(REPO / "examples" / "pharmaverse-adam", tmp_path)
    root = define(tmp_path, "adam")
    sources = {item.get("OID"): "".join(item.xpath("def:Origin/odm:Description/odm:TranslatedText/text()", namespaces=NS))
               for item in root.xpath("//odm:ItemDef[def:Origin/@Type='Predecessor']", namespaces=NS)}
    assert sources["IT.ADSL.AGE"] == "DM.AGE" and sources["IT.ADAE.AETERM"] == "AE.AETERM"
    assert validate(tmp_path).findings.query("rule == 'DEFINE-PREDECESSOR'").empty


def test_same_named_variables_have_one_label_across_datasets(findings):
    """ADSL's subject-level DLT flag is DLTSUBFL, not the record-level ADAE.DLTFL; ADESC.DOSE01P is ADSL's."""
    same_name = findings[findings["rule"] == "LABEL-SAME-NAME"]
    assert same_name.empty, same_name[["dataset", "message"]].to_string()


def test_standard_results_keep_the_precision_the_lab_reported(out):
    pc = read(out, "pc")
    blq = pc[pc["PCORRES"].str.startswith("<")]
    assert not blq.empty and (blq["PCSTRESC"] == blq["PCORRES"].str.replace(" ", "")).all()  # <0.050 stays <0.050
    lb = read(out, "lb")
    unconverted = lb["LBSTRESN"].notna() & (lb["LBORRESU"] == lb["LBSTRESU"])
    assert (lb.loc[unconverted, "LBSTRESC"] == lb.loc[unconverted, "LBORRES"]).all()


def test_tv_holds_the_planned_visits_of_study_yaml(out):
    from cdisc.spec.load import load_study

    visits = load_study(SPECS).spec.visits
    tv = read(out, "tv")
    assert tv["VISITNUM"].tolist() == [v.visitnum for v in visits]
    assert tv["VISIT"].tolist() == [v.visit for v in visits]
    assert (tv["TVSTRL"] != "").all() and (tv["ARMCD"] == "").all()
    day = tv["VISITDY"].notna()
    assert (tv.loc[day, "TVSTRL"] == "Study day " + tv.loc[day, "VISITDY"].astype(int).astype(str) + " (day 1 = first dose)").all()


def test_method_texts_state_conditions_in_words_not_expression_syntax(out):
    for model in ("sdtm", "adam"):
        texts = [t for t in define(out, model).xpath("//odm:MethodDef//odm:TranslatedText/text()", namespaces=NS)]
        assert texts and not [t for t in texts if "==" in t or "!=" in t], model


def test_every_expected_variable_is_present_even_when_empty(findings, out):
    assert findings[findings["rule"] == "VAR-EXP"].empty
    assert read(out, "is")["ISLLOQ"].isna().all() and (read(out, "pc")["PCNAM"] == "").all()


def test_every_measurement_not_done_says_why(out, findings):
    tr = read(out, "tr")
    not_done = tr[tr["TRSTAT"] == "NOT DONE"]
    assert not not_done.empty and (not_done["TRREASND"] != "").all()
    assert findings[findings["rule"] == "NOT-DONE-REASON"].empty
