"""The annotated CRF, generated from the specs as one HTML page: each raw form (table) with its fields and the
SDTM variables they map to (from the column reconciliation), so define.xml links only a file that is written."""

from __future__ import annotations

import pandas as pd

from cdisc.definexml.render import environment
from cdisc.spec.load import Study

ACRF = "acrf.html"


def render_acrf(study: Study, usage: pd.DataFrame) -> bytes:
    """The annotated CRF page for ``usage`` (:func:`cdisc.sdtm.columns.column_usage`), forms in table order."""
    forms = [
        (table, study.raw_tables[table].path.name, list(group[["column", "status", "target"]].itertuples(index=False, name=None)))
        for table, group in usage.groupby("table", sort=False)
    ]
    return environment().get_template("acrf.html.j2").render(study=study.spec.study.id, forms=forms).encode("utf-8")
