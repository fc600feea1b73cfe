"""define.xml from records read one dataset at a time: a loader per dataset, called once, its records let go
before the next dataset is read; the check against the data reads what was worked out of them."""

from __future__ import annotations

import gc
import weakref
from collections import Counter
from collections.abc import Callable

import numpy as np
import pandas as pd
import pytest

from cdisc.definexml import ColumnLoader, DefineDataset, DefineMismatchError, check_define, data_frames, generate_define
from cdisc.definexml.values import ColumnValues, DataValues, SettledFrame, questions, summarise
from cdisc.sdtm.engine import build_dataset
from cdisc.spec.load import Study, load_study
from conftest import REPO

MINIMAL = REPO / "tests" / "fixtures" / "minimal"


@pytest.fixture(scope="module")
def minimal() -> tuple[Study, dict[str, pd.DataFrame]]:
    """The minimal study and its records by dataset name (DM, AE, SUPPAE)."""
    study = load_study(MINIMAL)
    built: dict = {}
    frames = {}
    for name, dataset in study.datasets.items():
        result = build_dataset(study, dataset.spec, built)
        built[name] = frames[name] = result.frame
        if result.supp is not None:
            frames[f"SUPP{name}"] = result.supp
    return study, frames


class Loaders:
    """Loaders of copies of some frames, counting their calls and watching the copies they handed out."""

    def __init__(self, frames: dict[str, pd.DataFrame]):
        self.frames = frames
        self.calls: Counter[str] = Counter()
        self.handed: dict[str, weakref.ref] = {}
        self.alive_at_load: dict[str, list[str]] = {}

    def __call__(self, name: str) -> Callable[[], pd.DataFrame]:
        def load() -> pd.DataFrame:
            self.calls[name] += 1
            self.alive_at_load[name] = self.alive()
            copy = self.frames[name].copy(deep=True)
            self.handed[name] = weakref.ref(copy)
            return copy

        return load

    def alive(self) -> list[str]:
        """The datasets whose loaded records are still referenced."""
        return [name for name, ref in self.handed.items() if ref() is not None]

    def datasets(self, study: Study) -> list[DefineDataset]:
        return [
            DefineDataset(d.spec, self(name), self(f"SUPP{name}") if f"SUPP{name}" in self.frames else None)
            for name, d in study.datasets.items()
        ]


def _frames(study: Study, frames: dict[str, pd.DataFrame]) -> list[DefineDataset]:
    return [DefineDataset(d.spec, frames[name], frames.get(f"SUPP{name}")) for name, d in study.datasets.items()]


def test_a_define_from_loaders_has_the_bytes_of_one_from_frames_and_reads_each_dataset_once(minimal, tmp_path):
    study, frames = minimal
    from_frames, _ = generate_define(study, _frames(study, frames), tmp_path / "frames")
    loaders = Loaders(frames)
    from_loaders, findings = generate_define(study, loaders.datasets(study), tmp_path / "loaders")
    assert [p.name for p in from_loaders] == [p.name for p in from_frames]
    for loaded, framed in zip(from_loaders, from_frames, strict=True):
        assert loaded.read_bytes() == framed.read_bytes(), loaded.name
    assert findings == []
    assert loaders.calls == {"DM": 1, "AE": 1, "SUPPAE": 1}  # the check read no records again


def test_a_loader_that_finds_no_records_describes_its_dataset_from_the_spec_as_none_does(minimal, tmp_path):
    study, frames = minimal
    without_supp = [DefineDataset(d.meta, d.frame) for d in _frames(study, frames)]  # SUPPAE: no records
    expected, _ = generate_define(study, without_supp, tmp_path / "none")
    calls: Counter[str] = Counter()

    def nothing() -> None:
        calls["SUPPAE"] += 1

    from_loader = [DefineDataset(d.meta, d.frame, nothing) for d in without_supp]
    written, findings = generate_define(study, from_loader, tmp_path / "loader")
    assert [p.read_bytes() for p in written] == [p.read_bytes() for p in expected] and findings == []
    assert calls == {"SUPPAE": 1}


