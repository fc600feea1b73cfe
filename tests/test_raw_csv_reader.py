"""Raw CSV tables are read by Arrow's multi-threaded reader where it reads them as pandas does (UTF-8, no quotes, no
lone carriage returns) and by pandas otherwise: either way the frame is the one ``pd.read_csv`` gives, every cell
text and only a blank cell missing."""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cdisc import raw
from cdisc.raw import RawTableFile, read_table

#: Pieces of CSV text, including what the two readers could split differently.
PIECES = ["a", "b1", " ", ",", ",,", "\n", "\r\n", "\r", '"', "é", "NA", "\ufeff", "\t"]


def _as_pandas_reads(path) -> pd.DataFrame | None:
    try:
        return pd.read_csv(path, dtype="str", keep_default_na=False, na_values=[""], encoding="utf-8-sig")
    except (pd.errors.ParserError, ValueError):
        return None


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=st.lists(st.sampled_from(PIECES), max_size=30).map("".join), bom=st.booleans())
def test_a_csv_file_gives_the_frame_pandas_reads(tmp_path, body, bom):
    path = tmp_path / "t.csv"
    path.write_bytes(("\ufeff" if bom else "").encode() + f"A,B,C\n{body}".encode())
    expected = _as_pandas_reads(path)
    taken = raw._read_csv_arrow(RawTableFile("t", path))
    if taken is not None:
        assert expected is not None
        pd.testing.assert_frame_equal(taken, expected)


@pytest.mark.parametrize(("content", "by_arrow"), [
    ("A,B\n1,2\r\n,x\n", True),
    ("\ufeffA,B\nNA, 2\n\n3,4", True),
    ('A,B\n"1,5",2\n', False),  # quoted
    ("A,B\n1,2\r3,4\n", False),  # a lone carriage return
    ("A,B\r1,2\r3,4\r", False),  # every line ended by one (old Macs): the header too
    ("A,B\n1\n", False),  # a short row, which pandas fills
    ("A,A\n1,2\n", False),  # a column named twice: pandas reads it, the check names it
    ("A,B\n", False),  # no rows
])
def test_which_reader_reads_a_file_and_the_frame_is_the_same(tmp_path, content, by_arrow):
    path = tmp_path / "t.csv"
    path.write_text(content, encoding="utf-8", newline="")
    assert (raw._read_csv_arrow(RawTableFile("t", path)) is not None) == by_arrow
    if content.startswith("A,A"):
        return
    frame = read_table(RawTableFile("t", path))
    expected = _as_pandas_reads(path)
    pd.testing.assert_frame_equal(frame.drop(columns=[raw.FILE, raw.ROW]), expected)
    assert frame[raw.ROW].tolist() == list(range(2, 2 + len(expected)))
