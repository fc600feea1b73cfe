"""The example study's ADTR, ADRS and ADTTE as ``cdisc run specs/`` builds them, against the simulator's answer key
(examples/bat8008/answer_key/subjects.csv: BOR, BOR_UNCONFIRMED, PFS_CNSR/PFS_DATE/PFS_EVENT, OS_CNSR/OS_DATE; how
the key defines them: tests/test_efficacy_answer_key.py), and its efficacy reports."""

import re

import numpy as np
import pandas as pd
import pyreadstat
import pytest
from conftest import REPO
from test_efficacy_report import greenwood_loglog, hand_median

from cdisc.sasdates import sas_date
from cdisc.study import run_study


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    out = tmp_path_factory.mktemp("efficacy-run")
    run_study(REPO / "specs", out)
    read = {name: pyreadstat.read_xport(out / "adam" / f"{name}.xpt", disable_datetime_conversion=True)[0]
            for name in ("adsl", "adtr", "adrs", "adtte")}
    key = pd.read_csv(REPO / "examples" / "bat8008" / "answer_key" / "subjects.csv", dtype=str, keep_default_na=False)
    key = key.merge(read["adsl"][["SUBJID", "USUBJID"]], on="SUBJID", how="outer", validate="one_to_one", indicator=True)
    assert key["_merge"].eq("both").all(), "ADSL and the answer key hold different subjects"
    return {**read, "key": key, "out": out}


def _param(frame: pd.DataFrame, code: str, column: str) -> dict:
    rows = frame[frame["PARAMCD"].eq(code)]
    assert rows["USUBJID"].is_unique
    return dict(zip(rows["USUBJID"], rows[column]))


def _key(run, column: str, convert=lambda s: s) -> dict:
    return dict(zip(run["key"]["USUBJID"], convert(run["key"][column])))


def test_confirmed_and_unconfirmed_bor_equal_the_answer_key_for_every_subject(run):
    assert _param(run["adrs"], "CBOR", "AVALC") == _key(run, "BOR")
    assert _param(run["adrs"], "BOR", "AVALC") == _key(run, "BOR_UNCONFIRMED")
    assert len(_param(run["adrs"], "CBOR", "AVALC")) == len(run["adsl"])  # every subject, none without a record


def test_rsp_and_cb_follow_the_answer_keys_bor_with_the_date_of_the_first_response(run):
    adrs, bor = run["adrs"], _key(run, "BOR")
    assert _param(adrs, "RSP", "AVALC") == {s: "Y" if b in ("CR", "PR") else "N" for s, b in bor.items()}
    assert _param(adrs, "CB", "AVALC") == {s: "Y" if b in ("CR", "PR", "SD") else "N" for s, b in bor.items()}
    rsp = adrs[adrs["PARAMCD"].eq("RSP")]
    assert rsp["ADT"].notna().eq(rsp["AVALC"].eq("Y")).all()
    assert rsp["AVAL"].tolist() == rsp["AVALC"].map({"Y": 1.0, "N": 0.0}).tolist()


def test_derived_overall_response_agrees_with_the_investigators_at_every_visit(run):
    adrs = run["adrs"]
    keys = ["USUBJID", "AVISITN"]
    both = adrs[adrs["PARAMCD"].eq("OVRDRV")].merge(adrs[adrs["PARAMCD"].eq("OVR")], on=keys, suffixes=("_D", "_I"),
                                                    how="outer", indicator=True)
    assert len(both) > 0 and both["_merge"].eq("both").all()
    assert (both["AVALC_D"] == both["AVALC_I"]).all() and (both["ADT_D"] == both["ADT_I"]).all()
    assert f"0 of {len(both)} assessment(s) differ." in (run["out"] / "reports" / "adrs_concordance.txt").read_text()


def test_anl01fl_stops_at_the_first_pd(run):
    ovr = run["adrs"][run["adrs"]["PARAMCD"].eq("OVR")].sort_values(["USUBJID", "ADT"])
    used = ovr[ovr["ANL01FL"].eq("Y")]
    first_pd = ovr[ovr["AVALC"].eq("PD")].groupby("USUBJID")["ADT"].min()
    assert (used["ADT"] <= used["USUBJID"].map(first_pd).fillna(np.inf)).all()
    assert used.groupby("USUBJID")["AVALC"].apply(lambda s: (s == "PD").sum()).le(1).all()


def test_pfs_event_status_dates_and_events_equal_the_answer_key_for_every_subject(run):
    adtte = run["adtte"]
    assert _param(adtte, "PFS", "CNSR") == _key(run, "PFS_CNSR", lambda s: s.astype(float))
    assert _param(adtte, "PFS", "ADT") == _key(run, "PFS_DATE", sas_date)
    pfs = adtte[adtte["PARAMCD"].eq("PFS") & adtte["CNSR"].eq(0)]
    key = run["key"][run["key"]["PFS_CNSR"].eq("0")]
    assert dict(zip(pfs["USUBJID"], pfs["EVNTDESC"])) == dict(zip(key["USUBJID"], key["PFS_EVENT"]))


