"""The concordance listing of a response dataset: where a derived response and the investigator's differ, and why."""

from __future__ import annotations

import pandas as pd

from cdisc.adam.recist import derive_concordance
from cdisc.reports.spec import ConcordanceListing


def concordance_listing(frame: pd.DataFrame, dataset: str, params: ConcordanceListing) -> str:
    """A text table of :func:`cdisc.adam.recist.derive_concordance` between the ``params.derived`` and
    ``params.investigator`` records of ``frame`` (PARAMCD, AVALC, the keys and components), with counts.

        >>> adrs = pd.DataFrame({"USUBJID": ["1", "1"], "AVISITN": [1, 1], "PARAMCD": ["OVRDRV", "OVR"],
        ...                      "AVALC": ["SD", "PR"], "TRGRESP": ["SD", "PR"]})
        >>> print(concordance_listing(adrs, "ADRS", ConcordanceListing(derived="OVRDRV", investigator="OVR",
        ...                                                              components=["TRGRESP"])).splitlines()[2])
        1 of 1 assessment(s) differ.
    """
    keys, components = list(params.keys), list(params.components)

    def side(code: str) -> pd.DataFrame:
        rows = frame[frame["PARAMCD"].eq(code).to_numpy()]
        return rows[[*keys, *components]].assign(OVRLRESP=rows["AVALC"].to_numpy())

    derived, investigator = side(params.derived), side(params.investigator)
    table = derive_concordance(derived, investigator, keys=keys, components=components)
    compared = len(derived.merge(investigator[keys], on=keys, how="outer"))
    lines = [f"{dataset}: {params.derived} (derived) against {params.investigator} (investigator), per {', '.join(keys)}", "",
             f"{len(table)} of {compared} assessment(s) differ.", ""]
    if len(table):
        lines.append(table.rename(columns={"DERIVED": params.derived, "INVESTIGATOR": params.investigator})
                     .to_string(index=False, na_rep=""))
    return "\n".join(lines) + "\n"
