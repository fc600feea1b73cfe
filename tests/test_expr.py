"""The spec expression language: what it computes, and what it refuses."""

import numpy as np
import pandas as pd
import pytest

from cdisc.spec.expr import ExpressionDataError, ExpressionError, parse_expression


@pytest.fixture
def frame():
    return pd.DataFrame(
        {
            "AEYN": pd.Series([" y", "N", None, "Y"], dtype="str"),
            "GRADE": pd.Series(["3", "1", "", "5"], dtype="str"),
            "TERM": pd.Series(["  Head  ache ", "nausea", None, "RASH"], dtype="str"),
            "DOSE": [2.0, np.nan, 3.0, 1.5],
        }
    )


def values(text, frame, **constants):
    result = parse_expression(text).evaluate(frame, constants)
    return result.tolist() if isinstance(result, pd.Series) else result


@pytest.mark.parametrize(
    "text, expected",
    [
        ('upper(strip(AEYN)) == "Y"', [True, False, False, True]),
        ('AEYN == "N"', [False, True, False, False]),
        ('AEYN != "N"', [True, False, True, True]),  # missing != "N" is true, == is false
        ('not (AEYN == "N")', [True, False, True, True]),
        ('AEYN in ("N", "Y")', [False, True, False, True]),
        ('AEYN not in ("N", "Y")', [True, False, True, False]),
        ("number(GRADE) >= 3", [True, False, False, True]),
        ("1 < DOSE <= 2", [True, False, False, True]),
        ('DOSE > 1.8 or AEYN == "N"', [True, True, True, False]),
        ('is_missing(GRADE) and is_missing(TERM)', [False, False, True, False]),
        ('startswith(TERM, "na")', [False, True, False, False]),
        ('contains(upper(TERM), "ACHE")', [True, False, False, False]),
    ],
)
def test_conditions(frame, text, expected):
    assert parse_expression(text).mask(frame).tolist() == expected


def test_text_functions(frame):
    assert values("collapse_spaces(upper(TERM))", frame)[:2] == ["HEAD ACHE", "NAUSEA"]
    assert values('concat(STUDYID, "-", GRADE)', frame, STUDYID="S1") == ["S1-3", "S1-1", "S1-", "S1-5"]
    assert values("substr(TERM, 3, 4)", frame)[0] == "Head"
    assert values('coalesce(GRADE, AEYN, "none")', frame) == ["3", "1", "none", "5"]
    assert values("length(strip(TERM))", frame)[:2] == [10, 6]
    assert values('if_else(DOSE > 2, "HIGH", "LOW")', frame) == ["LOW", "LOW", "HIGH", "LOW"]


def test_arithmetic(frame):
    result = values("DOSE * 10 + 1", frame)
    assert result[0] == 21 and np.isnan(result[1]) and result[3] == 16
    assert values("round(abs(-DOSE / 4), 1)", frame)[0] == 0.5


def test_constant_expression_gives_scalar(frame):
    assert values('concat("A", "B")', frame) == "AB"
    assert parse_expression("1 < 2").mask(frame).tolist() == [True] * 4


def test_names_lists_what_is_read():
    assert parse_expression('concat(STUDYID, "-", SUBJID) == X').names == {"STUDYID", "SUBJID", "X"}


@pytest.mark.parametrize(
    "text, message",
    [
        ("TERM.upper()", "calling a method or attribute at column 1 is not allowed"),
        ("TERM.__class__", "a name starting with '_'"),
        ("TERM[0]", "indexing (a[b]) at column 1 is not allowed"),
        ("lambda: 1", "a lambda at column 1 is not allowed"),
        ("[t for t in TERM]", "a comprehension at column 1 is not allowed"),
        ("{t for t in TERM}", "a comprehension at column 1 is not allowed"),
        ('__import__("os")', "unknown function '__import__'"),
        ('eval("1")', "unknown function 'eval'"),
        ('open("/etc/passwd")', "unknown function 'open'"),
        ("(x := 1)", "assignment (:=) at column 2 is not allowed"),
        ('f"{TERM}"', "an f-string at column 1 is not allowed"),
        ('"a" if AEYN else "b"', "use if_else(c, x, y)"),
        ("{1: 2}", "a dict literal at column 1 is not allowed"),
        ("upper(*TERM)", "argument unpacking (*) at column 7 is not allowed"),
        ("upper(TERM, x=1)", "a keyword argument in upper() at column 1 is not allowed"),
        ("[1, 2]", "a list outside of 'in' at column 1 is not allowed"),
        ("TERM in GRADE", "'in' needs a list of literals"),
        ("TERM in (GRADE, 1)", "'in' needs a list of literals; a non-literal element"),
        ("~DOSE", "the operator '~'"),
        ("DOSE ** 100", "needs a literal exponent from -10 to 10"),
        ("DOSE is None", "the comparison 'Is'"),
        ('AVALC = "PD"', "use '==' to compare"),
        ('A == 1 && B == 2', "use 'and' / 'or'"),
        ("upper(", "not a valid expression"),
        ("", "expression is empty"),
        ("substr(TERM)", "substr() takes 2 to 3 arguments; usage: substr(text, start, length)"),
        ("b'x' == TERM", "the literal b'x'"),
    ],
)
def test_refusals(text, message):
    with pytest.raises(ExpressionError) as info:
        parse_expression(text)
    assert message in str(info.value)