def test_records_are_let_go_before_the_next_dataset_is_read(minimal, tmp_path):
    study, frames = minimal
    loaders = Loaders(frames)
    gc.disable()  # let go: no reference left, not merely unreachable
    try:
        generate_define(study, loaders.datasets(study), tmp_path)
        alive_after = loaders.alive()
    finally:
        gc.enable()
    #                           read when            still held then
    assert loaders.alive_at_load == {"DM": [],
                                     "AE": [],       # DM's records are gone
                                     "SUPPAE": []}   # fmt: skip
    assert alive_after == []


class ColumnReads:
    """Column loaders of some frames, noting each column read and the columns whose values are held at that moment."""

    def __init__(self, frames: dict[str, pd.DataFrame]):
        self.frames = frames
        self.reads: list[tuple[str, str]] = []
        self.held_at_read: dict[tuple[str, str], set[str]] = {}

    def __call__(self, name: str) -> ColumnLoader:
        def read(columns: list[str]) -> pd.DataFrame:
            for column in columns:
                self.reads.append((name, column))
                self.held_at_read[(name, column)] = {o.column.name for o in gc.get_objects() if isinstance(o, ColumnValues)}
            return self.frames[name][columns].copy(deep=True)

        return ColumnLoader(tuple(self.frames[name].columns), read)


def test_column_loaders_give_the_same_define_reading_each_column_once_and_holding_only_where_clause_columns(minimal, tmp_path):
    study, frames = minimal
    expected, _ = generate_define(study, _frames(study, frames), tmp_path / "frames")
    columns = ColumnReads(frames)
    datasets = [DefineDataset(d.spec, columns(name), columns(f"SUPP{name}") if f"SUPP{name}" in frames else None) for name, d in study.datasets.items()]
    gc.collect()
    gc.disable()  # let go: no reference left, not merely unreachable
    try:
        written, findings = generate_define(study, datasets, tmp_path / "columns")
    finally:
        gc.enable()
    assert [p.read_bytes() for p in written] == [p.read_bytes() for p in expected] and findings == []
    assert sorted(columns.reads) == sorted((name, column) for name, frame in frames.items() for column in frame.columns)  # once each
    where = {"DM": set(), "AE": set(), "SUPPAE": {"QNAM"}}  # QVAL's value-level items are selected by QNAM
    assert all(held <= where[name] for (name, _), held in columns.held_at_read.items())
    assert columns.held_at_read[("SUPPAE", "QVAL")] == {"QNAM"}


def test_a_value_outside_its_codelist_is_found_in_records_from_a_loader(minimal, tmp_path):
    study, frames = minimal
    ae = frames["AE"].copy()
    ae.loc[0, "AESEV"] = "EXTREME"  # AESEV (C66769) is not extensible
    loaders = Loaders({**frames, "AE": ae})
    with pytest.raises(DefineMismatchError, match=r"AE\.AESEV: value 'EXTREME' \(1 record\(s\)\) is not in codelist"):
        generate_define(study, loaders.datasets(study), tmp_path / "closed")
    assert not (tmp_path / "closed").exists()
    assert loaders.calls == {"DM": 1, "AE": 1, "SUPPAE": 1}


def test_a_length_in_define_xml_that_disagrees_with_the_data_is_found_from_the_summaries(minimal, tmp_path, monkeypatch):
    import cdisc.definexml as package

    study, frames = minimal
    longest = int(frames["AE"]["AETERM"].str.len().max())
    render = package.render_xml

    def shortened(define):  # define.xml as read back says AETERM is 5 long
        xml = render(define)
        start = xml.index(b'<ItemDef OID="IT.AE.AETERM"')
        at = xml.index(b'Length="', start) + len(b'Length="')
        return xml[:at] + b"5" + xml[xml.index(b'"', at) :]

    monkeypatch.setattr(package, "render_xml", shortened)
    loaders = Loaders(frames)
    with pytest.raises(DefineMismatchError, match=rf"AE\.AETERM: define.xml gives length 5 but the longest value has {longest}"):
        generate_define(study, loaders.datasets(study), tmp_path)
    assert loaders.calls["AE"] == 1


