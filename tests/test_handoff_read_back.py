"""A worker process keeps each XPT file it writes as validation reads it (as its writer gave it without reading it, else
read back) for the run's own process: validation then gets the very table it would have read from the file, numbers bit
for bit (SAS's special missing values included) and every attribute."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
from pandas.testing import assert_frame_equal

from cdisc.built import BuiltDataset
from cdisc.compare.tables import read_table
from cdisc.errors import DataError
from cdisc.handoff import Handoff, _keep_table, _kept_table
from cdisc.manifest import sha256_file
from cdisc.xpt import XptDataset, XptVariable, missing_codes, special_missing, write_xpt


def _written(folder, encoding=None, written=None):
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
    return write_xpt(frame, dataset, folder, encoding=encoding, written=written)


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


def _stored(tmp_path, encoding=None, errors=()):
    """A dataset stored as a worker process stores it, its XPT file written by ``write_xpt`` (in ``encoding``)."""
    def write(built, folder, written):
        (folder / "sdtm").mkdir(parents=True)
        _written(folder / "sdtm", encoding, written)
        return list(errors)

    handoff = Handoff(tmp_path / "handoff", tmp_path / "previous", {}, write)
    frame = pd.DataFrame({"USUBJID": ["S-1"]})
    built = BuiltDataset(SimpleNamespace(dataset="LB"), frame, frame.iloc[:0], pd.DataFrame({"reason": []}))
    errors, _ = handoff.store(built, "hash")
    return handoff, errors


def test_a_stored_file_is_kept_as_read_and_hashed_as_written(tmp_path, monkeypatch):
    def unread(path, encoding=None):
        raise AssertionError(f"{path} read back")

    monkeypatch.setattr("cdisc.handoff.read_table", unread)  # (its writer gives it)
    monkeypatch.setattr("cdisc.handoff.sha256_file", unread)
    handoff, _ = _stored(tmp_path)
    monkeypatch.undo()
    path = tmp_path / "handoff" / "files" / "LB" / "sdtm" / "lb.xpt"
    read = read_table(path)

    kept = handoff.read_back("sdtm/lb.xpt", path)

    assert kept is not None
    assert_frame_equal(kept.frame, read.frame)
    assert (kept.name, kept.label, kept.encoding, kept.variables) == (read.name, read.label, read.encoding, read.variables)
    assert kept.frame["LBSTRESN"].to_numpy().view(np.uint64).tolist() == read.frame["LBSTRESN"].to_numpy().view(np.uint64).tolist()
    digests = json.loads((tmp_path / "handoff" / "files" / "LB.sha256.json").read_text())
    assert digests == {"sdtm/lb.xpt": sha256_file(path)}


def test_a_file_its_writer_does_not_give_is_read_back(tmp_path):
    handoff, _ = _stored(tmp_path, encoding="cp1252")
    path = tmp_path / "handoff" / "files" / "LB" / "sdtm" / "lb.xpt"

    kept = handoff.read_back("sdtm/lb.xpt", path)

    assert kept is not None and kept.encoding == "cp1252"
    assert kept.frame["LBORRES"].tolist() == ["5.1", "", "Négatif"]


def test_nothing_is_kept_of_a_dataset_whose_files_had_errors(tmp_path):
    handoff, errors = _stored(tmp_path, errors=[DataError("LB: too long")])
    path = tmp_path / "handoff" / "files" / "LB" / "sdtm" / "lb.xpt"

    assert [str(e) for e in errors] == ["LB: too long"]
    assert handoff.read_back("sdtm/lb.xpt", path) is None


def test_a_frame_read_again_is_the_frame_read_once(tmp_path, monkeypatch):
    """Frames read from the handoff folder are kept in the process (within KEPT_VALUES): a later read, of every column
    or some, gives what reading the file gives, and what a task changes in its frame is not in the next task's."""
    from cdisc import handoff

    monkeypatch.setattr(handoff, "_kept", {})
    frame = pd.DataFrame({"USUBJID": ["S-1", "S-2"], "RFSTDTC": ["2024-01-02", None], "AGE": [34.0, np.nan]})
    path = tmp_path / "dm.frame.parquet"
    frame.to_parquet(path)
    first = handoff._read_kept(path)
    first["AGE"] = 0.0
    for columns in (None, frozenset({"AGE", "USUBJID"}), frozenset({"RFSTDTC", "ARM"})):
        names = None if columns is None else [c for c in frame.columns if c in columns]
        assert_frame_equal(handoff._read_kept(path, columns), pd.read_parquet(path, columns=names), check_exact=True)
    assert [key[0] for key in handoff._kept] == [path]
    monkeypatch.setattr(handoff, "KEPT_VALUES", 5)  # (a file above what may be kept is read each time)
    other = tmp_path / "ae.frame.parquet"
    frame.to_parquet(other)
    assert_frame_equal(handoff._read_kept(other, frozenset({"USUBJID"})), pd.read_parquet(other, columns=["USUBJID"]))
    assert [key[0] for key in handoff._kept] == [path]


