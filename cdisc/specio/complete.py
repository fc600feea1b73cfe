"""What an incomplete source leaves to the import: classes, structures, keys, sources, origins and rules.

A workbook or define.xml says how a variable is derived in words, never as a rule. A fixed
value becomes ``hardcode``, an ADaM predecessor ``predecessor`` or ``derive_vars_merged`` (from
ADSL); every other variable gets the placeholder ``todo:`` with its method text. Every guess is
named in the bundle's notes.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from pathlib import Path
from typing import Any

from cdisc.specio.bundle import SpecBundle
from cdisc.specio.values import ADAM_CLASSES, SDTM_CLASSES, origin_type, typed

ADSL_KEYS = ["STUDYID", "USUBJID"]


def is_adam(name: str, klass: str | None, standard: str | None) -> bool:
    """Whether a dataset is ADaM: by its class, else its standard, else its name (AD...)."""
    if klass in ADAM_CLASSES:
        return True
    if klass in SDTM_CLASSES:
        return False
    if standard:
        return "adam" in standard.lower()
    return name.startswith("AD")


def guess_adam_class(name: str, variables: list[str]) -> str:
    """The ADaM class a dataset's name and variables point to (used only when the source gives none)."""
    if name.startswith("ADSL"):
        return "SUBJECT LEVEL ANALYSIS DATASET"
    if "PARAMCD" in variables and any(v in variables for v in ("AVAL", "AVALC")):
        return "BASIC DATA STRUCTURE"
    if any(v.endswith(("TERM", "DECOD", "TRT")) for v in variables):
        return "OCCURRENCE DATA STRUCTURE"
    return "ADAM OTHER"


STRUCTURES = {
    "SUBJECT LEVEL ANALYSIS DATASET": "One record per subject",
    "BASIC DATA STRUCTURE": "One or more records per subject per analysis parameter per analysis timepoint",
    "OCCURRENCE DATA STRUCTURE": "One record per subject per occurrence",
}


def todo_text(method: str | None, origin: str | dict[str, Any] | None, predecessor: str | None = None) -> str:
    """What a variable's placeholder rule says is left to write: the method text, else its origin in words."""
    if method:
        return method
    kind = origin_type(origin)
    if kind == "Predecessor" and predecessor:
        return f"copied from {predecessor}"
    if kind in ("Collected", "Protocol", "Assigned"):
        page = origin.get("page") if isinstance(origin, dict) else None
        return f"{kind} value" + (f" (pages {page})" if page else "") + ": name the column or value it comes from"
    return "no method in the source: write how it is derived"


def rule_for(variable: dict[str, Any], dataset: str, source: str | None, assigned: Any, adam: bool,
             single_terms: dict[str, Any]) -> tuple[str, Any]:
    """The rule an imported variable gets: a fixed value (the Assigned Value, or the one term of an
    Assigned variable's codelist, e.g. DOMAIN) is ``hardcode``, SDTM STUDYID ``study: id``, an ADaM
    predecessor of the source dataset ``predecessor``, an ADSL predecessor ``derive_vars_merged``;
    anything else ``todo``.

    >>> rule_for({"name": "DOMAIN", "origin": "Assigned", "codelist": "VS_DOMAI"}, "VS", None, None, False, {"VS_DOMAI": "VS"})
    ('hardcode', 'VS')
    >>> rule_for({"name": "AGEGR1", "origin": "Derived", "method": "<65, >=65"}, "ADSL", "DM", None, True, {})
    ('todo', '<65, >=65')
    """
    origin = variable.get("origin")
    predecessor = origin.get("predecessor") if isinstance(origin, dict) else None
    if assigned is not None:
        return "hardcode", typed(assigned, variable.get("type"))
    if origin_type(origin) == "Assigned" and variable.get("codelist") in single_terms:
        return "hardcode", single_terms[variable["codelist"]]
    if not adam and variable["name"] == "STUDYID":
        return "study", "id"
    if adam and origin_type(origin) == "Predecessor" and predecessor and re.fullmatch(r"\w+\.\w+", predecessor):
        other, name = predecessor.split(".")
        if other == source:
            return "predecessor", name
        if other == "ADSL" and dataset != "ADSL":
            return "derive_vars_merged", {"dataset": "ADSL", "by": list(ADSL_KEYS), "value": name}
    return "todo", todo_text(variable.get("method"), origin, predecessor)


def guess_adam_source(name: str, variables: list[dict[str, Any]]) -> str:
    """The dataset an ADaM dataset's records come from: the one most of its predecessors name
    (ADSL only for ADSL-like datasets), else DM for ADSL and ADSL for the others."""
    counts: Counter[str] = Counter()
    for var in variables:
        origin = var.get("origin")
        predecessor = origin.get("predecessor") if isinstance(origin, dict) else None
        if origin_type(origin) == "Predecessor" and predecessor and "." in predecessor:
            counts[predecessor.split(".")[0]] += 1
    counts.pop(name, None)
    if not name.startswith("ADSL"):
        counts.pop("ADSL", None)
    if counts:
        return min(counts.items(), key=lambda item: (-item[1], item[0]))[0]
    return "DM" if name.startswith("ADSL") else "ADSL"


