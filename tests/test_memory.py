"""Worker processes hand the memory of each dataset they build back to the system, and leave the objects shared with
the process they were forked from out of their garbage collections."""

from __future__ import annotations

import gc
import weakref

import pytest
from conftest import minimal_study

from cdisc import memory
from cdisc.graph import execute
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


def test_reuse_freed_memory_keeps_arrow_pages_for_a_minute_unless_the_environment_says(monkeypatch):
    monkeypatch.delenv("MIMALLOC_PURGE_DELAY", raising=False)
    memory.reuse_freed_memory()
    assert memory.os.environ["MIMALLOC_PURGE_DELAY"] == "60000"
    monkeypatch.setenv("MIMALLOC_PURGE_DELAY", "0")  # the user's own setting stands
    memory.reuse_freed_memory()
    assert memory.os.environ["MIMALLOC_PURGE_DELAY"] == "0"


def test_reuse_freed_memory_without_glibc(monkeypatch):
    """No mallopt (musl, macOS): only Arrow's pool is set."""
    monkeypatch.setattr(memory, "_mallopt", lambda: None)
    monkeypatch.delenv("MIMALLOC_PURGE_DELAY", raising=False)
    memory.reuse_freed_memory()
    assert memory.os.environ["MIMALLOC_PURGE_DELAY"] == "60000"
