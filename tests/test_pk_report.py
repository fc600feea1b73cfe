"""PK report (cdisc.reports.pk): parameter summary checked by hand, mean (SD) plots as deterministic PNGs."""

from __future__ import annotations

import io
import zlib

import numpy as np
import pandas as pd
import pytest
from matplotlib.image import imread

from cdisc.adam.nca import NcaSettings, derive_param_nca
from cdisc.reports.pk import (
    format_pk_summary,
    mean_concentration_png,
    summarise_concentrations,
    summarise_pk_parameters,
)
from conftest import SHARED

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def test_parameter_summary_by_hand():
    pp = pd.DataFrame(
        #  dose analyte  parameter  value
        [("1", "ADC", "CMAX", 2.0),
         ("1", "ADC", "CMAX", 8.0),       # geometric mean sqrt(2 * 8) = 4; logs ln 2, ln 8: sd = ln 4 / sqrt 2
         ("1", "ADC", "AUCLST", 5.0),     # one value: CV not estimable
         ("1", "ADC", "AUCLST", np.nan),  # missing: not counted
         ("2", "ADC", "CMAX", 0.0),       # zero: counted in N and the range, not in the geometric statistics
         ("2", "ADC", "CMAX", 3.0),
         ("2", "ADC", "CMAX", 3.0)],
        columns=["DOSE", "ANALYTE", "PPTESTCD", "PPSTRESN"]).assign(PPSTRESU="ug/mL")
    got = summarise_pk_parameters(pp, ["DOSE", "ANALYTE"]).set_index(["DOSE", "PPTESTCD"])
    s = np.log(4) / np.sqrt(2)
    assert got.loc[("1", "CMAX"), ["N", "NPOS", "GEOMEAN", "MEDIAN", "MIN", "MAX"]].tolist() == pytest.approx([2, 2, 4, 5, 2, 8])
    assert got.loc[("1", "CMAX"), "GEOCV"] == pytest.approx(100 * np.sqrt(np.exp(s**2) - 1))  # 127.0%
    assert got.loc[("1", "AUCLST"), ["N", "GEOMEAN"]].tolist() == pytest.approx([1, 5]) and np.isnan(got.loc[("1", "AUCLST"), "GEOCV"])
    assert got.loc[("2", "CMAX"), ["N", "NPOS", "GEOMEAN", "GEOCV", "MIN"]].tolist() == pytest.approx([3, 2, 3, 0, 0])
    text = format_pk_summary(summarise_pk_parameters(pp, ["DOSE", "ANALYTE"]), ["DOSE", "ANALYTE"], title="PK parameters")
    lines = text.splitlines()
    assert lines[0] == "PK parameters" and lines[1].split() == ["DOSE", "ANALYTE", "PPTESTCD", "UNIT", "N", "Geo.", "mean",
                                                                "Geo.", "CV%", "Median", "Min", "Max"]
    assert lines[2].split() == ["1", "ADC", "AUCLST", "ug/mL", "1", "5", "NE", "5", "5", "5"]
    assert lines[3].split() == ["1", "ADC", "CMAX", "ug/mL", "2", "4", "127.0", "5", "2", "8"]


def test_concentration_summary_by_hand():
    conc = pd.DataFrame({"DOSE": ["1", "1", "1", "2"], "NRRLT": [1.0, 1.0, 4.0, 1.0], "AVAL": [2.0, 6.0, np.nan, 5.0]})
    got = summarise_concentrations(conc, ["DOSE"], "NRRLT", "AVAL")
    assert got[["DOSE", "NRRLT", "N", "MEAN"]].values.tolist() == [["1", 1.0, 2.0, 4.0], ["2", 1.0, 1.0, 5.0]]
    assert got["SD"].iloc[0] == pytest.approx(np.sqrt(8)) and np.isnan(got["SD"].iloc[1])


def _text_chunks(png: bytes) -> list[bytes]:
    chunks, at = [], len(PNG_SIGNATURE)
    while at < len(png):
        length = int.from_bytes(png[at:at + 4], "big")
        kind = png[at + 4:at + 8]
        if kind in (b"tEXt", b"zTXt", b"iTXt", b"tIME"):
            body = png[at + 8:at + 8 + length]
            chunks.append(kind + b":" + (zlib.decompress(body.split(b"\0", 2)[-1][1:]) if kind == b"zTXt" else body))
        at += 12 + length
    return chunks