def test_check_define_alone_reads_the_records_of_loaders(minimal, tmp_path):
    study, frames = minimal
    (xml, *_), _ = generate_define(study, _frames(study, frames), tmp_path)
    ae = frames["AE"].assign(AEXTRA="x")
    loaders = Loaders({**frames, "AE": ae})
    found = [str(f) for f in check_define(xml, data_frames(loaders.datasets(study)))]
    assert found == ["error: AE.AEXTRA: variable is in the data but not in define.xml"]
    assert loaders.calls == {"DM": 1, "AE": 1, "SUPPAE": 1}


def test_settled_summaries_answer_what_was_asked_without_the_records():
    frame = pd.DataFrame({
        #  LBTESTCD  LBORRES    LBSTRESN  LBSTRESU
        "LBTESTCD": ["ALT", "ALT", "HGB", "HGB", None],
        "LBORRES": ["12", "130.5", "8.5", "9", "1"],
        "LBSTRESN": [12.0, 130.5, 8.5, 9.0, 1.0],
        "LBSTRESU": ["U/L", "U/L", "g/dL", "g/L", None],
    })  # fmt: skip
    data = DataValues()
    records = weakref.ref(frame)

    def load() -> pd.DataFrame:
        return records()

    alt, other = (("LBTESTCD", "EQ", ("ALT",)),), (("DM.SEX", "EQ", ("F",)),)
    asked = (("LBORRES", ((other, questions("text", coded=False)),)),
             ("LBSTRESN", ((alt, questions("integer", coded=False)),)),
             ("LBSTRESU", (((), questions("text", coded=True)),)))  # fmt: skip
    summarised = data.summarise("LB", load, asked)
    del frame
    assert records() is None  # the records are gone
    settled = data.of("LB", load)
    assert settled is summarised
    assert isinstance(settled, SettledFrame) and settled.columns == ("LBTESTCD", "LBORRES", "LBSTRESN", "LBSTRESU")
    units = settled.summary("LBSTRESU", (), questions("text", coded=True))
    assert units is not None and units.text_counts() == {"U/L": 2, "g/dL": 1, "g/L": 1} and units.text_length() == 4
    results = settled.summary("LBSTRESN", alt, questions("integer", coded=False))
    assert results is not None and results.non_integer_examples() == ("130.5",) and results.number_digits() == (4, 1)
    assert settled.summary("LBORRES", other, questions("text", coded=False)) is None  # another dataset's variable
    with pytest.raises(LookupError, match=r"LB\.LBSTRESU: digits not worked out while the records were at hand"):
        settled.summary("LBSTRESU", (), questions("float", coded=False))
    with pytest.raises(LookupError, match=r"LB\.LBORRES where LBTESTCD EQ ALT: length not worked out"):
        settled.summary("LBORRES", alt, questions("text", coded=False))


def test_values_not_whole_keep_their_first_three_examples_in_record_order():
    frame = pd.DataFrame({"AVAL": [1.0, 2.5, np.nan, 3.0, -0.25, 7.75, 0.5]})
    integer = questions("integer", coded=False)
    summary = summarise("ADLB", frame, (("AVAL", (((), integer),)),)).summary("AVAL", (), integer)
    assert summary is not None and summary.has_non_integers and summary.non_integer_examples() == ("2.5", "-0.25", "7.75")
    whole = summarise("ADSL", pd.DataFrame({"AGE": [64.0, np.nan]}), (("AGE", (((), integer),)),)).summary("AGE", (), integer)
    assert whole is not None and not whole.has_non_integers and whole.non_integer_examples() == () and not whole.empty
