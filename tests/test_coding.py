"""Issue 12, coding and AEREL: the extract carries the coding team's MedDRA and WHODrug results, SDTM and ADaM
submit them with the dictionaries' versions in define.xml, and AEREL is the strongest relationship the investigator
recorded for either drug, on the collected scale. Each test of the example output failed on the output before."""

from __future__ import annotations

import pandas as pd
import pyreadstat
import pytest
from conftest import REPO
from lxml import etree
from pydantic import ValidationError
from ruamel.yaml import YAML

from cdisc.simulate.coding import MEDDRA_COLUMNS, meddra_coding, whodrug_coding
from cdisc.simulate.design import Meddra, MeddraTerm, Whodrug, WhodrugDrug, load_design
from cdisc.study import run_study

SPECS = REPO / "specs"
RAW = REPO / "examples" / "bat8008" / "raw"
NS = {"odm": "http://www.cdisc.org/ns/odm/v1.3", "def": "http://www.cdisc.org/ns/def/v2.1"}
SCALE = ["NOT RELATED", "UNLIKELY RELATED", "POSSIBLY RELATED", "PROBABLY RELATED", "DEFINITELY RELATED"]
LEVELS = [("AELLT", "AELLTCD"), ("AEDECOD", "AEPTCD"), ("AEHLT", "AEHLTCD"), ("AEHLGT", "AEHLGTCD"),
          ("AEBODSYS", "AEBDSYCD"), ("AESOC", "AESOCCD")]

NAUSEA = MeddraTerm(pt="Nausea", pt_code=10028813, hlt="Nausea and vomiting symptoms", hlt_code=10028817,
                    hlgt="Gastrointestinal signs and symptoms", hlgt_code=10018012,
                    soc="Gastrointestinal disorders", soc_code=10017947)
VOMITING = NAUSEA.model_copy(update={"pt": "Vomiting", "pt_code": 10047700})


def raw(form: str) -> pd.DataFrame:
    return pd.read_csv(RAW / f"{form}.csv", dtype=str, keep_default_na=False)


# --- the simulator's coding ------------------------------------------------------------------------------------

def test_meddra_coding_gives_the_terms_hierarchy_and_blanks_for_no_term():
    terms = pd.Series(["Vomiting", "", "Nausea"], index=[5, 6, 7])
    coded = meddra_coding(terms, Meddra(version="26.1", terms=[NAUSEA, VOMITING]))
    expected = pd.DataFrame({
        "AELLT":    ["VOMITING", "", "NAUSEA"],   "AELLTCD":  ["10047700", "", "10028813"],
        "AEPT":     ["VOMITING", "", "NAUSEA"],   "AEPTCD":   ["10047700", "", "10028813"],
        "AEHLT":    ["NAUSEA AND VOMITING SYMPTOMS", "", "NAUSEA AND VOMITING SYMPTOMS"],
        "AEHLTCD":  ["10028817", "", "10028817"],
        "AEHLGT":   ["GASTROINTESTINAL SIGNS AND SYMPTOMS", "", "GASTROINTESTINAL SIGNS AND SYMPTOMS"],
        "AEHLGTCD": ["10018012", "", "10018012"],
        "AESOC":    ["GASTROINTESTINAL DISORDERS", "", "GASTROINTESTINAL DISORDERS"],
        "AESOCCD":  ["10017947", "", "10017947"],
    }, index=[5, 6, 7])
    pd.testing.assert_frame_equal(coded.astype(object), expected.astype(object))


def test_whodrug_coding_matches_the_verbatim_whatever_its_case():
    drugs = [WhodrugDrug(verbatim="Paracetamol", name="PARACETAMOL", code="00020001001", atc="N02BE", atc_text="ANILIDES"),
             WhodrugDrug(verbatim="DOCETAXEL", name="DOCETAXEL", code="01188301001", atc="L01CD", atc_text="TAXANES")]
    coded = whodrug_coding(pd.Series(["PARACETAMOL", "Docetaxel", "Unknown pill"]), Whodrug(version="GLOBALB3Sep23", drugs=drugs))
    expected = pd.DataFrame({"CMPN": ["PARACETAMOL", "DOCETAXEL", ""], "CMDRGCD": ["00020001001", "01188301001", ""],
                             "CMATC4": ["ANILIDES", "TAXANES", ""], "CMATC4CD": ["N02BE", "L01CD", ""]})
    pd.testing.assert_frame_equal(coded.astype(object), expected.astype(object))


def test_a_dictionary_giving_one_code_two_names_is_refused():
    other = VOMITING.model_copy(update={"hlt": "Vomiting symptoms"})  # same HLT code, another name
    with pytest.raises(ValidationError, match="more than one term"):
        Meddra(version="26.1", terms=[NAUSEA, other])


