"""Raw tables as EDC systems and spreadsheets write them: renamed tables, NA values, XLSX, BOMs, encodings."""

import subprocess
import sys

import pandas as pd
import pytest

from cdisc.errors import CdiscError, DataError, SpecError
from cdisc.raw import RawTableFile, discover_tables, read_columns, read_table
from cdisc.spec.load import load_study
from cdisc.study import run_study

from test_sdtm_engine import build_all, replace_in, study_with

AE_HEADER = "SITEID,SUBJID,AEYN,AETERM,AESTDAT,AESTTIM,AESEV,AESER,AEDLT\n"
RAW_BLOCK = "raw:\n  folder: raw\n"


def with_raw(folder, extra: str) -> None:
    """Add keys under ``raw:`` in the minimal study's study.yaml."""
    replace_in(folder, "study.yaml", RAW_BLOCK, RAW_BLOCK + extra)


def cdisc(*args):
    return subprocess.run([sys.executable, "-m", "cdisc", *map(str, args)], capture_output=True, text=True)


# --- a table renamed in raw.tables ------------------------------------------------------------------


def test_a_renamed_table_is_one_table_in_the_reconciliation(tmp_path):
    folder = study_with(tmp_path)
    (folder / "raw" / "ae.csv").rename(folder / "raw" / "AE_export_2024.csv")
    with_raw(folder, "  tables:\n    ae: {file: AE_export_2024.csv}\n")
    result = run_study(folder, tmp_path / "out")
    reconciliation = result.reconciliation.set_index("table")
    assert sorted(reconciliation.index) == ["ae", "dm", "ex"]
    assert reconciliation.loc["ae", ["file", "rows", "mapped", "excluded", "unaccounted"]].tolist() == [
        "AE_export_2024.csv", 4, 3, 1, 0,
    ]


def test_discovery_names_files_by_stem_unless_a_declared_table_reads_them(tmp_path):
    for name in ("AE_export.csv", "dm.csv", "notes.txt"):
        (tmp_path / name).write_text("A\n1\n")
    tables = discover_tables(tmp_path, {"ae": {"file": "AE_export.csv", "encoding": "cp1252"}}, na_values=["NA"])
    assert {n: (t.path.name, t.encoding, t.na_values) for n, t in tables.items()} == {
        "ae": ("AE_export.csv", "cp1252", ("NA",)),
        "dm": ("dm.csv", "utf-8", ("NA",)),
    }


# --- na_values -------------------------------------------------------------------------------------


def table(tmp_path, data: bytes, name="t.csv", **options) -> RawTableFile:
    path = tmp_path / name
    path.write_bytes(data)
    return RawTableFile(path.stem, path, **options)


def test_na_values_are_missing_and_other_text_stays(tmp_path):
    raw = table(tmp_path, b"A,B\nNA,1\n NA ,NaN\nNAN,\n", na_values=("NA",))
    frame = read_table(raw)
    # collected    A       B
    expected = [[None,  "1"],
                [None,  "NaN"],
                ["NAN", None]]
    assert frame[["A", "B"]].astype(object).where(frame[["A", "B"]].notna(), None).values.tolist() == expected


def test_without_na_values_a_literal_na_is_text(tmp_path):
    frame = read_table(table(tmp_path, b"A\nNA\n"))
    assert frame["A"].tolist() == ["NA"]


def test_study_na_values_apply_to_every_table_and_a_table_may_override(tmp_path):
    folder = study_with(tmp_path)
    replace_in(folder, "raw/ae.csv", "01,001,Y,Nausea,UN-MAR-2024,,MODERATE,N,N", "01,001,Y,Nausea,UN-MAR-2024,NA,MODERATE,N,N")
    replace_in(folder, "raw/dm.csv", "02,003,F,1970-05-02,54", "02,003,F,NA,54")
    with_raw(folder, "  na_values: [NA]\n")
    built = build_all(folder)
    assert built["DM"].frame["BRTHDTC"].fillna("").tolist() == ["1960-03-12", "1955", ""]
    assert built["AE"].frame["AESTDTC"].tolist() == ["2024-03", "2024-03-06", "2024-03-20T14:00"]
    with_raw(folder, "  tables:\n    dm: {file: dm.csv, na_values: []}\n")
    with pytest.raises(DataError, match="'NA': not a recognised date form"):
        build_all(folder)


# --- XLSX ------------------------------------------------------------------------------------------


def test_xlsx_tables_are_read_as_text_with_their_rows(tmp_path):
    openpyxl = pytest.importorskip("openpyxl")
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "AE"
    for row in (["SUBJID", "AETERM", "AESEQ"], ["001", "Headache", 1], ["002", None, 2]):
        sheet.append(row)
    book.save(tmp_path / "ae.xlsx")
    frame = read_table(RawTableFile("ae", tmp_path / "ae.xlsx", sheet="AE"))
    assert frame[["SUBJID", "AETERM", "AESEQ", "@row"]].astype(object).fillna("").values.tolist() == [
        ["001", "Headache", "1", 2],
        ["002", "", "2", 3],
    ]


