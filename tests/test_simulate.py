"""The example study's simulator: reproducible bytes, a lawful 3+3 trace, referential integrity, documented mess."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cdisc.sdtm.dates import iso8601
from cdisc.simulate import simulate_study
from cdisc.simulate.design import load_design
from cdisc.simulate.forms import folder_name, is_visit

REPO = Path(__file__).resolve().parents[1]
EXAMPLE = REPO / "examples" / "bat8008"
TIMES = {"AESTDAT": "AESTTIM", "EXSTDAT": "EXSTTIM", "VSDAT": "VSTIM", "PKDAT": "PKTIM", "ICDAT": "ICTIM",
         "LBDAT": "LBTIM", "COLLDATE": "COLLTIME"}


def _files(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def _read(name: str) -> pd.DataFrame:
    return pd.read_csv(EXAMPLE / "raw" / f"{name}.csv", dtype=str, keep_default_na=False)


@pytest.fixture(scope="module")
def regenerated(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("sim")
    simulate_study(out)
    return out


@pytest.fixture(scope="module")
def raw() -> dict[str, pd.DataFrame]:
    return {p.stem: _read(p.stem) for p in sorted((EXAMPLE / "raw").glob("*.csv"))}


@pytest.fixture(scope="module")
def key() -> dict:
    folder = EXAMPLE / "answer_key"
    return {"subjects": pd.read_csv(folder / "subjects.csv", dtype=str, keep_default_na=False),
            "cohorts": pd.read_csv(folder / "cohorts.csv", dtype=str, keep_default_na=False),
            "mess": pd.read_csv(folder / "mess.csv", dtype=str, keep_default_na=False),
            "study": json.loads((folder / "study.json").read_text())}


def test_regenerating_reproduces_the_committed_extract_byte_for_byte(regenerated):
    assert _files(regenerated) == _files(EXAMPLE)


def test_same_seed_same_bytes_other_seed_other_data(tmp_path):
    a, b, c = (simulate_study(tmp_path / name, subjects=25, seed=seed) for name, seed in (("a", 7), ("b", 7), ("c", 8)))
    assert a.subjects == 25 and a.rows == b.rows
    assert _files(tmp_path / "a") == _files(tmp_path / "b")
    assert (tmp_path / "a" / "raw" / "lb.csv").read_bytes() != (tmp_path / "c" / "raw" / "lb.csv").read_bytes()


def test_csv_files_are_ascii_with_unix_line_ends():
    for path in sorted(EXAMPLE.rglob("*.csv")):
        data = path.read_bytes()
        assert data.isascii() and b"\r" not in data and data.endswith(b"\n"), path.name


# --- the 3+3 trace, checked by an independent reading of the rules ------------------------------------------

def _expected_decision(level: int, n: int, d: int, top: int, treated: dict[int, list[int]]) -> tuple[str, int | None]:
    higher_tried = treated.get(level + 1, [0, 0])[0] > 0
    if d >= 2:
        if level == 1:
            return "STOP: NO TOLERATED DOSE", None
        return ("STOP: MTD EXCEEDED", None) if treated[level - 1][0] >= 6 else ("DE-ESCALATE", level - 1)
    if n == 3:
        return ("EXPAND", level) if d == 1 or level == top or higher_tried else ("ESCALATE", level + 1)
    return ("STOP: MTD CONFIRMED", None) if level == top or higher_tried else ("ESCALATE", level + 1)


def test_three_plus_three_trace_obeys_the_rules(key):
    design = load_design()
    top = len(design.escalation.dose_levels)
    cohorts, subjects = key["cohorts"], key["subjects"]
    esc = subjects[subjects["STAGE"] == "ESCALATION"]
    treated: dict[int, list[int]] = {}
    mtd = None
    for i, row in cohorts.iterrows():
        level = int(row["LEVEL"])
        members = esc[esc["COHORT"] == f"DL{level}-C{int(row['COHORT']):02d}"]
        evaluable = members["DLT_EVALUABLE"].eq("Y")
        dlts = members["DLT"].eq("Y")
        assert (dlts <= evaluable).all(), "a DLT makes a subject evaluable"
        assert (len(members), evaluable.sum(), dlts.sum()) == (int(row["N_ENROLLED"]), int(row["N_EVALUABLE"]), int(row["N_DLT"]))
        assert evaluable.sum() == 3 and bool(evaluable.iloc[-1]), "a cohort closes on its third evaluable subject"
        assert (members["BAT8008_MGKG"] == row["BAT8008_MGKG"]).all()
        counts = treated.setdefault(level, [0, 0])
        counts[0] += int(evaluable.sum())
        counts[1] += int(dlts.sum())
        assert counts == [int(row["LEVEL_N_EVALUABLE"]), int(row["LEVEL_N_DLT"])]
        decision, following = _expected_decision(level, counts[0], counts[1], top, treated)
        assert row["DECISION"] == decision, f"cohort {row['COHORT']}"
        last = i == len(cohorts) - 1
        assert last == (following is None)
        if not last:
            assert int(cohorts.loc[i + 1, "LEVEL"]) == following == int(row["NEXT_LEVEL"])
        if decision == "STOP: MTD EXCEEDED":
            mtd = level - 1
        if decision == "STOP: MTD CONFIRMED":
            mtd = level
    assert key["study"]["declared_mtd"]["level"] == mtd
    assert mtd is not None and treated[mtd][0] >= 6 and treated[mtd][1] <= 1
    assert any(n >= 6 for n, _ in treated.values()), "some cohort expands to 6"
    assert any(d >= 2 for _, d in treated.values()), "some dose exceeds the MTD"
    true = max(d.level for d in design.escalation.dose_levels if d.p_dlt <= design.escalation.target_dlt_rate)
    assert key["study"]["true_mtd"]["level"] == true
    expansion = subjects[subjects["STAGE"] == "EXPANSION"]
    assert set(expansion["DOSE_LEVEL"].astype(int)) <= {max(1, mtd + c.level_offset) for c in design.expansion.cohorts}


def test_dlts_are_flagged_by_the_investigator_in_cycle_1(raw, key):
    subjects = key["subjects"]
    ae = raw["ae"]
    flagged = set(ae.loc[ae["AEDLT"] == "Yes", "SUBJID"])
    assert flagged == set(subjects.loc[subjects["DLT"] == "Y", "SUBJID"])
    first = subjects.set_index("SUBJID")["FIRST_DOSE_DATE"].map(pd.Timestamp)
    dlt = ae[ae["AEDLT"] == "Yes"]
    onset = pd.to_datetime(dlt["AESTDAT"], format="%d-%b-%Y")
    assert ((onset - dlt["SUBJID"].map(first).to_numpy()).dt.days.between(0, 20)).all()


# --- referential integrity ---------------------------------------------------------------------------------

def test_every_form_refers_to_enrolled_subjects_and_existing_visits(raw):
    enrolled = set(raw["enrol"]["SUBJID"])
    assert raw["enrol"]["SUBJID"].is_unique and set(raw["dm"]["SUBJID"]) == enrolled
    dosed = set(zip(raw["ex"]["SUBJID"], raw["ex"]["FOLDER"]))
    assessed = set(zip(raw["rs"]["SUBJID"], raw["rs"]["FOLDER"]))
    for name, frame in raw.items():
        assert set(frame["SUBJID"]) <= enrolled, name
        assert (frame["STUDYID"] == "BAT-8008-002-CR").all(), name
        column = "FOLDER" if "FOLDER" in frame else "VISIT"
        assert frame[column].map(is_visit).all(), name
        if "FOLDERNAME" in frame:
            assert (frame["FOLDERNAME"] == folder_name(frame["FOLDER"])).all(), name
        cycle = frame[column].str.extract(r"^C(\d+)D\d+$")[0]
        has_cycle = cycle.notna()
        pairs = zip(frame.loc[has_cycle, "SUBJID"], "C" + cycle[has_cycle] + "D1")
        assert all(p in dosed for p in pairs), f"{name}: a visit in a cycle that was never dosed"
        if name in ("tr", "tu"):
            ta = frame[frame[column].str.startswith("TA")]
            assert all(p in assessed for p in zip(ta["SUBJID"], ta[column])), name
    pk = raw["pkconc"]
    samples = raw["pksamp"]
    assert set(pk["SAMPLEID"]) <= set(samples.loc[samples["PKPERF"] == "Y", "PKREFID"])


def test_dates_are_valid_and_events_are_in_order(raw, key):
    for name, frame in raw.items():
        for column in [c for c in frame.columns if re.search(r"(DAT|DATE)$", c)]:
            time = frame[TIMES[column]] if TIMES.get(column) in frame else None
            iso8601(frame[column], time)  # raises on an impossible date
    subjects = key["subjects"].set_index("SUBJID")
    dead = subjects[subjects["DEATH_DATE"] != ""]
    assert (dead["DEATH_DATE"] >= dead["LAST_DOSE_DATE"]).all()
    progressed = subjects[subjects["PD_DATE"] != ""]
    assert (progressed["PD_DATE"] > progressed["FIRST_DOSE_DATE"]).all()
    assert (subjects["LAST_DOSE_DATE"] >= subjects["FIRST_DOSE_DATE"]).all()


def test_recorded_responses_follow_recist_from_the_measurements(raw, key):
    tr = raw["tr"][raw["tr"]["TRCAT"] == "TARGET"].drop_duplicates(["SUBJID", "FOLDER", "TRLNKID"])
    value = pd.to_numeric(tr["TRORRES"], errors="coerce")
    node = tr["TRTEST"] == "SHORT AXIS"
    per = tr.assign(V=value, GONE=np.where(node, value < 10, value == 0), MISSING=value.isna())
    visit = per.groupby(["SUBJID", "FOLDER"], sort=False).agg(SLD=("V", "sum"), GONE=("GONE", "all"), MISSING=("MISSING", "any"),
                                                              DATE=("TRDAT", "first")).reset_index()
    visit["DATE"] = pd.to_datetime(visit["DATE"], format="%d-%b-%Y")
    visit = visit.sort_values(["SUBJID", "DATE"])
    for subjid, rows in visit.groupby("SUBJID"):
        base = rows.iloc[0]["SLD"]
        nadir = base
        for _, r in rows.iloc[1:].iterrows():
            if r["MISSING"]:
                expected = "NE"
            elif r["GONE"]:
                expected = "CR"
            elif r["SLD"] >= 1.2 * nadir and r["SLD"] - nadir >= 5:
                expected = "PD"
            elif r["SLD"] <= 0.7 * base:
                expected = "PR"
            else:
                expected = "SD"
            rs = raw["rs"][(raw["rs"]["SUBJID"] == subjid) & (raw["rs"]["FOLDER"] == r["FOLDER"])]
            assert rs["TRGRESP"].iloc[0] == expected, (subjid, r["FOLDER"])
            if not r["MISSING"]:
                nadir = min(nadir, r["SLD"])
    rs = raw["rs"]
    first_pd = rs[rs["OVRLRESP"] == "PD"].assign(D=lambda f: pd.to_datetime(f["RSDAT"], format="%d-%b-%Y")).groupby("SUBJID")["D"].min()
    subjects = key["subjects"].set_index("SUBJID")
    assert (first_pd.dt.strftime("%Y-%m-%d") == subjects.loc[first_pd.index, "PD_DATE"]).all()
    assert set(subjects.loc[subjects["PD_DATE"] != ""].index) == set(first_pd.index)
    best = rs.groupby("SUBJID")["OVRLRESP"].agg(set)
    for subjid, responses in best.items():
        bor = subjects.loc[subjid, "BOR"]
        assert bor in responses or bor == "SD" or bor == "NE", subjid


# --- the documented mess -------------------------------------------------------------------------------------

def test_each_documented_kind_of_mess_occurs(raw, key):
    edc_date = re.compile(r"^\d{2}-[A-Z]{3}-\d{4}$")
    assert raw["ae"]["AESTDAT"].str.match(edc_date).any() and raw["ex"]["EXSTDAT"].str.match(edc_date).all()
    assert raw["dm"]["BRTHDAT"].str.match(r"^UN-UNK-\d{4}$").any()
    assert raw["cm"]["CMSTDAT"].str.match(r"^UNK-[A-Z]{3}-\d{4}$").any()
    assert raw["cm"]["CMSTDAT"].str.match(r"^UN-UNK-\d{4}$").any()
    assert raw["ae"]["AEENDAT"].str.match(r"^UNK-[A-Z]{3}-\d{4}$").any()
    assert (raw["ex"]["EXSTTIM"].str.match(r"^\d{2}:\d{2}$")).all() and raw["pksamp"]["PKTIM"].ne("").any()
    terms = raw["ae"]["AETERM"]
    assert (terms != terms.str.strip()).any() and terms.str.contains("  ").any()
    assert (terms.str.islower() & terms.ne("")).any() and (terms.str.isupper()).any()
    assert (raw["tu"]["TULOC"] != raw["tu"]["TULOC"].str.strip()).any()
    assert raw["pkconc"]["RESULT"].str.startswith("<").any() and raw["lb"]["LBORRES"].str.startswith("<").any()
    hgb_units = set(raw["lb"].loc[raw["lb"]["LBTESTCD"] == "HGB", "LBORRESU"])
    assert hgb_units == {"g/L", "g/dL"}
    for name in ("ae", "vs", "lb"):
        assert raw[name].duplicated().any(), f"no duplicated record in {name}"
    vs_pages = set(zip(raw["vs"]["SUBJID"], raw["vs"]["FOLDER"]))
    assert any(p not in vs_pages for p in zip(raw["ex"]["SUBJID"], raw["ex"]["FOLDER"])), "no missing VS page"
    lb_pages = set(zip(raw["lb"]["SUBJID"], raw["lb"]["VISIT"]))
    assert any(p not in lb_pages for p in zip(raw["ex"]["SUBJID"], raw["ex"]["FOLDER"])), "no missing LB page"
    first = key["subjects"].set_index("SUBJID")["FIRST_DOSE_DATE"].map(pd.Timestamp)
    rs = raw["rs"]
    day = (pd.to_datetime(rs["RSDAT"], format="%d-%b-%Y") - rs["SUBJID"].map(first).to_numpy()).dt.days + 1
    nominal = rs["FOLDER"].str[2:].astype(int) * 42 + 1
    assert ((day - nominal).abs() > 7).any(), "no out-of-window tumour assessment"
    assert {"free_text", "partial_date", "missing_page", "duplicate", "out_of_window"} <= set(key["mess"]["KIND"])


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_dlt_evaluable_subjects_without_a_dlt_complete_the_dlt_window(tmp_path, seed):
    """Evaluable means the 21-day window was completed: no early end of treatment without a DLT."""
    simulate_study(tmp_path, subjects=40, seed=seed)
    key = pd.read_csv(tmp_path / "answer_key" / "subjects.csv", dtype=str, keep_default_na=False)
    done = key[(key["STAGE"] == "ESCALATION") & (key["DLT_EVALUABLE"] == "Y") & (key["DLT"] == "N") & (key["EOT_DATE"] != "")]
    days = (pd.to_datetime(done["EOT_DATE"]) - pd.to_datetime(done["FIRST_DOSE_DATE"])).dt.days
    assert (days >= load_design().escalation.dlt_window_days).all(), done.loc[days < 21, ["SUBJID", "EOT_DATE", "EOT_REASON"]]
