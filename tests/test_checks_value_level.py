"""CT rules honour define.xml value-level metadata: on the records a value-level item's where clause selects, the
item's codelist is checked instead of the IG's (RS: ECOG1TC/ECOG1TN where RSCAT is ECOG, ONCRTSCD/ONCRTS elsewhere)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from conftest import SHARED

from cdisc.checks import validate
from cdisc.xpt import XptDataset, XptVariable, write_xpt

STANDARDS = SHARED / "standards"
pytestmark = pytest.mark.skipif(not STANDARDS.is_dir(), reason="shared standards not available")
CT_RULES = ["CT", "CT-EXT", "CT-SYNONYM", "CT-PAIR"]

# RSTESTCD and RSTEST: ECOG1TC (C101815) / ECOG1TN (C101816), both non-extensible, where RSCAT = ECOG
DEFINE = """<?xml version="1.0" encoding="UTF-8"?>
<?xml-stylesheet type="text/xsl" href="define2-1.xsl"?>
<ODM xmlns="http://www.cdisc.org/ns/odm/v1.3" xmlns:def="http://www.cdisc.org/ns/def/v2.1"><Study><MetaDataVersion>
  <def:ValueListDef OID="VL.RS.RSTESTCD">
    <ItemRef ItemOID="IT.RS.RSTESTCD.ECOG" Mandatory="No"><def:WhereClauseRef WhereClauseOID="WC.ECOG"/></ItemRef>
  </def:ValueListDef>
  <def:ValueListDef OID="VL.RS.RSTEST">
    <ItemRef ItemOID="IT.RS.RSTEST.ECOG" Mandatory="No"><def:WhereClauseRef WhereClauseOID="WC.ECOG"/></ItemRef>
  </def:ValueListDef>
  <def:WhereClauseDef OID="WC.ECOG">
    <RangeCheck Comparator="EQ" SoftHard="Soft" def:ItemOID="IT.RS.RSCAT"><CheckValue>ECOG</CheckValue></RangeCheck>
  </def:WhereClauseDef>
  <ItemGroupDef OID="IG.RS" Name="RS">
    <ItemRef ItemOID="IT.RS.RSTESTCD" Mandatory="Yes"/><ItemRef ItemOID="IT.RS.RSTEST" Mandatory="Yes"/>
    <ItemRef ItemOID="IT.RS.RSCAT" Mandatory="No"/>
  </ItemGroupDef>
  <ItemDef OID="IT.RS.RSTESTCD" Name="RSTESTCD"><CodeListRef CodeListOID="CL.ONCRTSCD"/>
    <def:ValueListRef ValueListOID="VL.RS.RSTESTCD"/></ItemDef>
  <ItemDef OID="IT.RS.RSTESTCD.ECOG" Name="ECOG"><CodeListRef CodeListOID="CL.ECOG1TC"/></ItemDef>
  <ItemDef OID="IT.RS.RSTEST" Name="RSTEST"><CodeListRef CodeListOID="CL.ONCRTS"/>
    <def:ValueListRef ValueListOID="VL.RS.RSTEST"/></ItemDef>
  <ItemDef OID="IT.RS.RSTEST.ECOG" Name="ECOG"><CodeListRef CodeListOID="CL.ECOG1TN"/></ItemDef>
  <ItemDef OID="IT.RS.RSCAT" Name="RSCAT"/>
  <CodeList OID="CL.ONCRTSCD" Name="ONCRTSCD"><Alias Context="nci:ExtCodeID" Name="C96782"/></CodeList>
  <CodeList OID="CL.ONCRTS" Name="ONCRTS"><Alias Context="nci:ExtCodeID" Name="C96781"/></CodeList>
  <CodeList OID="CL.ECOG1TC" Name="ECOG1TC"><Alias Context="nci:ExtCodeID" Name="C101815"/></CodeList>
  <CodeList OID="CL.ECOG1TN" Name="ECOG1TN"><Alias Context="nci:ExtCodeID" Name="C101816"/></CodeList>