def test_a_file_written_again_is_read_again(tmp_path, monkeypatch):
    """A frame is kept by file: one written again at the same path (the next run of a long process) is read anew."""
    from cdisc import handoff

    monkeypatch.setattr(handoff, "_kept", {})
    path = tmp_path / "dm.frame.parquet"
    pd.DataFrame({"USUBJID": ["S-1"]}).to_parquet(path)
    handoff._read_kept(path)
    pd.DataFrame({"USUBJID": ["S-1", "S-2", "S-3"]}).to_parquet(path)
    assert handoff._read_kept(path)["USUBJID"].tolist() == ["S-1", "S-2", "S-3"]


def test_a_kept_table_appears_whole_the_table_before_its_attributes(tmp_path, monkeypatch):
    """Two check tasks may keep the same table at once (DM taken from the previous run: each reads it anew), and
    another reads it as soon as its attributes are there: each file is written beside and renamed into place, the
    table first. Written in place, a check task read the other's empty attributes file (JSONDecodeError)."""
    import os

    path = _written(tmp_path)
    kept = tmp_path / "read" / "dm.xpt"
    moved = []

    def replace(source, target):
        assert not Path(target).exists()  # (nothing half-written was ever visible at the name readers look for)
        moved.append((Path(source).parent, Path(target).name))
        real_replace(source, target)

    real_replace = os.replace
    monkeypatch.setattr(os, "replace", replace)
    _keep_table(read_table(path), kept)

    assert moved == [(kept.parent, "dm.arrow"), (kept.parent, "dm.json")]
    assert sorted(p.name for p in kept.parent.iterdir()) == ["dm.arrow", "dm.json"]
    assert_frame_equal(_kept_table(kept, path).frame, read_table(path).frame)


def test_a_large_datasets_repetitive_text_is_read_held_once_per_distinct_value(tmp_path, monkeypatch):
    """An ADaM build reads a large dataset's repetitive text (values on several records each) held once per distinct
    value, as the text merged from ADSL is held: the same text, columns and order; other text and numbers as read."""
    import cdisc.arrowtext
    from cdisc.arrowtext import TEXT, is_text_per_record, plain_columns
    from cdisc.handoff import _read_held

    frame = pd.DataFrame({"USUBJID": pd.Series(["S-2", "S-1", None, "S-2", "S-1", "S-2"], dtype="str"),
                          "LBSEQ": [1.0, 2.0, 3.0, 4.0, 5.0, 6.0],
                          "LBORRES": pd.Series(["1", "2", "3", "4", "5", ""], dtype="str")})
    frame.attrs = {"note": "kept"}
    path = tmp_path / "lb.frame.parquet"
    frame.to_parquet(path)
    monkeypatch.setattr(cdisc.arrowtext, "HELD_FROM", 4)
    monkeypatch.setattr(cdisc.arrowtext, "REPEATED", 2)
    read = _read_held(path, {"USUBJID", "LBSEQ", "LBORRES", "OTHER"})
    assert is_text_per_record(read["USUBJID"].dtype) and list(read["USUBJID"].cat.categories) == ["S-1", "S-2"]
    assert read["LBORRES"].dtype == TEXT  # (a value per record or so: text)
    assert_frame_equal(plain_columns(read), frame)
    assert read.attrs == frame.attrs
    assert_frame_equal(_read_held(path, {"LBSEQ"}), frame[["LBSEQ"]])
    monkeypatch.setattr(cdisc.arrowtext, "HELD_FROM", 7)  # (a small dataset: read as it is)
    assert_frame_equal(_read_held(path), frame)
