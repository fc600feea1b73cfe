"""What an audit trail needs of a run: the SHA-256 of every input and output file, one hash of the
specs as a whole, and the versions of cdisc, its dependencies and the controlled terminology.

The inputs of a study are its spec files (``study.yaml``, the codelists file, every dataset spec, the
CT files it names), the raw files of its extract and the input datasets it reads. Each dataset's own
inputs (its spec, the raw tables it reads, the shared spec files) and the records of the datasets it is built
from give its *input hash*, which ``cdisc run`` records so that a rerun rebuilds only what changed
(:mod:`cdisc.incremental`).
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
import platform
import re
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # (the change report reads manifests, and the rules the specs load import it)
    from cdisc.spec.load import Study

__all__ = [
    "combined_hash", "dependency_versions", "files_as_listed", "folder_digest", "inside", "json_object", "read_manifest", "sha256_file",
    "sha256_files", "shared_spec_files", "spec_files", "study_inputs",
]  # fmt: skip


def sha256_file(path: Path) -> str:
    """The SHA-256 of a file's bytes, as hex (read into one reused buffer)."""
    with open(path, "rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def sha256_files(paths: Sequence[Path]) -> dict[Path, str]:
    """The SHA-256 of each file, as hex, by path: two files at a time (hashlib lets go of the GIL while it
    hashes, the reads too), the largest first so that the two threads finish together.

    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp())
    >>> (folder / "a").write_bytes(b"abc")
    3
    >>> sha256_files([folder / "a"])[folder / "a"][:16]
    'ba7816bf8f01cfea'
    """
    files = sorted(paths, key=lambda path: path.stat().st_size, reverse=True)
    with ThreadPoolExecutor(max_workers=2) as pool:
        digests = dict(zip(files, pool.map(sha256_file, files)))
    return {path: digests[path] for path in paths}


@lru_cache(maxsize=4)
def folder_digest(folder: Path) -> str:
    """One SHA-256 of every file in ``folder`` by its path in it (compiled bytecode aside): what is made from a
    package's code or a standards folder holds for (read once per process).

    >>> import tempfile; folder = Path(tempfile.mkdtemp()); _ = (folder / "a.py").write_text("x")
    >>> folder_digest(folder) == combined_hash({"a.py": sha256_file(folder / "a.py")})
    True
    """
    files = [p for p in sorted(folder.rglob("*")) if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".pyc"]
    return combined_hash({p.relative_to(folder).as_posix(): sha256_file(p) for p in files})


def combined_hash(hashes: Mapping[str, str]) -> str:
    """One SHA-256 over named hashes, independent of their order.

    >>> combined_hash({"b": "2", "a": "1"}) == combined_hash({"a": "1", "b": "2"})
    True
    """
    digest = hashlib.sha256()
    for name in sorted(hashes):
        digest.update(f"{name}\0{hashes[name]}\n".encode())
    return digest.hexdigest()


def inside(name: str) -> bool:
    """Whether a file name a manifest lists stays inside its folder (relative, no ``..``).

    >>> [inside(n) for n in ("sdtm/dm.xpt", "../x", "/etc/passwd", "a/../../b")]
    [True, False, False, False]
    """
    path = Path(name)
    return not path.is_absolute() and ".." not in path.parts


def read_manifest(folder: Path) -> dict[str, Any]:
    """The manifest (``reports/run.json``) of the run in the output folder ``folder``; empty when there is none or it is
    not a run's manifest (edited, damaged).

    >>> import tempfile
    >>> read_manifest(Path(tempfile.mkdtemp()))
    {}
    """
    return json_object(folder / "reports" / "run.json")


def json_object(path: Path) -> dict[str, Any]:
    """The JSON object in the file at ``path`` (one the tool wrote: a manifest, a cache record); empty when there is no
    such file or it holds no JSON object (edited, damaged).

    >>> import tempfile; folder = Path(tempfile.mkdtemp()); _ = (folder / "a.json").write_text("[1, 2]")
    >>> json_object(folder / "a.json"), json_object(folder / "b.json")
    ({}, {})
    """
    try:
        found = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return found if isinstance(found, dict) else {}


def files_as_listed(folder: Path, listed: object) -> dict[str, Path] | None:
    """The files a listing names (``listed``: path in ``folder`` -> SHA-256, as a manifest or a cache entry keeps it), by
    name, when every name stays inside ``folder`` and each is a file there (not a link) whose bytes have the SHA-256
    listed; else None (a listing that is not one, a file removed, edited or replaced).

    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp()); _ = (folder / "a").write_bytes(b"abc")
    >>> digest = sha256_file(folder / "a")
    >>> [files_as_listed(folder, x) is not None for x in ({"a": digest}, {"a": "0"}, {"../a": digest}, ["a"])]
    [True, False, False, False]
    """
    if not isinstance(listed, dict) or not all(isinstance(name, str) and inside(name) for name in listed):
        return None
    paths = {name: folder / name for name in listed}
    if not all(path.is_file() and not path.is_symlink() for path in paths.values()):
        return None
    digests = sha256_files(list(paths.values()))
    return paths if all(digests[path] == listed[name] for name, path in paths.items()) else None


def shared_spec_files(study: Study) -> dict[str, Path]:
    """The spec files every dataset reads: study.yaml, the codelists file, the CT files."""
    files = {"study.yaml": study.folder / "study.yaml"}
    if study.spec.codelists is not None and study.resolve(study.spec.codelists).is_file():
        files[study.spec.codelists.as_posix()] = study.resolve(study.spec.codelists)
    for path in (study.spec.terminology.sdtm, study.spec.terminology.adam):
        if path is not None:
            files[path.as_posix()] = study.resolve(path)
    return files


def spec_files(study: Study) -> dict[str, Path]:
    """Every dataset spec file by dataset name."""
    return {name: Path(dataset.doc.file).resolve() for name, dataset in study.datasets.items()}


def _named(path: Path, folder: Path) -> str:
    """``path`` relative to ``folder`` when inside it, else its file name."""
    try:
        return path.resolve().relative_to(folder.resolve()).as_posix()
    except ValueError:
        return path.name


def study_inputs(study: Study) -> dict[str, Path]:
    """Every input file of a run, named as the manifest lists it (``spec/...``, ``raw/...``, ``inputs/...``)."""
    files = {f"spec/{name}": path for name, path in shared_spec_files(study).items()}
    files |= {f"spec/{_named(path, study.folder)}": path for path in spec_files(study).values()}
    files |= {f"raw/{table.path.name}": table.path for table in study.raw_tables.values()}
    files |= {f"inputs/{path.name}": path for path in study.input_files.values() if path is not None}
    return files


def dependency_versions(requirements: Iterable[str] | None = None) -> dict[str, str | None]:
    """Installed versions of cdisc's declared dependencies (None when one is not installed) and Python's."""
    if requirements is None:
        requirements = importlib.metadata.requires("cdisc") or []
    names = sorted({re.split(r"[\s;<>=!~\[]", r, maxsplit=1)[0] for r in requirements if "extra ==" not in r})
    versions: dict[str, str | None] = {"python": platform.python_version()}
    for name in names:
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            versions[name] = None
    return versions
