"""Pausing Python's cyclic garbage collector while the package makes objects that live on.

Importing the package for ``cdisc run`` makes hundreds of thousands of objects (modules, functions, classes, pydantic
schemas) that live as long as the process. Each collection they set off scans them and frees next to nothing, and
every full collection after them scans them again (measured on the 60-subject example: 0.14-0.16 s of full
collections in the run's own process before its study is frozen, :func:`gc.freeze` in :mod:`cdisc.study`). The command
imports with the collector paused, then freezes what the imports made (:mod:`cdisc.cli`).
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def collector_paused() -> Iterator[None]:
    """No garbage collection inside the block; the collector as it was after it.

        >>> with collector_paused():
        ...     gc.isenabled()
        False
        >>> gc.isenabled()
        True
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
