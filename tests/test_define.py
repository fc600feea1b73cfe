"""define.xml 2.1: schema validity, content from specs and data, checks, the official example, the HTML view."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
from dataclasses import replace
from pathlib import Path

import pytest
from lxml import etree
from typer.testing import CliRunner

from cdisc.cli import app
from cdisc.definexml import (
    DefineDataset, DefineMismatchError, DefineSchemaError, check_define, data_frames, write_define,
)  # fmt: skip
from cdisc.definexml.build import build_define
from cdisc.definexml.read import read_define
from cdisc.definexml.render import render_xml
from cdisc.definexml.schema import ENTRY, schema_folder, validate_define
from cdisc.sdtm.engine import build_dataset
from cdisc.spec.load import Study, load_study
from cdisc.spec.models import CodelistFile, DatasetMeta, StudySpec, ValueLevel
from cdisc.spec.yamlsource import load_yaml
from cdisc.study import run_study
from conftest import REPO, SHARED

MINIMAL = REPO / "tests" / "fixtures" / "minimal"
EXAMPLE = REPO / "tests" / "fixtures" / "define_example"
OFFICIAL = SHARED / "standards" / "define-xml-2.1" / "examples" / "defineV21-SDTM.xml"
SHARED_SCHEMA = SHARED / "standards" / "define-xml-2.1" / "schema"
NS = {"odm": "http://www.cdisc.org/ns/odm/v1.3", "def": "http://www.cdisc.org/ns/def/v2.1"}


@pytest.fixture(scope="module")
def minimal() -> tuple[Study, list[DefineDataset]]:
    study = load_study(MINIMAL)
    built: dict = {}
    datasets = []
    for name, dataset in study.datasets.items():
        result = build_dataset(study, dataset.spec, built)
        built[name] = result.frame
        datasets.append(DefineDataset(dataset.spec, result.frame, result.supp))
    return study, datasets


@pytest.fixture(scope="module")
def minimal_define(minimal, tmp_path_factory) -> Path:
    study, datasets = minimal
    return write_define(study, datasets, tmp_path_factory.mktemp("define"))[0]


def _xml(path: Path) -> etree._Element:
    return etree.parse(str(path)).getroot()


# ---------------------------------------------------------------- schema


def test_minimal_define_is_valid_against_the_define_xml_21_schema(minimal_define):
    assert minimal_define.name == "define.xml" and (minimal_define.parent / "define.html").is_file()
    validate_define(minimal_define.read_bytes())
    if SHARED_SCHEMA.is_dir():
        validate_define(minimal_define.read_bytes(), SHARED_SCHEMA)


def test_an_injected_element_is_a_schema_error_and_nothing_is_written(minimal, minimal_define, tmp_path, monkeypatch):
    broken = minimal_define.read_bytes().replace(b"<def:Class Name=", b"<Bogus/><def:Class Name=", 1)
    with pytest.raises(DefineSchemaError) as error:
        validate_define(broken)
    assert "Bogus" in str(error.value) and "line " in str(error.value)

    import cdisc.definexml as package

    monkeypatch.setattr(package, "render_xml", lambda define: broken)
    with pytest.raises(DefineSchemaError):
        write_define(*minimal, tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_the_shipped_schema_is_the_shared_reference_copy_byte_for_byte():
    if not SHARED_SCHEMA.is_dir():
        pytest.skip("shared/standards is not beside the repository")
    shipped = schema_folder()
    files = sorted(p.relative_to(shipped) for p in shipped.rglob("*.xsd"))
    assert ENTRY in files and len(files) == 9
    for name in files:
        assert hashlib.sha256((shipped / name).read_bytes()).digest() == hashlib.sha256((SHARED_SCHEMA / name).read_bytes()).digest()


def test_a_schema_folder_can_be_chosen_by_environment(monkeypatch, tmp_path, minimal_define):
    monkeypatch.setenv("CDISC_DEFINE_SCHEMA", str(tmp_path))
    with pytest.raises(Exception, match="not a Define-XML schema folder"):
        validate_define(minimal_define.read_bytes())


# ---------------------------------------------------------------- content


def test_datasets_keys_leaves_and_standards(minimal_define):
    root = _xml(minimal_define)
    mdv = root.find("odm:Study/odm:MetaDataVersion", NS)
    assert root.get("CreationDateTime") == "2026-01-15T09:00:00"
    standards = [(s.get("Name"), s.get("Version")) for s in mdv.iterfind("def:Standards/def:Standard", NS)]
    assert standards == [("SDTMIG", "3.4"), ("CDISC/NCI", "2025-03-28")]
    summary = read_define(minimal_define)
    assert list(summary.datasets) == ["DM", "AE", "SUPPAE"]
    ae = summary.datasets["AE"]
    assert (ae.class_name, ae.purpose, ae.href, ae.keys) == ("EVENTS", "Tabulation", "ae.xpt", ["STUDYID", "USUBJID", "AESEQ"])
    assert summary.datasets["SUPPAE"].domain == "AE" and summary.datasets["SUPPAE"].href == "suppae.xpt"


def test_a_define_is_read_alike_from_its_file_its_bytes_and_its_parsed_root(minimal, minimal_define):
    root = _xml(minimal_define)
    validate_define(root)  # a parsed root is validated as its bytes are
    assert read_define(root) == read_define(minimal_define.read_bytes()) == read_define(minimal_define)
    frames = data_frames(minimal[1])
    assert check_define(root, frames) == check_define(minimal_define, frames) == []


def test_items_lengths_origins_and_methods(minimal, minimal_define):
    _, datasets = minimal
    variables = {v.name: v.attributes for v in read_define(minimal_define).datasets["AE"].variables}
    ae = datasets[1].frame
    assert variables["AETERM"].length == ae["AETERM"].str.len().max()
    assert (variables["AETERM"].origin_type, variables["AETERM"].pages) == ("Collected", "AE")
    assert variables["AESTDTC"].length is None and variables["AESTDTC"].data_type == "datetime"
    assert variables["AESEQ"].method.startswith("Sequential number") and "AESTDTC, AETERM" in variables["AESEQ"].method
    assert "DM.RFSTDTC" in variables["AESTDY"].method
    root = _xml(minimal_define)
    page = root.find(".//odm:ItemDef[@OID='IT.AE.AETERM']/def:Origin/def:DocumentRef/def:PDFPageRef", NS)
    assert page.get("Type") == "NamedDestination"
    assert root.find(".//def:AnnotatedCRF/def:DocumentRef", NS).get("leafID") == "LF.acrf"


def test_supp_qualifiers_are_value_level_metadata_of_qval(minimal_define):
    qval = next(v for v in read_define(minimal_define).datasets["SUPPAE"].variables if v.name == "QVAL")
    assert qval.attributes.origin_type is None
    (level,) = qval.value_level
    assert level.where == (("QNAM", "EQ", ("AEDLT",)),)
    assert (level.attributes.name, level.attributes.label, level.attributes.codelist) == ("AEDLT", "Dose-Limiting Toxicity", "CL.NY")
    assert level.attributes.origin_type == "Collected"


def test_codelists_hold_only_used_terms_with_nci_codes(minimal, minimal_define):
    codelists = read_define(minimal_define).codelists
    assert {"CL.AESEV", "CL.AGEU", "CL.NY", "CL.SEXS", "CL.DOMAIN"} <= set(codelists)  # SUPPAE.RDOMAIN takes DOMAIN
    used = set(minimal[1][1].frame["AESER"].dropna()) | set(minimal[1][1].supp_frame["QVAL"].dropna())
    assert {t.value for t in codelists["CL.NY"].terms} == used
    assert codelists["CL.NY"].nci == "C66742"
    sexs = {t.value: t.nci for t in codelists["CL.SEXS"].terms}  # study codelist restating CT: codes taken from CT
    assert sexs == {"M": "C20197", "F": "C16576"}


def test_values_outside_an_extensible_list_are_extensions_and_outside_a_closed_list_errors(minimal, tmp_path):
    study, datasets = minimal
    dm, ae = datasets
    (sexs,) = study.codelist_file.codelists
    extensible = replace(study, codelist_file=CodelistFile(codelists=[sexs.model_copy(update={"extensible": True})]))
    dm_frame = dm.frame.copy()
    dm_frame.loc[0, "SEX"] = "X"
    write_define(extensible, [DefineDataset(dm.meta, dm_frame), ae], tmp_path)
    (extended,) = [t for t in read_define(tmp_path / "define.xml").codelists["CL.SEXS"].terms if t.value == "X"]
    assert extended.extended and extended.nci is None

    ae_frame = ae.frame.copy()
    ae_frame.loc[0, "AESEV"] = "EXTREME"  # AESEV (C66769) is not extensible
    with pytest.raises(DefineMismatchError, match=r"AE\.AESEV: value 'EXTREME' \(1 record\(s\)\) is not in codelist"):
        write_define(study, [dm, DefineDataset(ae.meta, ae_frame, ae.supp_frame)], tmp_path / "closed")
    assert not (tmp_path / "closed").exists()


def test_a_variable_without_data_has_no_codelist_and_is_marked(minimal):
    study, (dm, ae) = minimal
    xml = render_xml(build_define(study, [DefineDataset(dm.meta, dm.frame.assign(AGEU=None)), ae]))
    validate_define(xml)
    root = etree.fromstring(xml)
    assert root.find(".//odm:CodeList[@OID='CL.AGEU']", NS) is None
    assert root.find(".//odm:ItemDef[@OID='IT.DM.AGEU']/odm:CodeListRef", NS) is None
    assert root.find(".//odm:ItemRef[@ItemOID='IT.DM.AGEU']", NS).get(f"{{{NS['def']}}}HasNoData") == "Yes"


def test_value_level_metadata_from_the_spec(minimal):
    study, (dm, ae) = minimal
    age = next(v for v in dm.meta.variables if v.name == "AGE")
    levels = [
        ValueLevel(where={"SEX": ["M"]}, label="Age of men", type="integer", origin="Collected"),
        ValueLevel(where={"SEX": ["F"], "SITEID": ["01", "02"]}, type="integer", origin="Derived", method="From the year of birth"),
    ]
    meta = dm.meta.model_copy(update={"variables": [v.model_copy(update={"value_level": levels}) if v is age else v for v in dm.meta.variables]})
    xml = render_xml(build_define(study, [DefineDataset(meta, dm.frame), ae]))
    validate_define(xml)
    assert [f for f in check_define(xml, data_frames([DefineDataset(meta, dm.frame), ae])) if f.severity == "error"] == []
    (variable,) = [v for v in read_define(xml).datasets["DM"].variables if v.name == "AGE"]
    men, women = variable.value_level
    assert men.where == (("SEX", "EQ", ("M",)),) and men.attributes.label == "Age of men"
    assert women.where == (("SEX", "EQ", ("F",)), ("SITEID", "IN", ("01", "02")))
    assert women.attributes.method == "From the year of birth"
    ages = dm.frame.loc[dm.frame["SEX"] == "M", "AGE"].dropna()
    assert men.attributes.length == max(len(str(int(a))) for a in ages)


def test_same_input_gives_the_same_bytes_and_xpt_files_give_the_same_define(minimal, minimal_define, tmp_path):
    study, datasets = minimal
    again = write_define(study, datasets, tmp_path / "again")
    assert again[0].read_bytes() == minimal_define.read_bytes()
    assert again[1].read_bytes() == (minimal_define.parent / "define.html").read_bytes()

    out = tmp_path / "run"
    run_study(MINIMAL, out)
    result = CliRunner().invoke(app, ["define", str(MINIMAL), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "SDTM: 2 dataset(s) described" in result.output
    assert (out / "sdtm" / "define.xml").read_bytes() == minimal_define.read_bytes()


def test_cdisc_define_needs_the_data_files_and_refuses_unknown_ones(tmp_path):
    out = tmp_path / "run"
    run_study(MINIMAL, out)
    (out / "sdtm" / "vs.xpt").write_bytes((out / "sdtm" / "dm.xpt").read_bytes())
    result = CliRunner().invoke(app, ["define", str(MINIMAL), "--out", str(out)])
    assert result.exception.exit_code == 1 and "vs.xpt is in" in str(result.exception)
    (out / "sdtm" / "vs.xpt").unlink()
    (out / "sdtm" / "suppae.xpt").unlink()
    result = CliRunner().invoke(app, ["define", str(MINIMAL), "--out", str(out)])
    assert result.exception.exit_code == 2 and "no data file suppae.xpt" in str(result.exception)


# ---------------------------------------------------------------- check against data


def test_check_finds_every_kind_of_disagreement(minimal, minimal_define):
    _, (dm, ae) = minimal
    frames = data_frames([dm, ae])
    assert check_define(minimal_define, frames) == []
    changed = ae.frame.drop(columns=["AESTDY"]).assign(AEXTRA="x")
    changed.loc[0, "AETERM"] = "A" * 30
    frames = {**frames, "AE": changed, "EX": changed}
    found = {str(f) for f in check_define(minimal_define, frames)}
    assert "error: EX: dataset is in the data but not in define.xml" in found
    assert "error: AE.AEXTRA: variable is in the data but not in define.xml" in found
    assert "error: AE.AESTDY: variable is in define.xml but not in the data" in found
    assert any(f.startswith("error: AE.AETERM: define.xml gives length") and "has 30" in f for f in found)
    del frames["DM"]
    assert "error: DM: dataset is in define.xml but there is no data for it" in {str(f) for f in check_define(minimal_define, frames)}


def test_adam_datasets_make_an_analysis_define(minimal, tmp_path):
    study, (dm, _) = minimal
    adsl = DatasetMeta.model_construct(
        dataset="ADSL", label="Subject-Level Analysis Dataset", dataset_class="SUBJECT LEVEL ANALYSIS DATASET",
        structure="One record per subject", keys=["STUDYID", "USUBJID"], comment=None, variables=dm.meta.variables,
    )  # fmt: skip
    write_define(study, [DefineDataset(adsl, dm.frame, xpt="adsl.xpt")], tmp_path)
    root = _xml(tmp_path / "define.xml")
    group = root.find(".//odm:ItemGroupDef", NS)
    assert (group.get("Purpose"), group.get("Domain"), group.get("Repeating")) == ("Analysis", None, "No")
    assert root.find(".//def:Standard", NS).get("Name") == "ADaMIG"
    with pytest.raises(Exception, match="one standard"):
        build_define(study, [DefineDataset(adsl, dm.frame), dm])


# ---------------------------------------------------------------- the official example

#: Features of defineV21-SDTM.xml that the spec models cannot express; the comparison leaves them out.
NOT_EXPRESSIBLE = """
- an ExternalCodeList (ISO 3166 for DM.COUNTRY) and codes with Alias Context="Sponsor"
- where clauses with the NE comparator or on another dataset's variable ([DM].COUNTRY): 5 VLM items
- variables and VLM items without an origin (LBORRES, SUPPDM/SUPPVS.QVAL, VSSTRESC/VSSTRESN VLM): origin is required
- SignificantDigits and numeric-only display formats (6.1) of variables; ItemRef Role of VLM items
- VLM item names and SAS field names (VSORRES1 / DIABPOR): ours are named by the where value or the variable
- several IG versions per study (SDTMIG 3.1.2, 3.2, SDTMIG-MD), def:IsNonStandard, def:HasNoData, comments on
  standards, where clauses and codelists, document references of methods and comments, FormalExpression, Rank
