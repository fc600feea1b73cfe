"""Compare two dataset files, or two folders of them searched recursively and paired by relative path and name.

A comparison that compares nothing never passes: when no dataset could be
paired (empty folders, a mistyped path, a folder holding only other files) or
none of the pairs could be compared, :func:`compare_paths` raises
:class:`CompareInputError` (exit code 2) saying why.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from cdisc.compare.engine import (
    CompareInputError,
    DatasetDiff,
    Selection,
    Tolerance,
    compare_tables,
)
from cdisc.compare.tables import SKIPPED_FOLDERS, SUFFIXES, dataset_files, read_table
from cdisc.errors import DataError


@dataclass
class Comparison:
    """The result of ``cdisc diff``: one :class:`DatasetDiff` per pair, datasets on one side only, pairs not compared."""

    base: str
    compare: str
    datasets: list[DatasetDiff] = field(default_factory=list)
    only_base: list[str] = field(default_factory=list)
    only_compare: list[str] = field(default_factory=list)
    not_compared: list[str] = field(default_factory=list)  # "<pair>: <reason>"

    @property
    def equal(self) -> bool:
        return not self.differs and not self.not_compared

    @property
    def differs(self) -> bool:
        """A difference was found: a dataset on one side only, or a compared pair that differs."""
        return bool(self.only_base or self.only_compare or any(not d.equal for d in self.datasets))

    @property
    def exit_code(self) -> int:
        """0 equal, 1 different, 2 nothing different found but some pairs could not be compared."""
        return 1 if self.differs else 2 if self.not_compared else 0

    @property
    def verdict(self) -> str:
        return "DIFFERENT" if self.differs else "INCOMPLETE" if self.not_compared else "EQUAL"

    @property
    def records_compared(self) -> int:
        """Records matched by key (or position) and compared value by value, over every dataset."""
        return sum(d.matched for d in self.datasets)


def compare_paths(
    base: Path,
    compare: Path,
    keys: dict[str, list[str]] | None = None,
    tolerances: dict[str, Tolerance] | None = None,
    max_records: int = 20,
    selections: dict[str, Selection] | None = None,
) -> Comparison:
    """Compare two files, or every dataset found in both of two folders.

    ``keys`` and ``selections`` map a lower-case dataset name (``adae``) or
    ``"*"`` (every dataset) to key variables and to what to compare. A dataset
    without keys given takes them from the ``define.xml`` beside the base file
    (a ``cdisc run`` output), else is compared by record position.
    """
    keys, selections = keys or {}, selections or {}
    result = Comparison(str(base), str(compare))
    for path in (base, compare):
        if not path.exists():
            raise CompareInputError(f"{path}: no such file or folder; nothing compared")
    if base.is_dir() != compare.is_dir():
        raise CompareInputError(f"compare a folder with a folder or a file with a file: {base} and {compare}")
    if base.is_dir():
        left, right = dataset_files(base), dataset_files(compare)
        pairs, result.only_base, result.only_compare = pair_files(left, right, base, compare)
        if not pairs:
            raise CompareInputError(_nothing_paired(base, compare, left, right))
    else:
        pairs = [(base, compare)]
    defined: dict[Path, dict[str, list[str]]] = {}
    for left_path, right_path in pairs:
        name = left_path.stem.lower()
        dataset_keys = keys.get(name, keys.get("*"))
        from_define = dataset_keys is None and bool(define_keys(left_path.parent, defined).get(name))
        if dataset_keys is None:
            dataset_keys = define_keys(left_path.parent, defined).get(name, [])
        try:
            tables = read_table(left_path), read_table(right_path)
            diff = compare_tables(*tables, dataset_keys, tolerances, max_records, selections.get(name, selections.get("*")))
        except DataError as exc:  # CompareInputError too: this pair is reported, the others still compared
            result.not_compared.append(str(exc))
            continue
        if from_define:
            diff.notes.append(f"keys from {left_path.parent / 'define.xml'}")
        result.datasets.append(diff)
    if not result.datasets:
        reasons = "\n".join(f"  {reason}" for reason in result.not_compared)
        raise CompareInputError(f"nothing compared: no pair of datasets could be compared:\n{reasons}")
    return result


def define_keys(folder: Path, cache: dict[Path, dict[str, list[str]]]) -> dict[str, list[str]]:
    """Keys of the datasets a folder's ``define.xml`` describes (lower-case name -> key variables); none without one."""
    if folder not in cache:
        cache[folder] = {}
        if (folder / "define.xml").is_file():
            from cdisc.definexml.read import read_define

            try:
                summary = read_define(folder / "define.xml")
            except (OSError, ValueError):  # lxml's XMLSyntaxError is a ValueError: an unreadable define.xml gives no keys
                return cache[folder]
            cache[folder] = {name.lower(): dataset.keys for name, dataset in summary.datasets.items() if dataset.keys}
    return cache[folder]


def pair_files(
    left: dict[str, Path], right: dict[str, Path], base: Path, compare: Path
) -> tuple[list[tuple[Path, Path]], list[str], list[str]]:
    """Pairs of files with the same relative path (``adam/adsl``); then, among the rest, the same dataset name
    when it is found once on each side (``adsl.csv`` beside ``adam/adsl.xpt``). Also the unpaired files of each side."""
    pairs = {k: (left[k], right[k]) for k in left if k in right}
    rest = [{k: p for k, p in side.items() if k not in pairs} for side in (left, right)]
    by_name: list[dict[str, list[str]]] = [defaultdict(list), defaultdict(list)]
    for side, found in zip(rest, by_name):
        for key, path in side.items():
            found[path.stem.lower()].append(key)
    for name, keys in by_name[0].items():
        others = by_name[1].get(name, [])
        if len(keys) == 1 and len(others) == 1:
            pairs[keys[0]] = (rest[0].pop(keys[0]), rest[1].pop(others[0]))
    unpaired = [
        sorted(p.relative_to(root).as_posix() for p in side.values()) for side, root in zip(rest, (base, compare))
    ]
    return [pairs[k] for k in sorted(pairs)], unpaired[0], unpaired[1]


def _nothing_paired(base: Path, compare: Path, left: dict[str, Path], right: dict[str, Path]) -> str:
    kinds = ", ".join(SUFFIXES)
    searched = f"folders are searched recursively for {kinds} files, skipping {', '.join(f'{f}/' for f in SKIPPED_FOLDERS)}"
    empty = [str(path) for path, found in ((base, left), (compare, right)) if not found]
    if empty:
        return f"nothing compared: no dataset files in {' or '.join(empty)} ({searched})"
    names = [", ".join(p.relative_to(root).as_posix() for p in found.values()) for root, found in ((base, left), (compare, right))]
    return f"nothing compared: no dataset is in both folders (base: {names[0]}; compare: {names[1]})"
