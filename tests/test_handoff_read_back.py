"""A worker process reads back each XPT file it writes, as validation reads it, and keeps what it read for the run's
own process: validation then gets the very table it would have read from the file, numbers bit for bit (SAS's special
missing values included) and every attribute."""

from __future__ import annotations

import numpy as np
import pandas as pd
from pandas.testing import assert_frame_equal

from cdisc.compare.tables import read_table
from cdisc.handoff import _keep_table, _kept_table
from cdisc.xpt import XptDataset, XptVariable, missing_codes, special_missing, write_xpt


def _written(folder, encoding=None):
    frame = pd.DataFrame({
        "USUBJID": ["S-1", "S-2", "S-3"],
        "LBORRES": ["5.1", "", "Négatif" if encoding else "NEG"],
        "LBSTRESN": [5.1, special_missing("A"), np.nan],
    })
    dataset = XptDataset("LB", "Laboratory Test Results", (
        XptVariable("USUBJID", "Unique Subject Identifier", "char", 8),
        XptVariable("LBORRES", "Result or Finding in Original Units", "char", 20, "$20."),
        XptVariable("LBSTRESN", "Numeric Result/Finding in Standard Units", "num", 8, "8.2"),
    ))
    return write_xpt(frame, dataset, folder, encoding=encoding)


def test_the_table_kept_is_the_table_read(tmp_path):
    path = _written(tmp_path)
    read = read_table(path)

    _keep_table(read, tmp_path / "read" / "sdtm" / "lb.xpt")
    kept = _kept_table(tmp_path / "read" / "sdtm" / "lb.xpt", path)

    assert_frame_equal(kept.frame, read.frame)
    assert (kept.name, kept.label, kept.path, kept.encoding, kept.variables) == (read.name, read.label, read.path, read.encoding, read.variables)
    bits = [t.frame["LBSTRESN"].to_numpy().view(np.uint64).tolist() for t in (kept, read)]
    assert bits[0] == bits[1]
    assert missing_codes(kept.frame["LBSTRESN"]).tolist() == ["", ".A", "."]


def test_a_windows_1252_file_keeps_its_encoding(tmp_path):
    path = _written(tmp_path, encoding="cp1252")
    read = read_table(path)

    _keep_table(read, tmp_path / "read" / "lb.xpt")
    kept = _kept_table(tmp_path / "read" / "lb.xpt", path)

    assert kept.encoding == read.encoding == "cp1252"
    assert kept.frame["LBORRES"].tolist() == ["5.1", "", "Négatif"]
