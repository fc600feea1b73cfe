"""A dataset a worker process built stays in its cache entry's files: the run's own process holds its counts,
warnings and excluded rows, and reads its records, SUPP-- records and lineage (or some of their columns) when a step
asks for them, the same as a dataset held in memory would give."""

from __future__ import annotations

import pandas as pd
from pandas.testing import assert_frame_equal

from cdisc.built import BuiltDataset
from cdisc.errors import DataError
from cdisc.incremental import cache_entry, load_built
from cdisc.raw import FILE, ROW
from cdisc.spec.sdtm import SdtmDataset


def _spec() -> SdtmDataset:
    return SdtmDataset.model_validate({
        "dataset": "AE", "label": "Adverse Events", "class": "EVENTS", "structure": "One record per event per subject",
        "keys": ["AESEQ"], "source": {"table": "ae"},
        "variables": [{"name": "AESEQ", "label": "Sequence Number", "type": "integer", "origin": "Derived", "seq": None}],
    })


def _built() -> BuiltDataset:
    frame = pd.DataFrame({"USUBJID": ["S-1", "S-1", "S-2"], "AETERM": ["Headache", "Nausea", None], "AESEQ": [1.0, 2.0, 1.0]})
    lineage = pd.DataFrame({FILE: ["ae.csv"] * 3, ROW: [2, 3, 5]})
    excluded = pd.DataFrame({FILE: ["ae.csv"], ROW: [4], "reason": ["screen failure"]})
    supp = pd.DataFrame({"USUBJID": ["S-2"], "QNAM": ["AETRTEM"], "QVAL": ["Y"]})
    warning = DataError("AE.AESEV: 1 value set to missing", dataset="AE", variable="AESEV", files=["ae.csv"], raw_rows=[5])
    return BuiltDataset(_spec(), frame, lineage, excluded, supp, [warning])


def test_a_dataset_left_in_its_files_reads_back_what_was_built(tmp_path):
    built = _built()
    cache_entry(built, "hash-1").write(tmp_path)

    stored = load_built(_spec(), "hash-1", tmp_path, held=False)

    assert stored is not None and stored.stored == tmp_path
    assert (stored.records, stored.supp_records, stored.subjects) == (3, 1, 2)
    assert len(stored.frame) == len(stored.lineage) == 0 and list(stored.frame.columns) == ["USUBJID", "AETERM", "AESEQ"]
    assert_frame_equal(stored.excluded, built.excluded)
    assert [str(w) for w in stored.warnings] == ["AE.AESEV: 1 value set to missing"]
    for part in ("frame", "lineage", "supp"):
        assert_frame_equal(stored.read(part), getattr(built, part))
    assert_frame_equal(stored.read("frame", ["AETERM", "AEDECOD"]), built.frame[["AETERM"]])  # (AEDECOD: not a column)


def test_holding_a_dataset_left_in_its_files_reads_its_records_into_memory(tmp_path):
    built = _built()
    cache_entry(built, "hash-1").write(tmp_path)
    stored = load_built(_spec(), "hash-1", tmp_path, held=False)
    assert stored is not None

    stored.hold()
    for path in tmp_path.iterdir():
        path.unlink()

    assert stored.stored is None
    assert_frame_equal(stored.frame, built.frame)
    assert_frame_equal(stored.read("lineage", [ROW]), built.lineage[[ROW]])


def test_a_dataset_without_supp_records_has_none_left_in_files(tmp_path):
    built = _built()
    built.supp = None
    cache_entry(built, "hash-1").write(tmp_path)

    stored = load_built(_spec(), "hash-1", tmp_path, held=False)

    assert stored is not None and stored.supp is None and stored.supp_records is None and stored.read("supp") is None


def test_a_changed_input_takes_nothing_from_the_files(tmp_path):
    cache_entry(_built(), "hash-1").write(tmp_path)
    assert load_built(_spec(), "hash-2", tmp_path, held=False) is None


def test_the_records_hash_is_that_of_the_records_whether_their_text_was_held_or_not(tmp_path, monkeypatch):
    """A dataset's records hash (what the datasets built from it take into their input hash) is the same for its records
    with text held once per distinct value (a worker process's large dataset) as for their text, over several row
    groups, and the same made in memory as written; other records give another."""
    import cdisc.incremental

    monkeypatch.setattr(cdisc.incremental, "HELD_ROWS", 2)  # (row groups of 2 records)
    built, held = _built(), _built()
    held.frame = held.frame.astype({"USUBJID": pd.CategoricalDtype(pd.Index(["S-1", "S-2"], dtype="str"))})
    assert held.frame["USUBJID"].dtype != built.frame["USUBJID"].dtype

    written = {name: cache_entry(one, "hash-1").write(tmp_path / name) for name, one in (("text", built), ("held", held))}

    assert written["text"] == written["held"] == cache_entry(built, "hash-1").records_sha256()
    assert (tmp_path / "text" / "ae.frame.parquet").read_bytes() == (tmp_path / "held" / "ae.frame.parquet").read_bytes()
    assert load_built(_spec(), "hash-1", tmp_path / "held").records_sha256 == written["text"]
    built.frame.loc[2, "AETERM"] = "Rash"
    assert cache_entry(built, "hash-1").records_sha256() != written["text"]
