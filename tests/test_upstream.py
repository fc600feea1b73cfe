"""Which columns of earlier datasets a build reads (cdisc.upstream.columns_read): named ones only where every use names them."""

from __future__ import annotations

from cdisc.spec.adam import AdamDataset
from cdisc.spec.sdtm import SdtmDataset
from cdisc.upstream import columns_read


def adsl(*variables: dict, steps: tuple = (), **source) -> AdamDataset:
    return AdamDataset.model_validate({
        "dataset": "ADSL", "label": "Subjects", "class": "SUBJECT LEVEL ANALYSIS DATASET", "structure": "One record per subject",
        "keys": ["USUBJID"], "source": {"dataset": "DM", **source}, "variables": list(variables), "steps": list(steps),
    })


def merged(name: str, rule: str, **params) -> dict:
    return {"name": name, "label": name, "type": "integer", "origin": "Derived", rule: params}


def named(spec, but: str = "DM") -> dict[str, list[str]]:
    """What each dataset but the source (``but``) is read with."""
    return {dataset: sorted(names) for dataset, names in columns_read(spec).items() if dataset != but}


def test_merge_rules_read_the_columns_they_name_with_the_subject_identifiers():
    spec = adsl(
        merged("TRTSDT", "derive_vars_merged", dataset="EX", where="EXDOSE > 0", order=["EXSTDTC"], value="sas_date(EXSTDTC)"),
        merged("LSTLBDT", "derive_var_merged_summary", dataset="LB", value="sas_date(LBDTC)", summary="max"),
        merged("LSTVSDT", "derive_var_merged_summary", dataset="VS", by_vars=["USUBJID", "VISIT"], value="VSDTC", summary="max"),
    )
    assert named(spec) == {
        "EX": ["EXDOSE", "EXSTDTC", "STUDYID", "USUBJID"],
        "LB": ["LBDTC", "STUDYID", "USUBJID"],
        "VS": ["STUDYID", "USUBJID", "VISIT", "VSDTC"],
    }


def test_uses_of_one_dataset_add_up():
    spec = adsl(
        merged("TRTSDT", "derive_vars_merged", dataset="EX", order=["EXSTDTC"], value="sas_date(EXSTDTC)"),
        merged("TRTEDT", "derive_vars_merged", dataset="EX", order=["EXENDTC"], mode="last", value="sas_date(EXENDTC)"),
    )
    assert named(spec) == {"EX": ["EXENDTC", "EXSTDTC", "STUDYID", "USUBJID"]}


def test_a_dataset_read_any_other_way_is_read_whole():
    supp = adsl(merged("AEX", "derive_vars_merged", dataset="AE", supp=True, value="AEDLT"))  # qualifiers join on IDVAR's column
    source = adsl(merged("DTHDT", "derive_vars_merged", dataset="DM", value="sas_date(DTHDTC)"), supp=True)  # DM's qualifiers too
    other = adsl(merged("RESP", "derive_vars_merged", dataset="RS", value="RSSTRESC"), merge=[{"dataset": "RS"}])
    assert named(supp) == named(source, but="") == named(other) == {}


def test_a_source_is_read_with_the_names_its_spec_writes_unless_a_step_may_read_others():
    agegr1 = {"name": "AGEGR1", "label": "Age Group", "type": "text", "origin": "Derived", "expr": 'if_else(AGE < 65, "<65", ">=65")'}
    read = named(adsl(agegr1), but="")["DM"]
    assert {"AGE", "AGEGR1", "STUDYID", "USUBJID"} <= set(read) and "RACE" not in read
    extreme = {"derive_extreme_records": {"by_vars": ["USUBJID"], "order": ["AGE"], "mode": "first", "set_values_to": {"AGEGR1": "X"}}}
    copied = named(adsl(agegr1, steps=(extreme,)), but="")["DM"]  # it copies whole records: their other columns are read by no rule
    assert set(read) <= set(copied) and "RACE" not in copied
    computed = {"derive_param_computed": {"by_vars": ["USUBJID"], "parameters": ["WEIGHT"], "set_values_to": {"PARAMCD": "BMI"}}}
    assert named(adsl(agegr1, steps=(computed,)), but="") == {}  # it reads AVAL and PARAMCD, which it does not name


def test_a_summary_step_reads_its_dataset_add_by_its_groups_and_summaries():
    spec = SdtmDataset.model_validate({
        "dataset": "SV", "label": "Subject Visits", "class": "SPECIAL PURPOSE", "structure": "One record per visit",
        "keys": ["USUBJID", "VISITNUM"],
        "source": {"dataset": "DM", "steps": [{"derive_summary_records": {
            "dataset_add": "VS", "by_vars": ["USUBJID", "VISITNUM"], "filter_add": "VSSTAT != 'NOT DONE'",
            "set_values_to": {"SVSTDTC": {"summary": "min", "of": "VSDTC"}}}}]},
        "variables": [{"name": "USUBJID", "label": "Subject", "type": "text", "origin": "Derived", "assign": "USUBJID"},
                      {"name": "SVSTDY", "label": "Study Day", "type": "integer", "origin": "Derived", "study_day": "SVSTDTC"}],
    })
    assert named(spec) == {"VS": ["STUDYID", "USUBJID", "VISITNUM", "VSDTC", "VSSTAT"]}  # DM (study days) read whole


def test_a_dataset_only_built_first_is_read_with_the_subject_identifiers():
    """``depends_on`` orders the builds (RELREC after the records it relates); the records are read only where a rule
    names them: at 10,000 subjects RELREC read PP's million records and PC's half million whole, for nothing."""
    spec = adsl(merged("TRTSDT", "derive_vars_merged", dataset="EX", value="sas_date(EXSTDTC)"))
    spec = spec.model_copy(update={"depends_on": ["PP", "EX"]})
    assert named(spec) == {"EX": ["EXSTDTC", "STUDYID", "USUBJID"], "PP": ["STUDYID", "USUBJID"]}
