"""Validate define.xml against the Define-XML 2.1 XSD.

The schema set ships inside the package (``cdisc/definexml/schema``, unmodified CDISC/W3C
files; see its NOTICE.md), so validation never depends on files outside the install.
Another copy, e.g. with newer enumerations, can be used by pointing the environment variable
``CDISC_DEFINE_SCHEMA`` (or the ``schema`` argument) at a folder laid out like CDISC's
``schema/`` folder, holding ``cdisc-define-2.1/define2-1-0.xsd``.
"""

from __future__ import annotations

import os
from functools import cache
from importlib.resources import files
from pathlib import Path

from lxml import etree

from cdisc.errors import DataError, UsageError

SCHEMA_ENV = "CDISC_DEFINE_SCHEMA"
ENTRY = Path("cdisc-define-2.1") / "define2-1-0.xsd"
MAX_SHOWN = 20


class DefineSchemaError(DataError):
    """The generated define.xml does not conform to the Define-XML 2.1 schema; nothing was written."""

    def __init__(self, errors: list[str], schema: Path):
        self.errors = errors
        shown = [f"  {e}" for e in errors[:MAX_SHOWN]]
        more = [f"  ... and {len(errors) - MAX_SHOWN} more"] if len(errors) > MAX_SHOWN else []
        super().__init__(
            "\n".join([f"define.xml does not conform to the Define-XML 2.1 schema ({schema}):", *shown, *more])
        )


def schema_folder(folder: Path | None = None) -> Path:
    """The schema folder: ``folder``, else $CDISC_DEFINE_SCHEMA, else the copy shipped with the package."""
    chosen = folder or (Path(os.environ[SCHEMA_ENV]) if os.environ.get(SCHEMA_ENV) else None)
    if chosen is None:
        return Path(str(files("cdisc.definexml") / "schema"))
    if not (chosen / ENTRY).is_file():
        raise UsageError(f"{chosen}: not a Define-XML schema folder (no {ENTRY} in it); check {SCHEMA_ENV}")
    return chosen


@cache
def _schema(entry: Path) -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(entry)))


def validate_define(xml: bytes | etree._Element, folder: Path | None = None) -> None:
    """Raise :class:`DefineSchemaError` listing every schema error of ``xml`` (its bytes or its parsed root; line: message)."""
    entry = schema_folder(folder) / ENTRY
    schema = _schema(entry.resolve())
    if schema.validate(xml if isinstance(xml, etree._Element) else etree.fromstring(xml)):
        return
    errors = [f"line {e.line}: {e.message}" for e in schema.error_log]
    raise DefineSchemaError(errors, entry)
