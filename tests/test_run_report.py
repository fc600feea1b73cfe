"""run-report.html and the run manifest (reports/run.json): what a data manager and an auditor read after a run."""

from __future__ import annotations

import base64
import hashlib
import io
import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pandas as pd
import pytest
from conftest import REPO
from matplotlib.figure import Figure

from cdisc.reports.run_report import RunReport, columns_per_table, run_report_html
from cdisc.study import run_study


def _png() -> bytes:
    figure = Figure(figsize=(2, 1))
    figure.add_subplot().plot([0, 1], [1, 0])
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


def test_columns_are_counted_per_raw_table_and_status():
    columns = pd.DataFrame({
        "table":  ["ae",     "ae",   "ae",            "dm"],
        "column": ["AETERM", "AEYN", "SITEID",        "SEX"],
        "status": ["mapped", "used", "not_submitted", "mapped"],
    })  # fmt: skip
    expected = pd.DataFrame({
        "table":         ["ae", "dm"],
        "columns":       [3,    1],
        "mapped":        [1,    1],
        "not_submitted": [1,    0],
        "used":          [1,    0],
    })  # fmt: skip
    pd.testing.assert_frame_equal(columns_per_table(columns), expected, check_dtype=False)


def test_the_report_is_one_self_contained_page():
    png = _png()
    report = RunReport(
        title="Study S1", created="2026-01-20T09:00:00",
        datasets=pd.DataFrame({"dataset": ["DM", "AE"], "standard": "sdtm", "records": [3, 0], "variables": [20, 30]}),
        reconciliation=pd.DataFrame({"table": ["ae"], "rows": [4], "excluded": [1]}),
        columns=pd.DataFrame({"table": ["ae", "ae"], "column": ["A", "B"], "status": ["mapped", "used"]}),
        findings=pd.DataFrame({"rule": ["LABEL", "LABEL"], "severity": ["error", "error"], "dataset": ["AE", "AE"],
                               "row": [1, 2], "variable": ["AETERM"] * 2, "value": ["x", "y"], "message": ["<b>bad</b>", "bad"]}),
        warnings=["AE.AESTDTC: 2 date(s) <outside> their window"],
        listings={"ADESC": "COHORT  DECISION\nDL1     ESCALATE"},
        images={"adpc_cycle_1.png": png},
    )
    page = run_report_html(report)
    assert "<script" not in page and "<link" not in page and not re.search(r"(src|href)=\"(https?:|file:|/)", page)
    assert f"data:image/png;base64,{base64.b64encode(png).decode()}" in page
    assert "&lt;outside&gt;" in page and "&lt;b&gt;bad&lt;/b&gt;" in page  # text is escaped, never markup
    assert "2 validation error(s), 2 finding(s) in all." in page
    assert "DL1     ESCALATE" in page
    reconciliation = pd.read_html(io.StringIO(page.split('id="reconciliation"')[1]))[0]
    assert reconciliation.to_dict(orient="records") == [{"table": "ae", "rows": 4, "excluded": 1, "columns": 2, "mapped": 1, "used": 1}]


def test_empty_parts_say_so():
    page = run_report_html(RunReport("Study S1", "2026-01-20T09:00:00", pd.DataFrame(columns=["dataset", "standard", "records", "variables"])))
    assert "No dataset was built." in page and "Validation did not run." in page and "No plots in reports/." in page


@pytest.fixture(scope="module")
def example_run(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("run-report") / "out"
    run_study(REPO / "specs", out)
    return out


def test_the_example_run_reports_every_dataset_and_embeds_every_plot(example_run):
    page = (example_run / "reports" / "run-report.html").read_text(encoding="utf-8")
    datasets = pd.read_html(io.StringIO(page.split('id="datasets"')[1]))[0]
    manifest = json.loads((example_run / "reports" / "run.json").read_text())
    assert set(manifest["datasets"]) <= set(datasets["dataset"])
    shown = dict(zip(datasets["dataset"], datasets["records"]))
    assert {k: shown[k] for k in manifest["datasets"]} == {k: v["records"] for k, v in manifest["datasets"].items()}
    pngs = sorted((example_run / "reports").glob("*.png"))
    assert pngs, "the example's PK plots are in reports/"
    for png in pngs:
        assert base64.b64encode(png.read_bytes()).decode() in page
    assert "ESCALATE" in page  # the dose-escalation listing (ADESC, listing: true)


def test_the_manifest_hashes_every_input_and_output(example_run):
    manifest = json.loads((example_run / "reports" / "run.json").read_text())
    written = {p.relative_to(example_run).as_posix() for p in example_run.rglob("*") if p.is_file() and ".cdisc-cache" not in p.parts}
    written -= {"reports/run.json"}
    assert set(manifest["outputs"]) == written
    for name, digest in manifest["outputs"].items():
        assert hashlib.sha256((example_run / name).read_bytes()).hexdigest() == digest
    assert {"spec/study.yaml", "spec/codelists.yaml", "spec/sdtm/dm.yaml", "raw/dm.csv"} <= set(manifest["inputs"])
    raw = REPO / "examples" / "bat8008" / "raw" / "dm.csv"
    assert manifest["inputs"]["raw/dm.csv"] == hashlib.sha256(raw.read_bytes()).hexdigest()
    assert re.fullmatch(r"[0-9a-f]{64}", manifest["specs_sha256"])
    assert manifest["terminology"]["version"] == "2025-03-28"
    assert manifest["versions"]["pandas"] == pd.__version__


def test_the_report_renders_in_a_headless_browser(example_run, tmp_path_factory):
    found = shutil.which("chromium"), shutil.which("chromedriver")
    if not all(found) and os.environ.get("CI") == "true":
        subprocess.run(["apt-get", "update", "-qq"], check=True)
        subprocess.run(["apt-get", "install", "-y", "-qq", "chromium", "chromium-driver"], check=True)
        found = shutil.which("chromium"), shutil.which("chromedriver")
    if not all(found):
        pytest.skip("headless Chromium is not installed (Debian packages chromium and chromium-driver; CI installs them)")
    webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is a test dependency: pip install -e '.[test]'")
    from selenium.webdriver.common.by import By

    options = webdriver.ChromeOptions()
    options.binary_location = found[0]
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                     "--disable-component-update", "--disable-sync", "--no-first-run", "--window-size=1400,900"):
        options.add_argument(argument)
    driver = webdriver.Chrome(service=webdriver.ChromeService(found[1]), options=options)
    try:
        driver.get((example_run / "reports" / "run-report.html").as_uri())
        images = driver.find_elements(By.TAG_NAME, "img")
        assert images and all(driver.execute_script("return arguments[0].naturalWidth", i) > 0 for i in images)
        assert "ADSL" in driver.find_element(By.ID, "datasets").find_element(By.XPATH, "following-sibling::table").text
        artifacts = Path(os.environ.get("CDISC_TEST_ARTIFACTS") or tmp_path_factory.getbasetemp() / "artifacts")
        artifacts.mkdir(parents=True, exist_ok=True)
        screenshot = artifacts / "run-report.png"
        assert driver.save_screenshot(str(screenshot))
        print(f"screenshot of run-report.html: {screenshot}")
    finally:
        driver.quit()
