"""YAML mistakes explained in words, at file:line:column: tabs, indentation, ':' and ',' in unquoted values."""

import subprocess
import sys

import pytest

from cdisc.errors import SpecError
from cdisc.spec.yamlsource import load_yaml

from test_sdtm_engine import study_with


def first_issue(tmp_path, text: str) -> str:
    path = tmp_path / "ae.yaml"
    path.write_text(text)
    with pytest.raises(SpecError) as info:
        load_yaml(path, "ae.yaml")
    return str(info.value.issues[0])


@pytest.mark.parametrize(
    "text, where, hint",
    [
        # a tab
        ("dataset: AE\nvariables:\n\t- {name: A}\n",
         "ae.yaml:3:1:", "a tab character: YAML indents with spaces only"),
        ("dataset: AE\nlabel:\tAdverse Events\n",
         "ae.yaml:2:7:", "a tab character"),
        # a line indented right of its siblings
        ("dataset: AE\nsource:\n  table: ae\n   merge: []\n",
         "ae.yaml:4:9:", "wrong indentation: line 4 starts at column 4, right of line 3 (column 3)"),
        ("variables:\n  - name: A\n     label: x\n",
         "ae.yaml:3:11:", "wrong indentation: line 3 starts at column 6, right of line 2 (column 3)"),
        # a line indented left of its siblings
        ("dataset: AE\nsource:\n    table: ae\n  merge: []\n",
         "ae.yaml:4:3:", "wrong indentation: line 4 starts at column 3, which lines up with no key above it"),
        ("variables:\n- name: A\n  label: x\n - name: B\n",
         "ae.yaml:4:2:", "wrong indentation: line 4 starts at column 2"),
        # ': ' inside an unquoted value
        ("label: Time: start\n",
         "ae.yaml:1:12:", 'a value holding ": " must be quoted, e.g. label: "Time: start"'),
        ("variables:\n  - {name: A, label: Time: start, type: text}\n",
         "ae.yaml:2:26:", "an unquoted ':' inside {...}: quote the value that holds it"),
        # brackets and quotes
        ("variables:\n  - {name: A, label: x\n  - {name: B}\n",
         "ae.yaml:3:5:", "the '{' opened at line 2 column 5 is not closed: end it with '}'"),
        ("keys: [STUDYID, USUBJID\nlabel: x\n",
         "ae.yaml:2:6:", "the '[' opened at line 1 column 7 is not closed: end it with ']'"),
        ("label: 'Subject's Age'\n",
         "ae.yaml:1:17:", "text follows the closing ' of a quoted value; inside '...' write a quote as ''"),
        # a key with no ':'
        ("dataset: AE\nlabel\nclass: EVENTS\n",
         "ae.yaml:2:1:", "line 2 ('label') has no ': ' after its key"),
    ],
)
def test_syntax_errors_get_a_hint_in_words(tmp_path, text, where, hint):
    issue = first_issue(tmp_path, text)
    assert issue.startswith(where + " YAML syntax error: ")  # the parser's own words stay, located
    assert hint in issue


@pytest.mark.parametrize(
    "text, where, hint",
    [
        ("variables:\n  - {name: A, label: Start Date, Time, type: text}\n",
         "ae.yaml:2:34:", "'Time' has no value: inside {...} a comma ends a value, so 'label: Start Date' was cut at "
                          'the comma; quote a value that holds a comma, e.g. label: "Start Date, Time"'),
        ("variables:\n  - {name: A, expr: concat(SITEID, SUBJID)}\n",
         "ae.yaml:2:36:", 'e.g. expr: "concat(SITEID, SUBJID)"'),
    ],
)
def test_a_comma_in_an_unquoted_flow_value_is_explained(tmp_path, text, where, hint):
    issue = first_issue(tmp_path, text)
    assert issue.startswith(where) and hint in issue


@pytest.mark.parametrize(
    "text",
    [
        "variables:\n  - {name: A, label: \"Start Date, Time\"}\n",
        "variables:\n  - {name: A, seq: }\n",
        "keys: [A, B]\nsource: {table: ae, merge: []}\n",
        "variables:\n  - {name: A, label: 'Subject''s Age', expr: 'concat(A, \"-\", B)'}\n",
    ],
)
def test_well_formed_yaml_has_no_hint(tmp_path, text):
    path = tmp_path / "ok.yaml"
    path.write_text(text)
    assert load_yaml(path).data is not None


def test_check_spec_prints_the_hint_with_exit_code_2(tmp_path):
    folder = study_with(tmp_path)
    ae = folder / "sdtm" / "ae.yaml"
    ae.write_text(ae.read_text().replace("  - {name: AESEV,", "\t- {name: AESEV,"))
    done = subprocess.run([sys.executable, "-m", "cdisc", "check-spec", str(folder)], capture_output=True, text=True)
    assert done.returncode == 2
    assert "ae.yaml:19:1: YAML syntax error: found character '\\t' that cannot start any token; a tab character" in done.stderr
