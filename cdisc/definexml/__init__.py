"""define.xml 2.1 and its HTML view, generated from the specs and the data they describe.

:func:`write_define` builds the document (:mod:`.build`), renders it with the Jinja2 templates
in ``define/`` (:mod:`.render`), validates it against the Define-XML 2.1 XSD (:mod:`.schema`)
and checks it against the data (:mod:`.check`) before writing anything. Both ask the same questions of each dataset's
records (:func:`.build.define_questions`), answered once (:func:`.values.summarise`). A dataset's records may be given
as a loader: they are then read when the dataset is described and let go before the next one (with a
:class:`ColumnLoader`, a column at a time); or as the answers, made where the records were (:mod:`.summaries`: the worker
process that built the dataset).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from lxml import etree

from cdisc.definexml.acrf import render_acrf
from cdisc.definexml.build import DefineDataset, build_define
from cdisc.definexml.check import Finding, check_against_data
from cdisc.definexml.read import read_define
from cdisc.definexml.render import STYLESHEET, render_html, render_xml, stylesheet
from cdisc.definexml.schema import SCHEMA_ENV, DefineSchemaError, validate_define
from cdisc.definexml.values import ColumnLoader, DataValues, Frame
from cdisc.errors import DataError
from cdisc.sdtm.columns import column_usage
from cdisc.spec.load import Study

__all__ = [
    "SCHEMA_ENV",
    "ColumnLoader",
    "DefineDataset",
    "DefineMismatchError",
    "DefineSchemaError",
    "Finding",
    "Frame",
    "check_define",
    "data_frames",
    "generate_define",
    "write_define",
]


class DefineMismatchError(DataError):
    """define.xml disagrees with the data (datasets, variables, lengths or coded values); nothing was written."""

    def __init__(self, findings: list[Finding]):
        self.findings = findings
        lines = [str(f) for f in findings]
        super().__init__("\n".join(["define.xml disagrees with the data:", *lines]))


def data_frames(datasets: list[DefineDataset]) -> dict[str, Frame]:
    """Records (or their loader) per dataset name, SUPP-- datasets included (None: described from the spec alone)."""
    frames: dict[str, Frame] = {}
    for dataset in datasets:
        frames[dataset.name] = dataset.frame
        if getattr(dataset.meta, "supp", None):
            frames[f"SUPP{dataset.name}"] = dataset.supp_frame if dataset.frame is not None else None
    return frames


def check_define(
    define_xml: Path | bytes | etree._Element, frames: dict[str, Frame], data: DataValues | None = None
) -> list[Finding]:
    """Every disagreement between a define.xml (its file, bytes or parsed root) and the data (see :func:`data_frames`);
    ``data``: the frames' summaries made while building it (the records are then not read again)."""
    return check_against_data(read_define(define_xml), frames, data)


def write_define(study: Study, datasets: list[DefineDataset], folder: Path, schema: Path | None = None) -> list[Path]:
    """Write ``define.xml`` and ``define.html`` for ``datasets`` into ``folder``; return their paths.

    Raises :class:`DefineSchemaError` when the XML breaks the Define-XML 2.1 schema and
    :class:`DefineMismatchError` when it disagrees with the data; then nothing is written.
    """
    return generate_define(study, datasets, folder, schema)[0]


def generate_define(
    study: Study, datasets: list[DefineDataset], folder: Path, schema: Path | None = None
) -> tuple[list[Path], list[Finding]]:
    """:func:`write_define`, also returning the warnings of the check against the data.

    Each dataset's records are held only while it is described (a loader is called once); the check against the data
    reads what was worked out of them then.
    """
    data = DataValues()  # each frame summarised once, for building and for checking
    define = build_define(study, datasets, data)
    xml = render_xml(define)
    root = etree.fromstring(xml)  # parsed once, to validate and to read back
    validate_define(root, schema)
    findings = check_define(root, data_frames(datasets), data)
    errors = [f for f in findings if f.severity == "error"]
    if errors:
        raise DefineMismatchError(errors)
    folder.mkdir(parents=True, exist_ok=True)
    paths = [_write(folder / "define.xml", xml), _write(folder / "define.html", render_html(define)),
             _write(folder / STYLESHEET, stylesheet())]
    if define.acrf is not None:
        paths.append(_write(folder / define.acrf.href, render_acrf(study, column_usage(study))))
    return paths, findings


def _write(path: Path, content: bytes) -> Path:
    """Write through a temporary file beside ``path`` and rename, so a failure leaves no partial file."""
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(content)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return path
