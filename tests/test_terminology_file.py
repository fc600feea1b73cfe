"""Controlled terminology files as CDISC publishes them: the NCI tab-separated text file and the CDISC Library CSV,
either gzipped; a file that is not one is refused in words."""

from __future__ import annotations

import gzip

import pytest

from cdisc.errors import DataError
from cdisc.terminology import load_ct_file

NCI_HEADER = ("Code\tCodelist Code\tCodelist Extensible (Yes/No)\tCodelist Name\tCDISC Submission Value\tCDISC Synonym(s)\t"
              "CDISC Definition\tNCI Preferred Term\n")
NCI_ROWS = (
    "C66742\t\tNo\tNo Yes Response\tNY\tNo Yes Response\tA term that is \"quoted\" in the definition\tCDISC SDTM Yes No Terminology\n"
    "C49487\tC66742\t\t\tN\tNo\tThe non-affirmative response.\tNo\n"
    "C49488\tC66742\t\t\tY\tYes; Y \tThe affirmative response.\tYes\n"
    "C66731\t\tYes\tSex\tSEX\tSex\tSex.\tCDISC SDTM Sex of Individual Terminology\n"
    "C20197\tC66731\t\t\tM\tMale\tMale.\tMale\n"
)


def test_the_nci_text_file_gives_each_codelist_with_its_terms_and_synonyms(tmp_path):
    path = tmp_path / "SDTM Terminology.txt"
    path.write_text(NCI_HEADER + NCI_ROWS, encoding="utf-8")

    codelists = load_ct_file(path)

    assert list(codelists) == ["NY", "SEX"]
    ny = codelists["NY"]
    assert (ny.label, ny.nci, ny.extensible, codelists["SEX"].extensible) == ("No Yes Response", "C66742", False, True)
    assert ny.terms[["value", "decode", "nci"]].values.tolist() == [["N", "No", "C49487"], ["Y", "Yes", "C49488"]]
    assert ny.terms["synonyms"].tolist() == [["No"], ["Yes", "Y"]]
    assert ny.lookup() == {"NO": "N", "N": "N", "YES": "Y", "Y": "Y"}


def test_a_gzipped_cdisc_library_csv_keeps_quoted_commas_and_line_breaks(tmp_path):
    path = tmp_path / "ADaM_CT.csv.gz"
    text = (
        '"Code","Codelist Code","Codelist Extensible (Yes/No)","Codelist Name","CDISC Submission Value","CDISC Synonym(s)",'
        '"CDISC Definition","NCI Preferred Term"\n'
        '"C81223","","Yes","Date Type","DATEFL","Date Type","Type of date, as\nimputed","CDISC ADaM Date Imputation Flag"\n'
        '"C81209","C81223","","","D","Day","The day, imputed","Day"\n'
    )
    path.write_bytes(gzip.compress(text.encode()))

    codelists = load_ct_file(path)

    assert codelists["DATEFL"].label == "Date Type" and codelists["DATEFL"].terms["value"].tolist() == ["D"]


def test_a_file_with_the_header_alone_has_no_codelists(tmp_path):
    path = tmp_path / "empty.txt"
    path.write_text(NCI_HEADER, encoding="utf-8")
    assert load_ct_file(path) == {}


@pytest.mark.parametrize("content,message", [
    (b"Code\tName\nC1\tx\n", "not a CDISC terminology file (missing column 'Codelist Code')"),
    (b"Code\tName\n", "not a CDISC terminology file (missing column 'Codelist Code')"),
    (b"# Notice\n", "not a CDISC terminology file (missing column 'Code')"),
])
def test_a_file_that_is_not_terminology_is_refused_naming_what_it_lacks(tmp_path, content, message):
    path = tmp_path / "notice.txt"
    path.write_bytes(content)
    with pytest.raises(DataError, match=message.replace("(", r"\(").replace(")", r"\)")):
        load_ct_file(path)


def test_a_broken_gzip_file_is_refused_in_words(tmp_path):
    path = tmp_path / "SDTM Terminology.txt.gz"
    path.write_bytes(b"\x1f\x8b not really gzip")
    with pytest.raises(DataError, match="cannot read controlled terminology"):
        load_ct_file(path)
