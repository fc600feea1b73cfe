"""Whether the run already in an output folder is the run asked for: same inputs, same settings, outputs untouched.

A run's *key* is one SHA-256 over what its outputs are made from: the hash of every dataset's own inputs (its spec,
the raw tables it reads, the shared spec files, cdisc's code and its dependencies' versions,
:func:`cdisc.incremental.own_input_hashes`), every input file the manifest lists (a raw table no spec reads
still counts in the reconciliation), the dataset formats written, the validation standards, and the creation time
when it is fixed (``--created``, ``--reproducible``; the current time is when the outputs were made, not what they
are made from), and the other run's folder a change report compares with (``--compare-to``: a later run without it
compares with the folder's own run, so it is another run). ``reports/run.json`` records it. ``cdisc run`` leaves a folder whose run has the same key, and whose
output files all still have the SHA-256 the manifest lists, as it is: there is nothing to convert.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from cdisc.manifest import combined_hash, files_as_listed, folder_digest, read_manifest

__all__ = ["converted_run", "run_key"]


def run_key(own_hashes: Mapping[str, str], inputs: Mapping[str, str], formats: tuple[str, ...], created: dt.datetime | None,
            standards: Path | None, compared_to: Path | None = None) -> str:
    """The key of a run (see the module's docstring); ``created`` is None when the run stamps the current time;
    ``compared_to`` the folder of another run its change report compares with (``--compare-to``), if any.

    >>> key = run_key({"DM": "a"}, {"raw/dm.csv": "b"}, ("xpt",), None, None)
    >>> key == run_key({"DM": "a"}, {"raw/dm.csv": "b"}, ("xpt",), None, None), key == run_key({"DM": "a"}, {}, ("xpt",), None, None)
    (True, False)
    """
    parts = {f"dataset/{name}": digest for name, digest in own_hashes.items()} | {f"input/{name}": digest for name, digest in inputs.items()}
    parts |= {"@formats": ",".join(formats), "@created": created.isoformat() if created else "now"}
    if standards is not None:
        parts["@standards"] = folder_digest(standards)
    if compared_to is not None:
        parts["@compared_to"] = compared_to.resolve().as_posix()
    return combined_hash(parts)


def converted_run(folder: Path, key: str) -> dict[str, Any] | None:
    """The manifest (``reports/run.json``) of the run in ``folder`` when its key is ``key`` and every output file it
    lists is there with the SHA-256 it lists; else None (no run there, another key, an output edited or removed)."""
    manifest = read_manifest(folder)
    if manifest.get("run_sha256") != key:
        return None
    return manifest if files_as_listed(folder, manifest.get("outputs")) is not None else None