def test_unknown_name_suggests(frame):
    with pytest.raises(ExpressionDataError, match=r"unknown name 'GRAED' \(did you mean 'GRADE'\?\)"):
        parse_expression("GRAED == 1").evaluate(frame)


def test_text_used_as_number_is_an_error(frame):
    with pytest.raises(ExpressionDataError, match=r"'GRADE' is text but is used as a number; convert it with number\(GRADE\)"):
        parse_expression("GRADE > 2").evaluate(frame)


def test_number_reports_what_is_not_a_number():
    frame = pd.DataFrame({"X": pd.Series(["1", "two", " 3 ", "", "4x"], dtype="str")})
    with pytest.raises(ExpressionDataError, match=r"number\(X\): 2 value\(s\) are not numbers, e.g. 'two', '4x'") as info:
        parse_expression("number(X)").evaluate(frame)
    assert info.value.positions == [1, 4]


def test_non_condition_in_and_is_an_error(frame):
    with pytest.raises(ExpressionDataError, match="'TERM' is not a condition"):
        parse_expression('TERM and AEYN == "Y"').mask(frame)


def test_raw_reads_the_source_column_where_a_variable_of_that_name_was_built():
    frame = pd.DataFrame({"DSCAT": pd.Series(["END OF TREATMENT", "END OF STUDY"], dtype="str")})
    built = {"DSCAT": pd.Series(["DISPOSITION EVENT"] * 2)}
    assert parse_expression('DSCAT == "END OF STUDY"').mask(frame, built).tolist() == [False, False]
    assert parse_expression('raw("DSCAT") == "END OF STUDY"').mask(frame, built).tolist() == [False, True]
    with pytest.raises(ExpressionError, match=r'raw\(\) takes one quoted column name'):
        parse_expression("raw(DSCAT)")


@pytest.mark.parametrize(
    "text,message",
    [
        ('max("a", 1)', "argument 1 of max() must be a number, not the text 'a'"),
        ("substr(TERM, 1, DOSE)", "argument 3 of substr() must be written as a literal value"),
        ("substr(TERM, length(TERM) - 1, 2)", "argument 2 of substr() must be written as a literal value"),
        ("round(1, -100000000)", "argument 2 of round() must be a whole number from -15 to 15"),
        ('impute_dt(TERM, "lst")', "argument 2 of impute_dt() must be one of 'first', 'mid', 'last', not 'lst'"),
        ('is_date(TERM, "XX-YY")', "argument 2 of is_date() must be a date form"),
        ("DOSE / 0", "division by zero"),
        ("(" * 300 + "DOSE" + ")" * 300, "nested more than 50 levels deep"),
        ("not " * 1000 + "FLAG", "nested more than 50 levels deep"),
        ("a.b()", "calling a method or attribute"),
    ],
)
def test_expressions_that_would_crash_or_hang_are_spec_errors_at_load(text, message):
    with pytest.raises(ExpressionError) as info:
        parse_expression(text)
    assert message in str(info.value)


