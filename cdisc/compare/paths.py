"""Compare two dataset files, or two folders of them paired by dataset name."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from cdisc.compare.engine import (
    CompareInputError,
    DatasetDiff,
    Tolerance,
    compare_tables,
)
from cdisc.compare.tables import dataset_files, read_table
from cdisc.errors import DataError


@dataclass
class Comparison:
    """The result of ``cdisc diff``: one :class:`DatasetDiff` per pair, and datasets found on one side only."""

    base: str
    compare: str
    datasets: list[DatasetDiff] = field(default_factory=list)
    only_base: list[str] = field(default_factory=list)
    only_compare: list[str] = field(default_factory=list)

    @property
    def equal(self) -> bool:
        return not self.only_base and not self.only_compare and all(d.equal for d in self.datasets)


def compare_paths(
    base: Path,
    compare: Path,
    keys: dict[str, list[str]] | None = None,
    tolerances: dict[str, Tolerance] | None = None,
    max_records: int = 20,
) -> Comparison:
    """Compare two files, or every same-named dataset of two folders.

    ``keys`` maps a lower-case dataset name (``adae``) or ``"*"`` (every
    dataset) to its key variables; a dataset without keys is compared by
    record position.
    """
    keys = keys or {}
    result = Comparison(str(base), str(compare))
    for path in (base, compare):
        if not path.exists():
            raise CompareInputError(f"{path}: no such file or folder")
    if base.is_dir() != compare.is_dir():
        raise CompareInputError(f"compare a folder with a folder or a file with a file: {base} and {compare}")
    if base.is_dir():
        left, right = dataset_files(base), dataset_files(compare)
        result.only_base = [left[n].name for n in left if n not in right]
        result.only_compare = [right[n].name for n in right if n not in left]
        pairs = [(left[n], right[n]) for n in left if n in right]
    else:
        pairs = [(base, compare)]
    for left_path, right_path in pairs:
        name = left_path.stem.lower()
        dataset_keys = keys.get(name, keys.get("*", []))
        try:
            tables = read_table(left_path), read_table(right_path)
        except DataError as exc:
            raise CompareInputError(str(exc)) from None
        result.datasets.append(compare_tables(*tables, dataset_keys, tolerances, max_records))
    return result
