"""A dataset spec's ``variables:`` list as the loader reads it, for a merge that edits the list.

The loader expands each ``copy_from`` entry into the variables it names, writes SDTM variables in
SDTMIG order (a variable the IG does not define after the one listed before it) and writes no
temporary variable. So the order of a spec file's entries is not the order of its variables: a
merge compares the order a workbook gives with the order the edited list would load in
(:func:`written`), and moves entries only when they differ (:func:`arranged`).
"""

from __future__ import annotations

from typing import Any

from cdisc.spec.copy import with_copied_variables
from cdisc.spec.yamlsource import YamlDocument
from cdisc.standards_meta import ig_order


def holders(entries: list[Any], dataset: str, others: dict[str, YamlDocument]) -> list[tuple[int, str, bool]]:
    """Per variable the loader builds from ``entries``: the index of the entry holding it, its name, and whether
    it is temporary. ``others``: the study's dataset documents, which ``copy_from`` entries copy from.

    >>> holders([{"name": "AETERM"}, {"name": "X", "temporary": True}], "AE", {})
    [(0, 'AETERM', False), (1, 'X', True)]
    """
    own = [e for e in entries if "copy_from" not in e]
    found = []
    for index, entry in enumerate(entries):
        if "copy_from" in entry:
            doc, _ = with_copied_variables(YamlDocument("", {"dataset": dataset, "variables": [*own, entry]}), others)
            found += [(index, str(v["name"]), False) for v in doc.data["variables"][len(own):]]
        else:
            found.append((index, str(entry["name"]), bool(entry.get("temporary"))))
    return found


def written(held: list[tuple[int, str, bool]], dataset: str, klass: str) -> list[str]:
    """The written variables of :func:`holders`' list, in the order the loader gives them.

    >>> written([(0, "AETERM", False), (1, "X", True), (2, "AESEQ", False)], "AE", "EVENTS")
    ['AESEQ', 'AETERM']
    """
    order = ig_order(dataset, klass, [name for _, name, _ in held])
    return [held[k][1] for k in order if not held[k][2]]


def arranged(count: int, held: list[tuple[int, str, bool]], wanted: list[str]) -> list[int]:
    """The indices of ``count`` entries rearranged so the variables they hold come in the order of ``wanted``;
    an entry holding none of them (a temporary variable) stays after the entry it followed.

    >>> arranged(3, [(0, "A", False), (1, "T", True), (2, "B", False)], ["B", "A"])
    [2, 0, 1]
    """
    holder = {name: index for index, name, _ in held}
    placed = list(dict.fromkeys(holder[name] for name in wanted if name in holder))
    for index in range(count):
        if index in placed:
            continue
        before = next((i for i in range(index - 1, -1, -1) if i in placed), None)
        placed.insert(placed.index(before) + 1 if before is not None else 0, index)
    return placed