@pytest.mark.parametrize(
    "text,message,positions",
    [
        ("DOSE / (DOSE - 10)", "division by zero on 1 record(s)", [0]),
        ("sqrt(DOSE - 15)", "sqrt(): 1 value(s) are negative, e.g. -5.0", [0]),
        ("log(DOSE - 10)", "log(): 1 value(s) are not above 0, e.g. 0.0", [0]),
        ("max(TERM, 1)", "TERM is text but max() needs a number; convert it with number(TERM)", []),
    ],
)
def test_expressions_that_fail_on_the_data_are_data_errors_naming_the_records(text, message, positions):
    frame = pd.DataFrame({"DOSE": [10.0, 20.0], "TERM": pd.Series(["a", "b"], dtype="str")})
    with pytest.raises(ExpressionDataError) as info:
        parse_expression(text).evaluate(frame)
    assert message in str(info.value) and info.value.positions == positions


def test_if_else_evaluates_each_branch_only_where_it_is_taken():
    frame = pd.DataFrame({"X": [4.0, -1.0, None]})
    assert parse_expression("if_else(X > 0, sqrt(X), 0)").evaluate(frame).tolist() == [2.0, 0, 0]


def test_new_functions():
    frame = pd.DataFrame({"T": pd.Series(["mild pain", "12.5", " ", None], dtype="str"), "H": [170.0, 180.0, 160.0, 150.0]})
    assert parse_expression("title(T)").evaluate(frame).tolist()[:2] == ["Mild Pain", "12.5"]
    assert parse_expression("is_numeric(T)").evaluate(frame).tolist() == [False, True, False, False]
    assert parse_expression("round((H / 100) ** 2, 2)").evaluate(frame).tolist() == [2.89, 3.24, 2.56, 2.25]
    assert parse_expression("round(exp(log(H)), 6)").evaluate(frame).tolist() == [170.0, 180.0, 160.0, 150.0]
    dates = pd.DataFrame({"D": pd.Series(["15-Sep-20", "31-Feb-20", "UN-UNK-2019", ""], dtype="str")})
    assert parse_expression('is_date(D, "DD-MON-YY")').evaluate(dates).tolist() == [True, False, False, False]


def test_a_dotted_name_reads_the_column_of_that_name():
    frame = pd.DataFrame({"AVAL.SYSBP": [120.0], "AVAL.DIABP": [80.0]})
    assert parse_expression("(2 * AVAL.DIABP + AVAL.SYSBP) / 3").evaluate(frame).round(4).tolist() == [93.3333]


def test_a_memo_computes_each_function_call_once_and_changes_no_result(frame):
    """Expressions over the same records with one memo: each call (by its text) is computed once; a value taken
    from the memo and changed leaves the memo's as it was."""
    memo: dict = {}
    first = parse_expression('upper(strip(AEYN)) == "Y"').evaluate(frame, memo=memo)
    assert sorted(memo) == ["strip(AEYN)", "upper(strip(AEYN))"]
    again = parse_expression("upper(strip(AEYN))").evaluate(frame, memo=memo)
    assert first.tolist() == [True, False, False, True] and again.fillna("").tolist() == ["Y", "N", "", "Y"]
    again.iloc[0] = "changed"
    assert parse_expression("upper(strip(AEYN))").evaluate(frame, memo=memo).iloc[0] == "Y"


def test_if_else_with_constant_branches(frame):
    """Constant branches take their records' places; a branch reading a column is still evaluated on its records only."""
    assert values('if_else(DOSE > 1.8, "HIGH", "LOW")', frame) == ["HIGH", "LOW", "HIGH", "LOW"]
    assert values('if_else(is_missing(TERM), "NONE", upper(TERM))', frame)[1:] == ["NAUSEA", "NONE", "RASH"]
    assert values("if_else(DOSE > 0, log(DOSE), -1)", frame)[1] == -1


def test_number_reads_each_distinct_text_once_and_missing_stays_missing():
    """number() over text: blanks and missing values are missing (also when every value is), other texts that are
    not numbers an error naming how many and which records."""
    frame = pd.DataFrame({"X": pd.Series([" 2", None, "", "2", "1e3"], dtype="str"), "M": pd.Series([None, None, None, None, None], dtype="str")})
    assert parse_expression("number(X)").evaluate(frame).tolist() == pytest.approx([2.0, np.nan, np.nan, 2.0, 1000.0], nan_ok=True)
    assert parse_expression("number(M)").evaluate(frame).isna().all()
    with pytest.raises(ExpressionDataError, match=r"2 value\(s\) are not numbers, e.g. 'a', 'b'") as info:
        parse_expression("number(Y)").evaluate(pd.DataFrame({"Y": pd.Series(["a", "1", "b"], dtype="str")}))
    assert info.value.positions == [0, 2]
