"""The coding team's results as an EDC extract carries them: MedDRA on the AE log, WHODrug on the CM log.

Both are looked up from the design's dictionaries (``coding`` in ``specs/simulation.yaml``) by the clean
verbatim term, before the extract's mess is added, so a mis-typed verbatim still carries its code, as
coded data does. Dictionary text is written in upper case, as the extract's other coded columns.
"""

from __future__ import annotations

import pandas as pd

from cdisc.simulate.design import Meddra, Whodrug

#: Raw AE columns from MedDRA: the LLT (the reported term's own), then PT, HLT, HLGT and primary SOC, each with its code.
MEDDRA_COLUMNS = ["AELLT", "AELLTCD", "AEPT", "AEPTCD", "AEHLT", "AEHLTCD", "AEHLGT", "AEHLGTCD", "AESOC", "AESOCCD"]
#: Raw CM columns from WHODrug: preferred name, drug code, ATC level 4 text and code.
WHODRUG_COLUMNS = ["CMPN", "CMDRGCD", "CMATC4", "CMATC4CD"]


def meddra_coding(terms: pd.Series, meddra: Meddra) -> pd.DataFrame:
    """The MedDRA columns for each reported term (a PT reported as its own LLT); blank for a blank term.

    >>> from cdisc.simulate.design import MeddraTerm
    >>> nausea = MeddraTerm(pt="Nausea", pt_code=10028813, hlt="Nausea and vomiting symptoms", hlt_code=10028817,
    ...                     hlgt="Gastrointestinal signs and symptoms", hlgt_code=10018012,
    ...                     soc="Gastrointestinal disorders", soc_code=10017947)
    >>> coded = meddra_coding(pd.Series(["Nausea", ""]), Meddra(version="26.1", terms=[nausea]))
    >>> coded.loc[0, ["AELLTCD", "AEPT", "AEHLT", "AESOCCD"]].tolist()
    ['10028813', 'NAUSEA', 'NAUSEA AND VOMITING SYMPTOMS', '10017947']
    >>> bool(coded.loc[1].eq("").all())
    True
    """
    table = pd.DataFrame([t.model_dump() for t in meddra.terms]).set_index("pt", drop=False)
    table = table.assign(llt=table["pt"], llt_code=table["pt_code"])
    found = table.reindex(terms.to_numpy())
    out = pd.DataFrame(index=terms.index)
    for column in MEDDRA_COLUMNS:
        level = column[2:].removesuffix("CD").lower()
        values = found[f"{level}_code"].astype("Int64").astype("string") if column.endswith("CD") else found[level].str.upper()
        out[column] = values.fillna("").to_numpy()
    return out


def whodrug_coding(verbatim: pd.Series, whodrug: Whodrug) -> pd.DataFrame:
    """The WHODrug columns for each verbatim medication name (matched whatever its case).

    >>> from cdisc.simulate.design import WhodrugDrug
    >>> drug = WhodrugDrug(verbatim="Paracetamol", name="PARACETAMOL", code="00020001001", atc="N02BE", atc_text="ANILIDES")
    >>> whodrug_coding(pd.Series(["PARACETAMOL"]), Whodrug(version="GLOBALB3Sep23", drugs=[drug]))
              CMPN      CMDRGCD    CMATC4 CMATC4CD
    0  PARACETAMOL  00020001001  ANILIDES    N02BE
    """
    table = pd.DataFrame([d.model_dump() for d in whodrug.drugs])
    table = table.set_index(table["verbatim"].str.upper())[["name", "code", "atc_text", "atc"]]
    found = table.reindex(verbatim.str.upper().to_numpy()).fillna("")
    found.columns = WHODRUG_COLUMNS
    return found.set_index(verbatim.index)
