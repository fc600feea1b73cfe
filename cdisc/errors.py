"""Typed errors that the CLI turns into messages and exit codes.

Every error the package raises on bad input derives from :class:`CdiscError`.
The CLI prints ``str(error)`` (never a traceback) and exits with
``error.exit_code``: 2 for a bad spec or bad usage, 1 for bad data.
"""

from __future__ import annotations

from dataclasses import dataclass, field


class CdiscError(Exception):
    """Base class of every error reported to users; ``str()`` is the full message."""

    exit_code = 1


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
    """Input data that cannot be converted as the spec says (message names file, rows and variable)."""

    exit_code = 1
