"""A frame put together from pieces (a rerun's excluded rows: datasets taken from the previous run, some with none)
holds text in several Arrow chunks, the first one possibly empty; its CSV file is still what pandas writes."""

from __future__ import annotations

import pandas as pd

from cdisc.io.csv_writer import write_csv


def test_text_in_chunks_with_an_empty_first_chunk_is_written_as_pandas_writes_it(tmp_path):
    empty = pd.DataFrame({"@file": pd.Series([], dtype="str"), "@row": pd.Series([], dtype="int64")})
    rows = pd.DataFrame({"@file": pd.Series(["ae.csv", "cm.csv"], dtype="str"), "@row": [4, 9]})
    frame = pd.concat([empty, rows], ignore_index=True)
    write_csv(frame, tmp_path / "excluded.csv")
    frame.to_csv(tmp_path / "pandas.csv", index=False, lineterminator="\n")
    assert (tmp_path / "excluded.csv").read_bytes() == (tmp_path / "pandas.csv").read_bytes() == b"@file,@row\nae.csv,4\ncm.csv,9\n"
