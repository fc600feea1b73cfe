"""Typed errors that the CLI turns into messages and exit codes.

Every error the package raises on bad input derives from :class:`CdiscError`.
The CLI prints ``str(error)`` (never a traceback) and exits with
``error.exit_code``: 2 for a bad spec or bad usage, 1 for bad data.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any


class CdiscError(Exception):
    """Base class of every error reported to users; ``str()`` is the full message.

    ``epilogue``: what the command did about it (e.g. where the query list was written), printed after the message.
    """

    exit_code = 1
    epilogue = ""


@dataclass(frozen=True)
class SpecIssue:
    """One problem in a spec file, located to file, line and column.

    ``subject`` is the dataset and variable (``AE.AESTDTC``) or the part of
    ``study.yaml`` (``study.raw``) the problem belongs to.
    """

    file: str
    line: int
    column: int
    subject: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}:{self.column}"
        return f"{where}: {self.subject}: {self.message}" if self.subject else f"{where}: {self.message}"


@dataclass
class SpecError(CdiscError):
    """One or more problems in the study's spec files; nothing was run."""

    issues: list[SpecIssue] = field(default_factory=list)
    exit_code = 2

    def __str__(self) -> str:
        lines = [str(issue) for issue in self.issues]
        noun = "problem" if len(self.issues) == 1 else "problems"
        lines.append(f"{len(self.issues)} {noun} in the spec; nothing was run.")
        return "\n".join(lines)


class UsageError(CdiscError):
    """The command was called wrongly (missing folder, bad option value)."""

    exit_code = 2


class DataError(CdiscError):
    """Input data that cannot be converted as the spec says (message names file, rows and variable).

    Besides the message, an error may say where it is as data, for the data manager's queries:
    ``dataset``, ``variable`` and, per offending record, its raw ``files``, ``raw_rows``,
    ``subjects`` and collected ``values`` (aligned tuples, empty when not known).
    """

    exit_code = 1

    def __init__(
        self, message: str = "", *, dataset: str = "", variable: str = "",
        files: Sequence[str] = (), raw_rows: Sequence[int] = (), subjects: Sequence[str] = (), values: Sequence[str] = (),
    ):
        super().__init__(message)
        self.dataset, self.variable = dataset, variable
        self.files, self.raw_rows = tuple(files), tuple(raw_rows)
        self.subjects, self.values = tuple(subjects), tuple(values)

    def queries(self) -> list[Query]:
        """One query per offending record (one without a record when none is known)."""
        message = str(self)
        count = max(len(self.files), len(self.raw_rows), len(self.subjects), len(self.values), 1)

        def at(values: tuple, i: int, default: Any) -> Any:
            return values[i] if i < len(values) else default

        return [
            Query(
                self.dataset, self.variable, at(self.files, i, ""), at(self.raw_rows, i, None),
                at(self.subjects, i, ""), at(self.values, i, ""), message,
            )
            for i in range(count)
        ]


@dataclass(frozen=True)
class Query:
    """One data point for the data manager to query: where it is, what was collected, what is wrong."""

    dataset: str
    variable: str
    file: str
    row: int | None
    subject: str
    value: str
    message: str


class DataErrors(DataError):
    """Several data errors, collected over everything that could be built.

    ``skipped`` maps a dataset that was not built to the failed datasets it needs.
    """

    def __init__(self, errors: Sequence[DataError], skipped: dict[str, list[str]] | None = None):
        self.errors: list[DataError] = [e for error in errors for e in (error.errors if isinstance(error, DataErrors) else [error])]
        self.skipped = dict(skipped or {})
        super().__init__("")

    def queries(self) -> list[Query]:
        return [query for error in self.errors for query in error.queries()]

    def __str__(self) -> str:
        lines = [str(error) for error in self.errors]
        lines += [f"{name}: not built, it needs {', '.join(needs)}, which failed" for name, needs in self.skipped.items()]
        return "\n".join(lines)