</MetaDataVersion></Study></ODM>
"""


def _ct_findings(root: Path, records: list[tuple[str, str, str]], define: str = DEFINE) -> list[tuple[str, str, int]]:
    """(rule, variable, 1-based row) of the CT rules' findings on an RS dataset of ``records`` (RSCAT, RSTESTCD, RSTEST)."""
    frame = pd.DataFrame(records, columns=["RSCAT", "RSTESTCD", "RSTEST"])
    frame.insert(0, "STUDYID", "STUDY1")
    frame.insert(1, "DOMAIN", "RS")
    frame.insert(2, "USUBJID", "S-1")
    frame.insert(3, "RSSEQ", [float(i + 1) for i in range(len(frame))])
    folder = root / "sdtm"
    folder.mkdir(parents=True)
    variables = [XptVariable(c, c, "num" if c == "RSSEQ" else "char", 8 if c == "RSSEQ" else max(1, int(frame[c].str.len().max())))
                 for c in frame.columns]
    write_xpt(frame, XptDataset("RS", "Disease Response and Clin Classification", tuple(variables)), folder)
    (folder / "define.xml").write_text(define)
    (folder / "define2-1.xsl").write_text("<xsl:stylesheet/>\n")
    found = validate(root, STANDARDS).findings
    found = found[found["rule"].isin(CT_RULES) & (found["dataset"] == "RS")]
    return sorted(zip(found["rule"], found["variable"], found["row"].astype(int)))


RECIST = ("RECIST 1.1", "OVRLRESP", "Overall Response")
ECOG = ("ECOG", "ECOG101", "ECOG1-Performance Status")


def test_value_level_codelist_is_checked_on_the_records_it_selects(tmp_path):
    #  RSCAT        RSTESTCD   RSTEST                      -> findings
    #  RECIST 1.1   OVRLRESP   Overall Response            -> none (ONCRTSCD/ONCRTS)
    #  ECOG         ECOG101    ECOG1-Performance Status    -> none (ECOG1TC/ECOG1TN, not ONCRTSCD's CT-EXT)
    assert _ct_findings(tmp_path, [RECIST, ECOG]) == []


def test_value_outside_the_value_level_codelist_is_reported(tmp_path):
    #  row  RSCAT        RSTESTCD   RSTEST                      -> findings
    #  1    RECIST 1.1   OVRLRESP   Overall Response            -> none
    #  2    ECOG         OVRLRESP   Overall Response            -> CT on both: an ONCRTSCD term, but not in ECOG1TC/ECOG1TN
    #  3    ECOG         ECOG101    ECOG1-Performance Status    -> none
    #  4    RECIST 1.1   ECOG101    ECOG1-Performance Status    -> CT-EXT on both: ECOG terms are not ONCRTSCD/ONCRTS terms
    #  5    ECOG         ECOG101    Overall Response            -> CT (not an ECOG1TN term) and CT-PAIR (ECOG1TN names ECOG101)
    records = [RECIST, ("ECOG", "OVRLRESP", "Overall Response"), ECOG, ("RECIST 1.1", "ECOG101", "ECOG1-Performance Status"),
               ("ECOG", "ECOG101", "Overall Response")]
    assert _ct_findings(tmp_path, records) == [
        ("CT", "RSTEST", 2), ("CT", "RSTEST", 5), ("CT", "RSTESTCD", 2),
        ("CT-EXT", "RSTEST", 4), ("CT-EXT", "RSTESTCD", 4),
        ("CT-PAIR", "RSTEST", 5),
    ]


def test_without_value_level_metadata_every_record_takes_the_variables_codelist(tmp_path):
    #  RSCAT   RSTESTCD   RSTEST                     -> CT-EXT on both (ONCRTSCD/ONCRTS for every record)
    plain = DEFINE.replace('<def:ValueListRef ValueListOID="VL.RS.RSTESTCD"/>', "").replace('<def:ValueListRef ValueListOID="VL.RS.RSTEST"/>', "")
    assert _ct_findings(tmp_path, [RECIST, ECOG], define=plain) == [("CT-EXT", "RSTEST", 2), ("CT-EXT", "RSTESTCD", 2)]
