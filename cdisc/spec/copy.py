"""``copy_from``: carry another dataset's variables into an ADaM spec in one line (e.g. every ADSL variable).

A variables entry ``{copy_from: ADSL, names: [TRT01A, AGE, SEX]}`` (or ``names: all``, the default, with an
optional ``except:`` list) stands for one variable per name: its label, type, length, format and codelist
as the other dataset's spec states them, origin Predecessor (``ADSL.AGE``), built by ``derive_vars_merged``
by ``by`` (default STUDYID, USUBJID), so records added by record steps get the values too. Variables the
spec defines itself are not copied; the copies take the place of the entry, in the other spec's order.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field

from cdisc.errors import SpecIssue
from cdisc.spec.base import SpecModel
from cdisc.spec.expr import did_you_mean
from cdisc.spec.yamlsource import YamlDocument


class CopyVariables(SpecModel):
    """A variables entry standing for variables of another dataset (expanded when the spec is loaded)."""

    copy_from: str = Field(description="The dataset whose spec states the variables, e.g. ADSL")
    names: list[str] | str = Field("all", description="The variables to copy, or all")
    except_: list[str] = Field(default_factory=list, alias="except", description="Variables not copied")
    by: list[str] = Field(default_factory=lambda: ["STUDYID", "USUBJID"], description="Merge keys")


_CARRIED = ("label", "type", "length", "format", "codelist")
_KEYS = {"copy_from", "names", "except", "by"}


def with_copied_variables(doc: YamlDocument, others: dict[str, YamlDocument]) -> tuple[YamlDocument, list[SpecIssue]]:
    """``doc`` with every ``copy_from`` entry of its variables replaced by the variables it names."""
    variables = doc.data.get("variables") if isinstance(doc.data, dict) else None
    if not isinstance(variables, list) or not any(isinstance(v, dict) and "copy_from" in v for v in variables):
        return doc, []
    own = {v.get("name") for v in variables if isinstance(v, dict) and "copy_from" not in v}
    expanded: list[Any] = []
    order: list[int] = []
    issues: list[SpecIssue] = []
    for i, entry in enumerate(variables):
        if isinstance(entry, dict) and "copy_from" in entry:
            copies, found = _expand(entry, ("variables", i), doc, others, own)
            issues += found
            expanded += copies
            order += [i] * len(copies)
        else:
            expanded.append(entry)
            order.append(i)
    return doc.reordered(("variables",), order, {**doc.data, "variables": expanded}), issues


def _expand(entry: dict, path: tuple, doc: YamlDocument, others: dict[str, YamlDocument], own: set) -> tuple[list[dict], list[SpecIssue]]:
    subject = f"{doc.data.get('dataset', '')}.copy_from"
    unknown = sorted(set(entry) - _KEYS)
    if unknown:
        return [], [doc.issue((*path, unknown[0]), subject, f"unknown key '{unknown[0]}' in copy_from; keys: {', '.join(sorted(_KEYS))}", key=True)]
    name = entry["copy_from"]
    if name not in others:
        return [], [doc.issue((*path, "copy_from"), subject, f"no dataset spec defines {name}{did_you_mean(str(name), others)}")]
    source = [v for v in others[name].data.get("variables", []) if isinstance(v, dict) and isinstance(v.get("name"), str)]
    available = {v["name"]: v for v in source if not v.get("temporary")}
    names = entry.get("names", "all")
    wanted = list(available) if names == "all" else names if isinstance(names, list) else None
    if wanted is None:
        return [], [doc.issue((*path, "names"), subject, "names: a list of variable names, or all")]
    issues = [
        doc.issue((*path, "names"), subject, f"'{n}' is not a variable of {name}{did_you_mean(str(n), available)}")
        for n in wanted if n not in available
    ]
    skipped = set(entry.get("except", [])) | own
    by = entry.get("by", ["STUDYID", "USUBJID"])
    copies = []
    for variable in (available[n] for n in wanted if n in available and n not in skipped):
        copy = {k: variable[k] for k in _CARRIED if k in variable}
        copy.update({
            "name": variable["name"],
            "origin": {"type": "Predecessor", "predecessor": f"{name}.{variable['name']}"},
            "derive_vars_merged": {"dataset": name, "by": by, "value": variable["name"]},
        })
        copies.append(copy)
    return copies, issues