def test_plot_is_a_valid_deterministic_png():
    conc = pd.DataFrame({"DOSE": np.repeat(["1.0 mg/kg", "2.0 mg/kg"], 12),
                         "NRRLT": np.tile(np.repeat([0.0, 1, 4, 24], 3), 2),
                         "AVAL": np.r_[[0, 0, 0, 10, 12, 11, 8, 9, 7, 2, 3, 2.5], [0, 0, 0, 20, 25, 22, 15, 17, 16, 5, 6, 4]]})
    summary = summarise_concentrations(conc, ["DOSE"], "NRRLT", "AVAL")
    png = mean_concentration_png(summary, time="NRRLT", group_var="DOSE", title="BAT8008 ADC", unit="ug/mL")
    assert png.startswith(PNG_SIGNATURE)
    image = imread(io.BytesIO(png), format="png")
    assert image.shape[0] == 450 and image.shape[1] == 1100 and image.std() > 0  # a drawn 11 x 4.5 in figure
    assert png == mean_concentration_png(summary, time="NRRLT", group_var="DOSE", title="BAT8008 ADC", unit="ug/mL")
    assert not any(b"Software" in c or b"Date" in c or c.startswith(b"tIME") for c in _text_chunks(png))


LOG_AXES = pd.DataFrame(
    [
        # case,                        y limits        labelled ticks (matplotlib's own choice, as plain numbers)
        ("five decades",               (0.001, 100),   ["0.001", "0.01", "0.1", "1", "10", "100"]),
        ("about a decade",             (15.0, 130),    ["20", "30", "40", "60", "100"]),
        ("inside a decade",            (2.0, 9),       ["2", "3", "4", "6"]),
    ],
    columns=["case", "limits", "labels"],
)


@pytest.mark.parametrize("row", list(LOG_AXES.itertuples()), ids=LOG_AXES["case"].tolist())
def test_log_axis_labels_are_plain_numbers_at_matplotlibs_ticks(row):
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    from cdisc.reports.figure import plain_log_ticks

    def labels(plain: bool) -> list[str]:
        figure = Figure()
        FigureCanvasAgg(figure)
        axes = figure.add_subplot()
        axes.set_yscale("log")
        axes.set_ylim(*row.limits)
        if plain:
            plain_log_ticks(axes.yaxis)
        figure.canvas.draw()
        ticks = [*axes.yaxis.get_majorticklabels(), *axes.yaxis.get_minorticklabels()]
        low, high = row.limits
        shown = sorted((t.get_position()[1], t.get_text()) for t in ticks if t.get_text() and low <= t.get_position()[1] <= high)
        return [text for _, text in shown] if plain else [f"{value:g}" for value, _ in shown]

    assert labels(plain=True) == labels(plain=False) == row.labels


@pytest.mark.skipif(not (SHARED / "reference" / "pharmaversesdtm" / "pc.csv").exists(), reason="../shared/reference is absent")
def test_on_pharmaverse_pk_data_per_dose_level():
    pc = pd.read_csv(SHARED / "reference" / "pharmaversesdtm" / "pc.csv")
    dm = pd.read_csv(SHARED / "reference" / "pharmaversesdtm" / "dm.csv")
    plasma = pc[pc["PCSPEC"] == "PLASMA"].copy()
    plasma["ARM"] = plasma["USUBJID"].map(dm.set_index("USUBJID")["ARM"])
    plasma["AVAL"] = plasma["PCSTRESN"].where(~plasma["PCSTRESC"].eq("<BLQ"), 0.0)
    summary = summarise_concentrations(plasma, ["ARM"], "PCTPTNUM", "AVAL")
    assert set(summary["ARM"]) == {"Placebo", "Xanomeline Low Dose", "Xanomeline High Dose"}
    assert mean_concentration_png(summary, time="PCTPTNUM", group_var="ARM", title="Xanomeline").startswith(PNG_SIGNATURE)
    pp = derive_param_nca(plasma, ["ARM", "USUBJID"], "PCTPTNUM", "PCSTRESN", NcaSettings(parameters=["CMAX", "AUCLST"]))
    table = summarise_pk_parameters(pp, ["ARM"]).set_index(["ARM", "PPTESTCD"])
    assert table.loc[("Placebo", "CMAX"), "NPOS"] == 0  # no positive concentration: no geometric mean
    assert np.isnan(table.loc[("Placebo", "CMAX"), "GEOMEAN"])
    for arm in ("Xanomeline Low Dose", "Xanomeline High Dose"):
        assert table.loc[(arm, "CMAX"), "NPOS"] == table.loc[(arm, "CMAX"), "N"] > 0
        assert 0 < table.loc[(arm, "AUCLST"), "GEOCV"] < 100
