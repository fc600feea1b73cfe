"""Records a step makes per group of source records: the group's lineage, then ``set_values_to``."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from pandas.api.extensions import take

from cdisc.adam.bds import Value
from cdisc.adam.derivations import matched_positions


def group_records(source: pd.DataFrame, by_vars: Sequence[str], new: pd.DataFrame, values: Mapping[str, Value]) -> pd.DataFrame:
    """``new`` (records keyed by ``by_vars``) with the lineage columns (``@...``) of the first source record of
    their group, so that each made record points at the records it was made from, then ``values`` set in order.
    The source's other columns are there too, missing (as admiral's new records: what a step does not set is NA).

    >>> source = pd.DataFrame({"ID": ["1", "1", "2"], "@record": [0, 1, 2], "X": [5, 6, 7]})
    >>> group_records(source, ["ID"], pd.DataFrame({"ID": ["1", "2"], "P": ["A", "A"]}), {"Q": "x"}).values.tolist()
    [['1', 'A', 0, nan, 'x'], ['2', 'A', 2, nan, 'x']]
    """
    lineage = [c for c in source.columns if c.startswith("@") and c not in new.columns]
    new = new.copy()
    if lineage:  # (matched by group: ``new``'s keys may be held text, the source's plain text)
        first = source.groupby(list(by_vars), dropna=False, sort=False)[lineage].first().reset_index()
        at = matched_positions(new, first, list(by_vars))
        taken = pd.DataFrame({c: take(first[c].array, at, allow_fill=True) for c in lineage})
        new = pd.concat([new.reset_index(drop=True), taken], axis=1)
    absent = [c for c in source.columns if c not in new.columns]
    new = pd.concat([new, pd.DataFrame(np.nan, index=new.index, columns=absent)], axis=1)
    for name, value in values.items():
        result = value(new) if callable(value) else value
        new[name] = result.to_numpy() if isinstance(result, pd.Series) else result
    return new
