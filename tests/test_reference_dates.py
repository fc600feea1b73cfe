"""DM reference dates from several raw sources: earliest/latest per subject over all of them, a source shared by
two reference dates read once, and its bad dates still reported for each reference date that reads it."""

import pytest
from test_sdtm_engine import build_all, replace_in, study_with

from cdisc.errors import DataError

IC = """SITEID,SUBJID,ICDAT,ICYN
01,001,01-MAR-2024,Y
01,001,28-FEB-2024,N
01,002,02-MAR-2024,Y
"""
SOURCES = """  RFICDTC:
    pick: earliest
    sources: [{table: ic, date: ICDAT, where: 'ICYN == "Y"'}]
  RFXSTDTC:
    pick: earliest
    sources: [{table: ex, date: EXSTDAT, time: EXSTTIM}]
  RFPENDTC:
    pick: latest
    sources: [{table: ex, date: EXSTDAT}, {table: ic, date: ICDAT}]
"""
VARIABLES = """  - {name: RFXSTDTC, label: Date/Time of First Study Treatment, type: datetime, origin: Derived, reference_date: RFXSTDTC}
  - {name: RFICDTC, label: Date/Time of Informed Consent, type: datetime, origin: Derived, reference_date: RFICDTC}
  - {name: RFPENDTC, label: Date/Time of End of Participation, type: datetime, origin: Derived, reference_date: RFPENDTC}
"""


@pytest.fixture
def study(tmp_path):
    folder = study_with(tmp_path, {"raw/ic.csv": IC})
    replace_in(folder, "study.yaml", "reference_dates:\n", "reference_dates:\n" + SOURCES)
    anchor = "  - {name: SITEID,"
    replace_in(folder, "sdtm/dm.yaml", anchor, VARIABLES + anchor)
    return folder


def test_earliest_and_latest_over_every_source_per_subject(study):
    dm = build_all(study)["DM"].frame.set_index("USUBJID")
    assert dm["RFXSTDTC"].tolist() == dm["RFSTDTC"].tolist() == ["2024-03-05T09:30", "2024-03-07", "2024-03-11T08:15"]
    assert dm["RFICDTC"].fillna("").tolist() == ["2024-03-01", "2024-03-02", ""]  # the refused consent does not count
    assert dm["RFPENDTC"].tolist() == ["2024-03-26", "2024-03-07", "2024-03-11"]  # EX or IC, whichever is later


def test_a_bad_date_of_a_shared_source_is_reported_for_each_reference_date(study):
    replace_in(study, "raw/ex.csv", "01,001,05-MAR-2024,09:30", "01,001,35-MAR-2024,09:30")
    with pytest.raises(DataError) as caught:
        build_all(study)
    message = str(caught.value)
    for name in ("RFSTDTC", "RFXSTDTC", "RFENDTC", "RFPENDTC"):
        assert f"DM.{name}: 1 invalid date(s) in raw EXSTDAT" in message
    assert "'35-MAR-2024" in message and "ex.csv rows 2" in message