def test_the_simulator_codes_with_the_versions_the_specs_declare():
    design = load_design(REPO / "specs" / "simulation.yaml")
    declared = {c["name"]: c for c in YAML(typ="safe").load((SPECS / "codelists.yaml").read_text())["codelists"]}
    assert (declared["MEDDRA"]["dictionary"], str(declared["MEDDRA"]["version"])) == ("MedDRA", design.coding.meddra.version)
    assert (declared["WHODRUG"]["dictionary"], declared["WHODRUG"]["version"]) == ("WHODrug", design.coding.whodrug.version)


# --- the committed extract ---------------------------------------------------------------------------------------

def test_every_raw_ae_is_coded_with_one_hierarchy_per_pt():
    ae = raw("ae")
    events = ae[ae["AEYN"] == "Y"]
    assert (events[MEDDRA_COLUMNS] != "").all().all() and (ae.loc[ae["AEYN"] == "N", MEDDRA_COLUMNS] == "").all().all()
    assert (events["AEPT"] == events["AETERM"].str.split().str.join(" ").str.upper()).all()  # verbatims are PTs
    assert (events.groupby("AEPT")[MEDDRA_COLUMNS].nunique() == 1).all().all()
    for name, code in (("AEPT", "AEPTCD"), ("AEHLT", "AEHLTCD"), ("AEHLGT", "AEHLGTCD"), ("AESOC", "AESOCCD")):
        pairs = events[[name, code]].drop_duplicates()
        assert pairs[name].is_unique and pairs[code].is_unique and pairs[code].str.fullmatch(r"100\d{5}").all()


def test_every_raw_medication_is_coded():
    cm = raw("cm")
    assert (cm[["CMPN", "CMDRGCD", "CMATC4", "CMATC4CD"]] != "").all().all()
    assert cm["CMDRGCD"].str.fullmatch(r"\d{11}").all() and cm["CMATC4CD"].str.fullmatch(r"[A-Z]\d\d[A-Z]{2}").all()
    assert (cm.groupby(cm["CMTRT"].str.split().str.join(" ").str.upper())["CMPN"].nunique() == 1).all()


# --- the example output ------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def out(tmp_path_factory):
    folder = tmp_path_factory.mktemp("bat8008")
    run_study(SPECS, folder)
    return folder


def xpt(out, model: str, name: str) -> pd.DataFrame:
    return pyreadstat.read_xport(str(out / model / f"{name}.xpt"))[0]


def test_ae_carries_the_meddra_hierarchy_consistently_per_preferred_term(out):
    ae = xpt(out, "sdtm", "ae")
    columns = [v for level in LEVELS for v in level]
    assert ae[columns].notna().all().all() and (ae[[name for name, _ in LEVELS]] != "").all().all()
    assert (ae.groupby("AEDECOD")[columns].nunique() == 1).all().all()
    assert (ae["AEBODSYS"] == ae["AESOC"]).all() and (ae["AEBDSYCD"] == ae["AESOCCD"]).all()  # coded on the primary SOC
    assert (ae["AEDECOD"] == ae["AELLT"]).all() and (ae["AEPTCD"] == ae["AELLTCD"]).all()


def test_cm_carries_the_whodrug_name_and_atc_class_and_suppcm_the_drug_code(out):
    cm, supp = xpt(out, "sdtm", "cm"), xpt(out, "sdtm", "suppcm")
    assert cm[["CMDECOD", "CMCLAS", "CMCLASCD"]].ne("").all().all()
    assert (cm.groupby("CMDECOD")[["CMCLAS", "CMCLASCD"]].nunique() == 1).all().all()
    assert set(supp["QNAM"]) == {"CMDRGCD"} and len(supp) == len(cm) and supp["QVAL"].str.fullmatch(r"\d{11}").all()


def test_adae_carries_the_coding_downstream_needs(out):
    adae, ae = xpt(out, "adam", "adae"), xpt(out, "sdtm", "ae")
    merged = adae.merge(ae, on=["USUBJID", "AESEQ"], suffixes=("", "_AE"))
    for name in ("AEDECOD", "AEPTCD", "AEHLT", "AEHLGT", "AEBODSYS", "AEBDSYCD", "AESOC"):
        assert (merged[name] == merged[f"{name}_AE"]).all(), name