"""


def _example() -> tuple[Study, list[DatasetMeta]]:
    spec = StudySpec.model_validate(load_yaml(EXAMPLE / "study.yaml", "study.yaml").data)
    codelists = CodelistFile.model_validate(load_yaml(EXAMPLE / "codelists.yaml", "codelists.yaml").data)
    metas = [DatasetMeta.model_validate(load_yaml(p, p.name).data) for p in sorted((EXAMPLE / "datasets").glob("*.yaml"))]
    return Study(EXAMPLE, spec, doc=None, codelist_file=codelists), metas


def _comparable(attributes, codelists, level: bool) -> dict:
    """Attributes as compared: codelists by name; leaves out what the specs cannot say (NOT_EXPRESSIBLE)."""
    shown = dict(vars(attributes))
    codelist = codelists.get(attributes.codelist)
    shown["codelist"] = codelist.name if codelist is not None and codelist.external is None else None
    drop = ["role", "name"] if level else ["significant_digits", "display_format"]
    if attributes.origin_type in (None, "Not Available"):
        drop += ["origin_type", "origin_source"]
    return {k: v for k, v in shown.items() if k not in drop}


def _structure(summary) -> dict:
    datasets = {}
    for name, dataset in summary.datasets.items():
        variables = {}
        for v in dataset.variables:
            levels = [
                (lv.where, _comparable(lv.attributes, summary.codelists, True))
                for lv in v.value_level
                if all(c in ("EQ", "IN") and "." not in n for n, c, _ in lv.where)
            ]
            variables[v.name] = (v.key_sequence, _comparable(v.attributes, summary.codelists, False), levels)
        head = (dataset.label, dataset.class_name, dataset.structure, dataset.purpose, dataset.domain, dataset.keys, dataset.comment)
        datasets[name] = (head, list(variables), variables)
    used = set()
    for _, _, variables in datasets.values():
        for _, attributes, levels in variables.values():
            used |= {attributes["codelist"], *(level["codelist"] for _, level in levels)}
    codelists = {c.name: c.terms for c in summary.codelists.values() if c.name in used}
    return {"datasets": datasets, "codelists": codelists}


def test_the_official_example_transcribed_into_specs_gives_the_same_structure(tmp_path):
    if not OFFICIAL.is_file():
        pytest.skip("shared/standards is not beside the repository")
    study, metas = _example()
    written = write_define(study, [DefineDataset(meta, None) for meta in metas], tmp_path)
    ours, official = _structure(read_define(written[0])), _structure(read_define(OFFICIAL))
    assert list(ours["datasets"]) == list(official["datasets"])  # same datasets in the same order
    for name in official["datasets"]:
        assert ours["datasets"][name] == official["datasets"][name], name
    assert ours["codelists"] == official["codelists"]  # the codelists the compared items use
    assert len(read_define(written[0]).codelists) == len(ours["codelists"])  # and no other
    levels = sum(len(v[2]) for d in official["datasets"].values() for v in d[2].values())
    total = len(read_define(OFFICIAL).codelists)
    print(f"official example: {len(official['datasets'])} datasets, {len(official['codelists'])} of {total} codelists, {levels} VLM items compared")


# ---------------------------------------------------------------- the HTML view in a browser


def _chromium() -> tuple[str, str]:
    found = shutil.which("chromium"), shutil.which("chromedriver")
    if not all(found) and os.environ.get("CI") == "true":
        subprocess.run(["apt-get", "update", "-qq"], check=True)
        subprocess.run(["apt-get", "install", "-y", "-qq", "chromium", "chromium-driver"], check=True)
        found = shutil.which("chromium"), shutil.which("chromedriver")
    if not all(found):
        pytest.skip("headless Chromium is not installed (Debian packages chromium and chromium-driver; CI installs them)")
    return found


def test_html_view_links_from_a_dataset_to_its_codelist_in_a_browser(minimal_define, tmp_path_factory):
    chromium, chromedriver = _chromium()
    webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is a test dependency: pip install -e '.[test]'")
    from selenium.webdriver.common.by import By

    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1400,900"):
        options.add_argument(argument)
    driver = webdriver.Chrome(service=webdriver.ChromeService(chromedriver), options=options)
    try:
        driver.get((minimal_define.parent / "define.html").as_uri())
        driver.find_element(By.CSS_SELECTOR, "#datasets + table a[href='#IG.AE']").click()
        assert driver.execute_script("return location.hash") == "#IG.AE"
        driver.find_element(By.CSS_SELECTOR, "tr[id='IT.AE.AESEV'] a[href='#CL.AESEV']").click()
        assert driver.execute_script("return location.hash") == "#CL.AESEV"
        top = driver.execute_script("return document.getElementById('CL.AESEV').getBoundingClientRect().top")
        assert abs(top) < 5  # the codelist is scrolled into view
        section = driver.find_element(By.ID, "CL.AESEV").text
        assert "MILD" in section and "C66769" in section
        artifacts = Path(os.environ.get("CDISC_TEST_ARTIFACTS") or tmp_path_factory.getbasetemp() / "artifacts")
        artifacts.mkdir(parents=True, exist_ok=True)
        screenshot = artifacts / "define-html-ae-to-codelist.png"
        assert driver.save_screenshot(str(screenshot))
        print(f"screenshot of define.html after following AE.AESEV to its codelist: {screenshot}")
    finally:
        driver.quit()