def test_os_event_status_and_dates_equal_the_answer_key_for_every_subject(run):
    assert _param(run["adtte"], "OS", "CNSR") == _key(run, "OS_CNSR", lambda s: s.astype(float))
    assert _param(run["adtte"], "OS", "ADT") == _key(run, "OS_DATE", sas_date)


def test_tte_days_months_and_traceability(run):
    adtte = run["adtte"]
    assert (adtte["AVAL"] == adtte["ADT"] - adtte["STARTDT"] + 1).all()
    np.testing.assert_allclose(adtte["AVALMO"], adtte["AVAL"] / 30.4375)
    assert adtte["SRCDOM"].isin(["ADSL", "ADRS"]).all() and adtte["EVNTDESC"].ne("").all()
    from_adrs = adtte[adtte["SRCDOM"].eq("ADRS")]
    adrs = run["adrs"].set_index(["USUBJID", "ASEQ"])
    assert (adrs.loc[list(zip(from_adrs["USUBJID"], from_adrs["SRCSEQ"])), "ADT"].to_numpy() == from_adrs["ADT"].to_numpy()).all()
    dor = adtte[adtte["PARAMCD"].eq("DOR")]
    responders = _param(run["adrs"], "RSP", "ADT")
    assert set(dor["USUBJID"]) == {s for s, v in _param(run["adrs"], "RSP", "AVALC").items() if v == "Y"}
    assert dict(zip(dor["USUBJID"], dor["STARTDT"])) == {s: responders[s] for s in dor["USUBJID"]}


def test_adtr_sum_of_diameters_changes_from_baseline_and_nadir(run):
    adtr = run["adtr"].sort_values(["USUBJID", "ADT"])
    assert adtr.groupby("USUBJID")["ABLFL"].apply(lambda s: s.eq("Y").sum()).eq(1).all()
    post = adtr[adtr["ABLFL"].ne("Y") & adtr["AVAL"].notna()]
    np.testing.assert_allclose(post["CHG"], post["AVAL"] - post["BASE"])
    np.testing.assert_allclose(post["PCHG"], 100 * post["CHG"] / post["BASE"])
    earlier_min = adtr.groupby("USUBJID")["AVAL"].transform(lambda s: s.cummin().shift(1).ffill())
    np.testing.assert_allclose(post["NADIR"], earlier_min[post.index])


def test_km_summary_medians_per_dose_level_match_a_hand_greenwood_computation(run):
    text = (run["out"] / "reports" / "adtte_km_summary.txt").read_text()
    adtte = run["adtte"]
    for code, title in (("PFS", "Progression-Free Survival (days)"), ("OS", "Overall Survival (days)"),
                        ("DOR", "Duration of Response (days)")):
        part = adtte[adtte["PARAMCD"].eq(code)]
        section = text.split(title + "\n", 1)[1].split("\n\n", 1)[0]
        for group, rows in [*part.groupby("DOSELVL"), ("Overall", part)]:
            by_hand = hand_median(greenwood_loglog((rows["AVAL"] / 30.4375).tolist(), rows["CNSR"].eq(0).astype(int).tolist()))
            line = next(ln for ln in section.splitlines() if ln.split()[0] == str(group))
            shown = re.findall(r"(NE|\d+\.\d)", line.split(maxsplit=4)[4])
            assert shown == ["NE" if np.isnan(v) else f"{v:.1f}" for v in by_hand], (code, group, line)
        assert (run["out"] / "reports" / f"adtte_km_{code.lower()}.png").read_bytes()[:4] == b"\x89PNG"


def test_response_rate_listing_has_clopper_pearson_intervals(run):
    from scipy.stats import binomtest

    text = (run["out"] / "reports" / "adrs_response_rates.txt").read_text()
    rsp = run["adrs"][run["adrs"]["PARAMCD"].eq("RSP")]
    k, n = int(rsp["AVALC"].eq("Y").sum()), len(rsp)
    ci = binomtest(k, n).proportion_ci(method="exact")
    section = text.split("Objective Response (Confirmed CR or PR) by Investigator\n", 1)[1].split("\n\n", 1)[0]
    overall = next(line.split() for line in section.splitlines() if line.split()[0] == "Overall")
    assert overall == ["Overall", str(n), str(k), f"{100 * k / n:.1f}", f"({100 * ci.low:.1f},", f"{100 * ci.high:.1f})"]