def finish(bundle: SpecBundle, datasets: dict[str, dict[str, Any]], standards: dict[str, str | None],
           assigned: dict[tuple[str, str | None], Any]) -> None:
    """Complete what the source leaves empty (class, structure, keys, origins), give each dataset a
    source and each variable a rule, turn SUPP-- datasets into qualifiers, and store the datasets."""
    sources = []
    single_terms = {c["name"]: c["terms"][0]["value"] for c in bundle.codelists if len(c.get("terms", [])) == 1}
    for name, spec in datasets.items():
        names = [v["name"] for v in spec["variables"]]
        adam = is_adam(name, spec["class"], standards.get(name))
        if adam and spec["class"] not in ADAM_CLASSES:
            given = f"class {spec['class']!r} is not an ADaM class" if spec["class"] else "no class in the source"
            spec["class"] = guess_adam_class(name, names)
            bundle.note(f"{name}: {given}; wrote {spec['class']} (from its name and variables): check it")
        if spec["structure"] is None and spec["class"] in STRUCTURES:
            spec["structure"] = STRUCTURES[spec["class"]]
            bundle.note(f"{name}: no structure in the source; wrote '{spec['structure']}': check it")
        if not spec["keys"]:
            spec["keys"] = [k for k in ADSL_KEYS if k in names] or names[:1]
            bundle.note(f"{name}: no key variables in the source; wrote {', '.join(spec['keys'])}: check them")
        source = guess_adam_source(name, spec["variables"]) if adam else None
        spec["source"] = {"dataset": source} if adam else {"table": name.lower()}
        if not name.startswith("SUPP"):
            sources.append(f"{name} from {source or 'raw table ' + name.lower()}")
        no_origin = [v for v in spec["variables"] if v["origin"] is None]
        for var in no_origin:
            var["origin"] = "Derived" if adam else "Collected"
        if no_origin:
            bundle.note(f"{name}: {len(no_origin)} variable(s) without an origin in the source; wrote {no_origin[0]['origin']}")
        for var in spec["variables"]:
            rule, params = rule_for(var, name, source, assigned.get((name, var["name"])), adam, single_terms)
            var[rule] = params
    bundle.datasets = fold_supp(list(datasets.values()), bundle)
    if sources:
        bundle.note(f"sources assumed (check them): {'; '.join(sources)}")


def fold_supp(datasets: list[dict[str, Any]], bundle: SpecBundle) -> list[dict[str, Any]]:
    """SUPP-- datasets become their parent's ``supp:`` qualifiers (one per QNAM of QVAL's value-level metadata)."""
    by_name = {d["dataset"]: d for d in datasets}
    kept = []
    for spec in datasets:
        parent = by_name.get(spec["dataset"][4:]) if spec["dataset"].startswith("SUPP") else None
        if parent is None:
            kept.append(spec)
            continue
        qval: dict[str, Any] = next((v for v in spec["variables"] if v["name"] == "QVAL"), {})
        qualifiers = parent.setdefault("supp", [])
        for level in qval.get("value_level", []):
            qnams = level["where"].get("QNAM", [])
            if len(qnams) != 1:
                bundle.note(f"{spec['dataset']}: a QVAL value-level entry not for one QNAM left out")
                continue
            qualifier = {"qnam": qnams[0], "qlabel": level.get("label") or qnams[0]}
            qualifier.update({k: level[k] for k in ("codelist", "origin") if k in level})
            qualifier["todo"] = level.get("method") or f"QVAL of {qnams[0]}: name the column it comes from"
            qualifiers.append(qualifier)
    return kept


def study_dict(bundle: SpecBundle, name: str | None, description: str | None, protocol: str | None,
               standard: dict[str, str | None], ct_version: str | None, created: dt.datetime | None) -> dict[str, Any]:
    """``study.yaml`` for an imported study: facts from the source; raw data or SDTM inputs still to be supplied."""
    study: dict[str, Any] = {"id": name or Path(bundle.source).stem.upper(), "title": description or name or Path(bundle.source).stem}
    if protocol and protocol != study["id"]:
        study["protocol"] = protocol
    out: dict[str, Any] = {"study": study}
    own = {d["dataset"] for d in bundle.datasets}
    needed = sorted({d["source"]["dataset"] for d in bundle.datasets if "dataset" in d["source"]} - own)
    if any("table" in d["source"] for d in bundle.datasets):
        out["raw"] = {"folder": "raw"}
    if needed:
        out["inputs"] = {"folder": "sdtm", "datasets": {n: {} for n in needed}}
    out["terminology"] = {"version": ct_version or "2025-03-28"}
    if not ct_version:
        bundle.note("no controlled terminology version in the source: study.yaml says 2025-03-28; set the release you use")
    standards = {}
    for kind, version in standard.items():
        key = "adamig" if "adam" in kind.lower() else "sdtmig" if "sdtm" in kind.lower() else None
        if key and version in (("1.1", "1.2", "1.3") if key == "adamig" else ("3.2", "3.3", "3.4")):
            standards[key] = version
    if standards:
        out["standards"] = standards
    out["output"] = {"folder": "out", "created": (created or dt.datetime(2000, 1, 1)).replace(microsecond=0, tzinfo=None)}
    return out
