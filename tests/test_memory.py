"""Worker processes hand the memory of each dataset they build back to the system, and leave the objects shared with
the process they were forked from out of their garbage collections."""

from __future__ import annotations

import gc
import weakref

import pytest
from conftest import minimal_study

from cdisc import memory
from cdisc.graph import execute
from cdisc.raw import read_columns
from cdisc.study import RunOptions, prepare_run


class _Cycle:
    def __init__(self):
        self.me = self


def test_release_memory_collects_unreachable_objects():
    """Objects only a reference cycle keeps (frames referring to themselves through their columns' owners) go at once."""
    gc.disable()
    try:
        cycle = _Cycle()
        gone = weakref.ref(cycle)
        del cycle
        assert gone() is not None  # (no collection ran)
        memory.release_memory()
        assert gone() is None
    finally:
        gc.enable()


def test_release_memory_without_malloc_trim(monkeypatch):
    """A C library without glibc's malloc_trim (musl, macOS): only Python's and Arrow's free memory is handed back."""
    monkeypatch.setattr(memory, "_malloc_trim", lambda: None)
    memory.release_memory()


def test_a_task_hands_memory_back_once_the_process_has_grown_however_small_its_dataset(monkeypatch):
    """A worker's task releases what it freed when the process holds RELEASE_GROWTH more than just after it last
    released, not by the size of what it built: ADLBG3 (4,542 records) read ADLB and kept ~800 MB it had freed while
    the other worker built ADVS."""
    held, released = [100 * 2**20], []

    def release():
        released.append(held[0])
        held[0] = 100 * 2**20

    monkeypatch.setattr(memory, "resident_bytes", lambda: held[0])
    monkeypatch.setattr(memory, "release_memory", release)
    monkeypatch.setattr(memory, "_held_after_release", {})
    memory.release_memory_grown()  # (the first call notes what the process holds)
    held[0] += memory.RELEASE_GROWTH  # a task that touched no more than that: kept for the next one to reuse
    memory.release_memory_grown()
    assert released == []
    held[0] += 800 * 2**20
    memory.release_memory_grown()
    assert released == [100 * 2**20 + memory.RELEASE_GROWTH + 800 * 2**20]


def test_release_memory_notes_what_the_process_holds_afterwards(monkeypatch):
    """Any release (a task's, or a worker letting go of the raw tables) is the mark a task's growth is measured from."""
    monkeypatch.setattr(memory, "resident_bytes", lambda: 300 * 2**20)
    monkeypatch.setattr(memory, "_held_after_release", {memory.os.getpid(): 900 * 2**20})
    memory.release_memory()
    assert memory._held_after_release == {memory.os.getpid(): 300 * 2**20}


def test_a_forked_process_measures_its_growth_from_its_own_mark(monkeypatch):
    """The mark of the process a worker was forked from (which held the raw tables as it last released) is not the
    worker's: a worker's first call notes its own."""
    held, released = [400 * 2**20], []
    monkeypatch.setattr(memory, "resident_bytes", lambda: held[0])
    monkeypatch.setattr(memory, "release_memory", lambda: released.append(held[0]))
    monkeypatch.setattr(memory, "_held_after_release", {memory.os.getpid() + 1: 1200 * 2**20})  # (the parent's)
    memory.release_memory_grown()
    held[0] += 300 * 2**20
    memory.release_memory_grown()
    assert released == [700 * 2**20]


def test_a_run_in_worker_processes_unfreezes_the_objects_it_froze(tmp_path):
    """Objects frozen before the workers are forked (so that their collections leave them alone) are collectable again
    once the graph has run, whether its datasets were built or failed."""
    folder = minimal_study(tmp_path / "study")
    run = prepare_run(folder, tmp_path / "out", RunOptions(scheduler="processes"))
    try:
        outcomes = execute(run.graph, run.keys, "processes")
    finally:
        run.discard_handoff()
    assert outcomes and all(not o.failed for o in outcomes)
    assert gc.get_freeze_count() == 0


