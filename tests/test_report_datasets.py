"""The reports of a dataset spec's ``reports:`` list (cdisc.reports.datasets): which files, from which records, and
plots drawn one after the other on one figure with the bytes each would have on a figure of its own."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cdisc.errors import DataError
from cdisc.reports.datasets import dataset_reports
from cdisc.reports.efficacy import km_plot_png, km_plot_pngs
from cdisc.reports.pk import mean_concentration_png, mean_concentration_pngs, summarise_concentrations
from cdisc.reports.spec import DatasetReport

ADPC = pd.DataFrame(
    [
        # PARAM     AVISIT      TRT01A   NRRLT  AVAL    AVALU    PKFL  (one column no report reads)
        ("ADC",     "Cycle 1",  "1 mg",  0.0,   0.0,    "ug/mL", "Y",  "x"),
        ("ADC",     "Cycle 1",  "1 mg",  1.0,   10.0,   "ug/mL", "Y",  "x"),
        ("ADC",     "Cycle 1",  "1 mg",  1.0,   12.0,   "ug/mL", "Y",  "x"),
        ("ADC",     "Cycle 1",  "2 mg",  1.0,   25.0,   "ug/mL", "Y",  "x"),
        ("ADC",     "Cycle 1",  "2 mg",  24.0,  0.5,    "ug/mL", "Y",  "x"),
        ("ADC",     "Cycle 1",  "2 mg",  24.0,  900.0,  "ug/mL", "N",  "x"),  # filtered out
        ("ADC",     "Cycle 3",  "1 mg",  1.0,   np.nan, None,    "Y",  "x"),  # a profile with no value: an empty plot
        ("Payload", "Cycle 1",  "1 mg",  1.0,   3.0,    None,    "Y",  "x"),  # the unit given later in the group
        ("Payload", "Cycle 1",  "2 mg",  4.0,   1.5,    "ng/mL", "Y",  "x"),
    ],
    columns=["PARAM", "AVISIT", "TRT01A", "NRRLT", "AVAL", "AVALU", "PKFL", "OTHER"],
)
PLOT = DatasetReport.model_validate({"mean_concentration_plot": {
    "by_vars": ["PARAM", "AVISIT"], "group_var": "TRT01A", "time": "NRRLT", "filter": 'PKFL == "Y"'}})


def test_one_plot_per_group_each_as_drawn_on_its_own_figure():
    files = dict(dataset_reports(ADPC, "ADPC", [PLOT], {}))
    assert list(files) == ["adpc_adc_cycle_1.png", "adpc_adc_cycle_3.png", "adpc_payload_cycle_1.png"]
    kept = ADPC[ADPC["PKFL"] == "Y"]

    def alone(param: str, visit: str, unit: str | None) -> bytes:
        rows = kept[(kept["PARAM"] == param) & (kept["AVISIT"] == visit)]
        summary = summarise_concentrations(rows, ["TRT01A"], "NRRLT", "AVAL")
        return mean_concentration_png(summary, time="NRRLT", group_var="TRT01A", title=f"{param}, {visit}", unit=unit)

    assert files["adpc_adc_cycle_1.png"] == alone("ADC", "Cycle 1", "ug/mL")
    assert files["adpc_adc_cycle_3.png"] == alone("ADC", "Cycle 3", None)
    assert files["adpc_payload_cycle_1.png"] == alone("Payload", "Cycle 1", "ng/mL")


def test_plots_on_one_figure_have_the_bytes_of_plots_on_their_own():
    # each plot after the first has fewer groups, a narrower range, no unit, nothing for the log panel (all 0)
    # or no data at all: nothing of the plot before may remain
    wide = pd.DataFrame({"DOSE": np.repeat(["1", "2", "3"], 3), "NRRLT": np.tile([0.5, 4.0, 500.0], 3),
                         "AVAL": [80.0, 20, 0.001, 60, 30, 0.01, 90, 10, 0.1]})
    narrow = pd.DataFrame({"DOSE": ["1", "1"], "NRRLT": [1.0, 2.0], "AVAL": [5.0, 3.0]})
    zeros = pd.DataFrame({"DOSE": ["0", "0"], "NRRLT": [1.0, 2.0], "AVAL": [0.0, 0.0]})
    plots = [("Wide", summarise_concentrations(wide, ["DOSE"], "NRRLT", "AVAL"), "ug/mL"),
             ("Narrow", summarise_concentrations(narrow, ["DOSE"], "NRRLT", "AVAL"), None),
             ("Zeros", summarise_concentrations(zeros, ["DOSE"], "NRRLT", "AVAL"), "ug/mL"),
             ("Empty", summarise_concentrations(zeros.iloc[:0], ["DOSE"], "NRRLT", "AVAL"), None),
             ("Wide", summarise_concentrations(wide, ["DOSE"], "NRRLT", "AVAL"), "ug/mL")]
    together = list(mean_concentration_pngs(plots, time="NRRLT", group_var="DOSE"))
    alone = [mean_concentration_png(summary, time="NRRLT", group_var="DOSE", title=title, unit=unit)
             for title, summary, unit in plots]
    assert together == alone and together[0] == together[-1] and len(set(together)) == 4


def test_km_plots_on_one_figure_have_the_bytes_of_plots_on_their_own():
    tte = pd.DataFrame({"AVAL": [1.0, 2, 3, 4, 5, 6], "CNSR": [0, 1, 0, 0, 1, 0], "ARM": ["A", "A", "A", "B", "B", "B"]})
    plots = [("Both arms", tte, None), ("Arm A, in weeks", tte[tte["ARM"] == "A"], tte.loc[tte["ARM"] == "A", "AVAL"] / 7),
             ("Arm B, all censored", tte[tte["ARM"] == "B"].assign(CNSR=1), None)]
    together = list(km_plot_pngs(plots, group_var="ARM"))
    alone = [km_plot_png(frame, title=title, group_var="ARM", time=time) for title, frame, time in plots]
    assert together == alone and len(set(together)) == 3


def test_the_parameter_summary_reads_the_filtered_records():
    adpp = pd.DataFrame({"PARCAT1": "ADC", "TRT01A": ["1 mg", "1 mg", "1 mg"], "PARAMCD": ["CMAX", "CMAX", "TMAX"],
                         "AVAL": [2.0, 8.0, 1.0], "AVALU": ["ug/mL", "ug/mL", "h"], "PKFL": ["Y", "Y", "N"]})
    report = DatasetReport.model_validate({"pk_parameter_summary": {"by_vars": ["PARCAT1", "TRT01A"], "filter": 'PKFL == "Y"'}})
    ((name, content),) = dataset_reports(adpp, "ADPP", [report], {})
    lines = content.decode().splitlines()
    assert name == "adpp_pk_summary.txt" and lines[0].startswith("ADPP: PK parameters")
    assert [line.split() for line in lines[2:]] == [["ADC", "1", "mg", "CMAX", "ug/mL", "2", "4", "127.0", "5", "2", "8"]]


def test_a_filter_naming_an_unknown_variable_is_a_data_error_naming_the_dataset():
    report = DatasetReport.model_validate({"mean_concentration_plot": {
        "by_vars": ["PARAM"], "group_var": "TRT01A", "time": "NRRLT", "filter": 'NOSUCH == "Y"'}})
    with pytest.raises(DataError, match="ADPC: report filter"):
        list(dataset_reports(ADPC, "ADPC", [report], {}))