def test_without_openpyxl_an_xlsx_table_says_how_to_get_it(tmp_path, monkeypatch):
    (tmp_path / "ae.xlsx").write_bytes(b"not read")
    monkeypatch.setitem(sys.modules, "openpyxl", None)
    with pytest.raises(CdiscError, match="needs the openpyxl package.*pip install openpyxl"):
        read_table(RawTableFile("ae", tmp_path / "ae.xlsx"))


# --- byte-order marks and encodings ------------------------------------------------------------------


def test_a_utf8_byte_order_mark_is_not_part_of_the_first_column_name(tmp_path):
    raw = table(tmp_path, "\ufeffSTUDYID,AETERM\nS1,Eczéma\n".encode("utf-8"))
    assert read_columns(raw) == ["STUDYID", "AETERM"]
    assert read_table(raw)[["STUDYID", "AETERM"]].values.tolist() == [["S1", "Eczéma"]]


def test_a_study_exported_by_excel_with_a_bom_runs(tmp_path):
    folder = study_with(tmp_path)
    dm = folder / "raw" / "dm.csv"
    dm.write_bytes(b"\xef\xbb\xbf" + dm.read_bytes())
    assert build_all(folder)["DM"].frame["SITEID"].tolist() == ["01", "01", "02"]


def test_a_byte_not_valid_in_the_encoding_names_file_row_and_column(tmp_path):
    folder = study_with(tmp_path)
    (folder / "raw" / "ae.csv").write_bytes(
        (AE_HEADER + "01,001,Y,Headache,06-MAR-2024,,Mild,N,N\n01,001,Y,Eczéma,07-MAR-2024,,Mild,N,N\n").encode("cp1252")
    )
    done = cdisc("run", folder, "--out", tmp_path / "out")
    assert done.returncode == 1, done.stderr
    assert "ae.csv: byte 0xE9 is not utf-8 text at row 3 column AETERM ('Ecz\ufffdma')" in done.stderr
    assert "raw.tables.ae.encoding" in done.stderr and "Traceback" not in done.stderr


def test_a_bad_byte_in_the_header_is_a_data_error(tmp_path):
    raw = table(tmp_path, "STUDYID,RÉSUMÉ\nS1,x\n".encode("cp1252"))
    with pytest.raises(DataError, match=r"byte 0xC9 is not utf-8 text in the header \(column 'R\ufffdSUM\ufffd'\)"):
        read_columns(raw)


@pytest.mark.parametrize(
    "declaration",
    ["  tables:\n    ae: {file: ae.csv, encoding: cp1252}\n", "  encoding: latin-1\n"],
)
def test_encoding_per_table_or_study(tmp_path, declaration):
    folder = study_with(tmp_path)
    (folder / "raw" / "ae.csv").write_bytes((AE_HEADER + "01,001,Y,Eczéma,07-MAR-2024,,Mild,N,N\n").encode("cp1252"))
    with_raw(folder, declaration)
    assert build_all(folder)["AE"].frame["AETERM"].tolist() == ["ECZÉMA"]


def test_an_unknown_encoding_is_a_spec_error(tmp_path):
    folder = study_with(tmp_path)
    with_raw(folder, "  encoding: windows-1252x\n")
    with pytest.raises(SpecError, match=r"study.yaml:\d+:\d+: .*unknown text encoding 'windows-1252x'"):
        load_study(folder)


def test_sas_tables_take_na_values_too(tmp_path):
    pyreadstat = pytest.importorskip("pyreadstat")
    pyreadstat.write_xport(pd.DataFrame({"A": ["NA", "x"]}), str(tmp_path / "t.xpt"))
    frame = read_table(RawTableFile("t", tmp_path / "t.xpt", na_values=("NA",)))
    assert frame["A"].isna().tolist() == [True, False]


def test_a_table_may_declare_only_how_to_read_its_file(tmp_path):
    folder = study_with(tmp_path)
    (folder / "raw" / "ae.csv").write_bytes((AE_HEADER + "01,001,Y,Eczéma,07-MAR-2024,,Mild,N,N\n").encode("cp1252"))
    with_raw(folder, "  tables:\n    ae: {encoding: cp1252}\n")
    assert build_all(folder)["AE"].frame["AETERM"].tolist() == ["ECZÉMA"]


def test_a_declared_table_without_a_file_is_a_spec_error(tmp_path):
    folder = study_with(tmp_path)
    with_raw(folder, "  tables:\n    cm: {encoding: cp1252}\n")
    with pytest.raises(SpecError, match=r"study.raw.cm: raw holds no file named cm \(.csv, .xlsx, .sas7bdat, .xpt\); give its file:"):
        load_study(folder)