def test_objects_are_unfrozen_after_a_failed_graph(monkeypatch, tmp_path):
    folder = minimal_study(tmp_path / "study")
    run = prepare_run(folder, tmp_path / "out", RunOptions(scheduler="processes"))

    def broken(*args, **kwargs):
        raise RuntimeError("our bug")

    monkeypatch.setattr("cdisc.graph.ProcessPoolExecutor", broken)
    try:
        with pytest.raises(RuntimeError):
            execute(run.graph, run.keys, "processes")
    finally:
        run.discard_handoff()
    assert gc.get_freeze_count() == 0


def test_reuse_freed_memory_has_arrow_allocate_from_malloc_unless_the_environment_says(monkeypatch):
    monkeypatch.delenv("ARROW_DEFAULT_MEMORY_POOL", raising=False)
    memory.reuse_freed_memory()
    assert memory.os.environ["ARROW_DEFAULT_MEMORY_POOL"] == "system"
    monkeypatch.setenv("ARROW_DEFAULT_MEMORY_POOL", "mimalloc")  # the user's own setting stands
    memory.reuse_freed_memory()
    assert memory.os.environ["ARROW_DEFAULT_MEMORY_POOL"] == "mimalloc"


def test_reuse_freed_memory_without_glibc(monkeypatch):
    """No mallopt (musl, macOS): only Arrow's pool is set."""
    monkeypatch.setattr(memory, "_mallopt", lambda: None)
    monkeypatch.delenv("ARROW_DEFAULT_MEMORY_POOL", raising=False)
    memory.reuse_freed_memory()
    assert memory.os.environ["ARROW_DEFAULT_MEMORY_POOL"] == "system"


def test_worker_processes_let_go_of_the_raw_tables_once_every_dataset_reading_them_is_built(small_example, tmp_path):
    """The signal to let go comes when the last dataset task that reads raw tables has run, not after the datasets made
    of other datasets only: RELREC (built last, from PC, PP, TU and TR) held 1 GB of raw tables in three processes for
    the second half of a 10,000-subject run. DM reads the tables its reference dates come from; ADRS, whose response
    steps take a ``reference_date: TRTSDT`` parameter (not DM's rule of that name), reads none: taken for DM's rule, it
    held every raw table until ADRS was built, beside SV's and ADSL's builds at 10,000 subjects."""
    from cdisc.graph import RAW_READ, Outcome
    from cdisc.incremental import raw_tables_read
    from cdisc.study import _raw_read

    run = prepare_run(small_example, tmp_path / "out", RunOptions(scheduler="processes"))
    try:
        reading = [key for key in run.keys if raw_tables_read(run.study, key[1])]
        assert raw_tables_read(run.study, "RELREC") == set() and raw_tables_read(run.study, "ADSL") == set()
        assert {"ae", "lb"} <= raw_tables_read(run.study, "AE") | raw_tables_read(run.study, "LB")
        assert "ex" in raw_tables_read(run.study, "DM")  # (the first dose: RFSTDTC)
        assert raw_tables_read(run.study, "ADRS") == set() and raw_tables_read(run.study, "VS") == {"vs"}
        done = _raw_read(run)
        assert done is not None
        for key in reading[:-1]:
            done(key, Outcome(key[1]))
        assert not (run.handoff.folder / RAW_READ).exists()
        done(next(key for key in run.keys if key[1] == "RELREC"), Outcome("RELREC"))
        assert not (run.handoff.folder / RAW_READ).exists()
        done(reading[-1], Outcome(reading[-1][1]))
        assert (run.handoff.folder / RAW_READ).exists()
        kept = set(run.study._raw_frames["lb"].columns) & set(read_columns(run.study.raw_tables["lb"]))
        assert kept and kept < set(read_columns(run.study.raw_tables["lb"]))  # (narrowed to its subjects' columns)
    finally:
        run.discard_handoff()
