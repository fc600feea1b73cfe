"""The memory of a run: reused while a dataset is built, handed back to the system when it is done.

A build allocates and frees the same large arrays over and over (a column of a million records per variable). Memory
new to a process costs system time to map and clear (at 10,000 subjects it was a third of the run's CPU), so
:func:`reuse_freed_memory`, called as the command starts, keeps freed memory in the process: glibc's malloc serves
numpy's arrays up to 32 MiB from its heap and keeps up to 1 GiB free at its top instead of giving it back at once. Arrow
allocates from the same malloc (its "system" pool) rather than its default, mimalloc, which keeps the memory one thread
frees of what another allocated (Arrow's reader threads read the raw tables and the datasets handed between tasks) until
that thread allocates again: at 10,000 subjects the run's process held ~400 MB of raw columns it had let go of, and a
worker process as much again between tasks. A worker process, as a task starts and ends, hands what it holds but no
longer uses back to the system once it holds :data:`RELEASE_GROWTH` more than just after it last did
(:func:`release_memory_grown`), so that it does not keep a large task's memory while the other worker needs it.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
import os
from functools import cache

__all__ = ["RELEASE_ABOVE", "RELEASE_GROWTH", "release_memory", "release_memory_grown", "resident_bytes", "reuse_freed_memory"]

_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3  # mallopt's parameters (glibc's malloc.h)

#: Above this many values (records x columns) an ADaM build hands the memory it freed back to the system before it copies its
#: variables into key order (:func:`release_memory`, ~10-70 ms: more than the rest of a small dataset's build).
RELEASE_ABOVE = 2_000_000

#: A worker process hands freed memory back to the system as a task starts or ends once it holds this much more than
#: just after it last did (:func:`release_memory_grown`): less stays for the next task to reuse than the other worker may need.
RELEASE_GROWTH = 64 * 2**20

_held_after_release: dict[int, int] = {}  # resident bytes just after the process (by ID: not those it was forked from) last handed memory back


@cache
def _malloc_trim():
    """glibc's ``malloc_trim``, or None where the C library has none (musl, macOS)."""
    trim = _libc("malloc_trim")
    if trim is not None:
        trim.argtypes, trim.restype = [ctypes.c_size_t], ctypes.c_int
    return trim


@cache
def _mallopt():
    """glibc's ``mallopt``, or None."""
    mallopt = _libc("mallopt")
    if mallopt is not None:
        mallopt.argtypes, mallopt.restype = [ctypes.c_int, ctypes.c_int], ctypes.c_int
    return mallopt


def _libc(function: str):
    name = ctypes.util.find_library("c")
    return getattr(ctypes.CDLL(name), function, None) if name else None


def reuse_freed_memory() -> None:
    """Keep freed memory in this process (and the worker processes forked from it) for the next allocations, Arrow's
    included. Called before pyarrow is imported: Arrow reads its pool's name (here, unless the environment sets it) as it
    loads.

    >>> reuse_freed_memory()  # nothing to see: the run's system time falls
    """
    os.environ.setdefault("ARROW_DEFAULT_MEMORY_POOL", "system")
    mallopt = _mallopt()
    if mallopt is not None:
        mallopt(_M_MMAP_THRESHOLD, 32 * 2**20)  # glibc's largest: a fixed threshold, not one that moves down again
        mallopt(_M_TRIM_THRESHOLD, 2**30)


def resident_bytes() -> int:
    """This process's resident memory in bytes (Linux's ``/proc/self/statm``; 0 where there is none).

    >>> resident_bytes() > 0
    True
    """
    try:
        with open("/proc/self/statm", "rb") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except OSError:
        return 0


def release_memory_grown() -> None:
    """:func:`release_memory` when this process holds more than :data:`RELEASE_GROWTH` beyond what it held just after
    it last did so (or when this was first called): called as each task of a worker process starts and ends, whatever
    the task read or built, so that the memory a large task freed is not kept while the other worker builds, and by the
    run's own process around its tail work (reconciling, define.xml) while the workers run the check tasks. The memory
    a small task touched stays for the next one to reuse.

    >>> release_memory_grown()  # nothing to see: at most, the process holds less afterwards
    """
    mark = _held_after_release.get(os.getpid())
    if mark is None:
        _held_after_release[os.getpid()] = resident_bytes()
    elif resident_bytes() > mark + RELEASE_GROWTH:
        release_memory()


def release_memory() -> None:
    """Collect unreachable objects, then hand the free memory of Arrow's pool and of the C heap back to the system.

    >>> release_memory()  # nothing to see: the process only holds less memory afterwards
    """
    import pyarrow as pa  # (not at import: see reuse_freed_memory)

    gc.collect()
    pa.default_memory_pool().release_unused()
    trim = _malloc_trim()
    if trim is not None:
        trim(0)
    _held_after_release.clear()  # (a forked process's own mark only)
    _held_after_release[os.getpid()] = resident_bytes()