def external_dictionaries(out, model: str) -> dict[str, tuple[str, str, set[str]]]:
    root = etree.parse(str(out / model / "define.xml")).getroot()
    found = {}
    for codelist in root.xpath("//odm:CodeList[odm:ExternalCodeList]", namespaces=NS):
        external = codelist.find("odm:ExternalCodeList", NS)
        items = root.xpath(f"//odm:ItemDef[odm:CodeListRef/@CodeListOID='{codelist.get('OID')}']/@Name", namespaces=NS)
        found[codelist.get("OID")] = (external.get("Dictionary"), external.get("Version"), set(items))
    return found


def test_define_names_meddra_and_whodrug_with_their_versions_on_the_coded_variables(out):
    sdtm = external_dictionaries(out, "sdtm")
    assert sdtm["CL.MEDDRA"][:2] == ("MedDRA", "26.1")
    assert {"AELLT", "AEDECOD", "AEHLT", "AEHLGT", "AEBODSYS", "AESOC"} <= sdtm["CL.MEDDRA"][2]
    assert sdtm["CL.WHODRUG"][:2] == ("WHODrug", "GLOBALB3Sep23")
    assert {"CMDECOD", "CMCLAS", "CMCLASCD"} <= sdtm["CL.WHODRUG"][2]
    adam = external_dictionaries(out, "adam")
    assert adam["CL.MEDDRA"][:2] == ("MedDRA", "26.1") and {"AEDECOD", "AEHLT", "AEBODSYS"} <= adam["CL.MEDDRA"][2]


def test_reconciliation_maps_every_raw_coding_column(out):
    columns = pd.read_csv(out / "reports" / "columns.csv", dtype=str, keep_default_na=False)
    coding = columns[(columns["table"] == "ae") & columns["column"].isin(MEDDRA_COLUMNS)
                     | (columns["table"] == "cm") & columns["column"].isin(["CMPN", "CMDRGCD", "CMATC4", "CMATC4CD"])]
    assert len(coding) == 14 and set(coding["status"]) == {"mapped"}


# --- AEREL -------------------------------------------------------------------------------------------------------

def test_aerel_is_the_strongest_relationship_recorded_for_either_drug(out):
    ae, supp = xpt(out, "sdtm", "ae"), xpt(out, "sdtm", "suppae")
    per_drug = supp[supp["QNAM"].isin(["AERELB8", "AERELB13"])].pivot(index=["USUBJID", "IDVARVAL"], columns="QNAM", values="QVAL")
    rel = ae.assign(IDVARVAL=ae["AESEQ"].astype(int).astype(str)).join(per_drug, on=["USUBJID", "IDVARVAL"])
    order = pd.CategoricalDtype(SCALE, ordered=True)
    strongest = pd.concat([rel["AERELB8"].astype(order), rel["AERELB13"].astype(order)], axis=1).max(axis=1)
    assert (rel["AEREL"] == strongest.astype(str)).all()
    assert {"UNLIKELY RELATED", "NOT RELATED", "DEFINITELY RELATED"} <= set(ae["AEREL"])  # nothing collapsed


def test_suppae_keeps_the_investigators_collected_opinion_per_drug(out):
    ae, supp = raw("ae"), xpt(out, "sdtm", "suppae")
    events = ae[ae["AEYN"] == "Y"].drop_duplicates()  # the documented duplicates are exact copies
    for qnam, column in (("AERELB8", "AEREL_BAT8008"), ("AERELB13", "AEREL_BAT1308")):
        submitted = supp.loc[supp["QNAM"] == qnam, "QVAL"].value_counts().sort_index()
        assert submitted.to_dict() == events[column].str.upper().value_counts().sort_index().to_dict()


def test_adae_arel_is_related_for_possibly_probably_or_definitely(out):
    adae = xpt(out, "adam", "adae")
    related = adae["AEREL"].isin(SCALE[2:])
    assert (adae["AREL"] == related.map({True: "RELATED", False: "NOT RELATED"})).all()
    assert (adae["ARELN"] == related.astype(int)).all() and (adae["RELFL"] == related.map({True: "Y", False: "N"})).all()


def test_define_gives_the_relationship_methods_in_words(out):
    for model, oid in (("sdtm", "MT.AE.AEREL"), ("adam", "MT.ADAE.AREL"), ("adam", "MT.ADAE.ARELN")):
        root = etree.parse(str(out / model / "define.xml")).getroot()
        text = root.xpath(f"//odm:MethodDef[@OID='{oid}']/odm:Description/odm:TranslatedText/text()", namespaces=NS)[0]
        assert "RELATED" in text and not any(syntax in text for syntax in ("==", "if_else", "in [", "is_missing"))
    item = etree.parse(str(out / "sdtm" / "define.xml")).getroot().xpath("//odm:ItemDef[@OID='IT.AE.AEREL']", namespaces=NS)[0]
    assert item.find("def:Origin", NS).get("Type") == "Derived"
