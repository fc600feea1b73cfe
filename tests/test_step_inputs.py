"""Mistakes users write in record steps are spec errors at load, or data errors naming the step: never exit 3."""

from pathlib import Path

import pytest
from test_record_steps import STEPS, build_all, study

from cdisc.errors import DataError, SpecError
from cdisc.spec.load import load_study


@pytest.mark.parametrize(
    "old,new,message",
    [
        ('{expr: "(2 * AVAL.DIABP + AVAL.SYSBP) / 3"}', '{expr: "(2 * AVAL.DIABP + "}', "expression '(2 * AVAL.DIABP + ': not a valid expression"),
        ("DTYPE: AVERAGE}", "DTYPE: [A, B]}", "DTYPE: expected text, got a list"),
        ("{summary: mean, of: AVAL}", "{summary: average, of: AVAL}", "'average' is not allowed"),
        ("  - derive: [PARAMCD, AVAL, AVISITN, ATPTN]", "  - derive: PARAMCD", "derive: expected a list"),
    ],
)
def test_a_malformed_step_is_a_spec_error_at_its_line(tmp_path: Path, old, new, message):
    with pytest.raises(SpecError, match=r"advs.yaml:\d+:\d+: ADVS: ") as info:
        load_study(study(tmp_path, STEPS.replace(old, new)))
    assert message in str(info.value)


def test_appended_sources_may_be_written_as_dataset_names(tmp_path: Path):
    folder = study(tmp_path)
    text = (folder / "adam" / "advs.yaml").read_text().replace("source: VS\n", "sources: [VS, XX]\n")
    (folder / "adam" / "advs.yaml").write_text(text)
    with pytest.raises(SpecError, match="needs dataset XX, which no spec defines"):
        load_study(folder)


@pytest.mark.parametrize(
    "old,new,message",
    [
        ("PARAMCD: BMI", "PARAMCD: WEIGHT", r"ADVS: step 4 \(derive_param_computed\): PARAMCD WEIGHT already exists"),
        ('{expr: "(2 * AVAL.DIABP + AVAL.SYSBP) / 3"}', '{expr: "concat(AVAL.DIABP, 1) / 3"}', "a text value is used as a number"),
        ('AVAL: {expr: "AVAL.WEIGHT / (AVAL.HEIGHT / 100) ** 2"}', 'AVAL: {expr: "AVAL.WEIGHT / (AVAL.HEIGHT - 180)"}',
         r"step 4 \(derive_param_computed\): expression 'AVAL.WEIGHT / \(AVAL.HEIGHT - 180\)': division by zero"),
    ],
)
def test_a_step_that_fails_on_the_data_names_the_dataset_and_the_step(tmp_path: Path, old, new, message):
    with pytest.raises(DataError, match=message):
        build_all(study(tmp_path, STEPS.replace(old, new)))
