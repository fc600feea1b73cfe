"""Merge imported specs into a study's YAML: take what the template holds, keep what it cannot hold.

A reviewer edits labels, lengths, codelists or origins in the exported workbook; the import
with ``--merge-into`` writes those edits into the study's YAML files in place (comments and
layout kept) and keeps every rule, source, test pivot, temporary variable, synonym and
extensibility flag, which a workbook cannot hold. A value is written only where the workbook
says something different from what the spec means today (:func:`template_view`), so exporting
and importing an unchanged study changes no file.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq

from cdisc.definexml.methods import describe_rule
from cdisc.spec.load import Study
from cdisc.spec.models import Codelist, DatasetMeta, Origin, RuleSet, ValueLevel
from cdisc.specio.bundle import SpecBundle
from cdisc.specio.write import dataset_file, dataset_text, dump

DATASET_FIELDS = ("label", "class", "structure", "keys", "comment")
VARIABLE_FIELDS = ("label", "type", "length", "format", "codelist", "origin", "method", "comment", "role", "mandatory",
                   "value_level")


def template_view(study: Study, meta: DatasetMeta) -> dict[str, Any]:
    """What the P21 template holds of a dataset spec: dataset attributes and, per variable written to the
    data, its attributes as define.xml states them (mandatory, method in words, value-level metadata)."""
    variables = {}
    for var in meta.variables:
        if getattr(var, "temporary", False):
            continue
        method = var.method
        if not method and var.origin.type == "Derived" and isinstance(var, RuleSet):
            method = describe_rule(var, var.name, study.spec)
        variables[var.name] = {
            "label": var.label, "type": var.type, "length": var.length, "format": var.format, "codelist": var.codelist,
            "origin": var.origin, "method": _text(method), "comment": _text(var.comment), "role": var.role,
            "mandatory": var.core == "Req" or (var.core is None and var.name in meta.keys),
            "value_level": list(var.value_level),
        }
    return {"label": meta.label, "class": meta.dataset_class, "structure": meta.structure, "keys": list(meta.keys),
            "comment": _text(meta.comment), "variables": variables}


def imported_view(spec: dict[str, Any]) -> dict[str, Any]:
    """:func:`template_view` of an imported dataset dict (before it is written)."""
    variables = {}
    for var in spec["variables"]:
        variables[var["name"]] = {
            "label": var.get("label"), "type": var.get("type"), "length": var.get("length"), "format": var.get("format"),
            "codelist": var.get("codelist"), "origin": Origin.model_validate(var["origin"]), "method": _text(var.get("method")),
            "comment": _text(var.get("comment")), "role": var.get("role"), "mandatory": var.get("core") == "Req",
            "value_level": [ValueLevel.model_validate(v) for v in var.get("value_level", [])],
        }
    view = {k: spec.get(k) for k in DATASET_FIELDS}
    return {**view, "comment": _text(view["comment"]), "variables": variables}


def _text(value: str | None) -> str | None:
    """Free text as a workbook cell keeps it: without surrounding white space."""
    return value.strip() or None if value else None


def merge_into(bundle: SpecBundle, study: Study, folder: Path) -> list[str]:
    """Write the bundle's edits into ``study``'s files, as found in ``folder`` (the study's own folder or a
    copy of it); the lines to print (what changed, what was kept)."""
    changed: list[str] = []
    for spec in bundle.datasets:
        name = spec["dataset"]
        if name not in study.datasets:
            path = folder / dataset_file(spec)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(dataset_text(spec), encoding="utf-8")
            changed.append(f"{path}: new dataset {name} ({len(spec['variables'])} variable(s) still need a rule)")
            continue
        dataset = study.datasets[name]
        path = folder / Path(dataset.doc.file).resolve().relative_to(study.folder.resolve())
        data = _load_rt(path)
        edits = _merge_dataset(study, dataset.spec, data, spec, bundle)
        if edits:
            _save_rt(path, data)
            changed.append(f"{path}: {'; '.join(edits)}")
    left = sorted(set(study.datasets) - {d["dataset"] for d in bundle.datasets})
    if left:
        bundle.note(f"not in {bundle.source}, left as they are: {', '.join(left)}")
    changed += _merge_codelists(study, bundle, folder)
    lines = [f"{bundle.source} merged into {folder}: {len(changed)} file(s) changed"]
    return lines + changed + [f"note: {n}" for n in bundle.notes if not n.startswith("sources assumed")]


def _load_rt(path: Path) -> Any:
    return _yaml().load(path.read_text(encoding="utf-8"))


def _save_rt(path: Path, data: Any) -> None:
    stream = io.StringIO()
    _yaml().dump(data, stream)
    path.write_text(stream.getvalue(), encoding="utf-8")


def _yaml() -> YAML:
    yaml = YAML(typ="rt")
    yaml.width = 4096
    yaml.preserve_quotes = True
    yaml.indent(mapping=2, sequence=4, offset=2)
    return yaml


def _merge_dataset(study: Study, meta: DatasetMeta, data: CommentedMap, spec: dict[str, Any], bundle: SpecBundle) -> list[str]:
    """Edit ``data`` (the dataset file, round-trip) to say what ``spec`` says; the edits in words."""
    old, new = template_view(study, meta), imported_view(spec)
    edits = []
    for key in DATASET_FIELDS:
        if old[key] != new[key]:
            _set(data, key, spec.get(key))
            edits.append(key)
    entries = {entry["name"]: entry for entry in data["variables"]}
    kept: list[Any] = []
    for var in spec["variables"]:
        name = var["name"]
        if name not in entries:
            kept.append(_styled(var))
            edits.append(f"new variable {name}")
            continue
        entry = entries[name]
        changed = [k for k in VARIABLE_FIELDS if old["variables"].get(name, {}).get(k) != new["variables"][name][k]]
        for key in changed:
            _set_variable(entry, key, var, meta)
        if changed:
            edits.append(f"{name}: {', '.join(changed)}")
        kept.append(entry)
    removed = [n for n in entries if n not in new["variables"] and n in old["variables"]]
    temporary = [e for e in data["variables"] if e["name"] not in old["variables"]]
    for entry in temporary:  # helper variables the workbook never shows: back after the variable they followed
        position = next(i for i, e in enumerate(data["variables"]) if e is entry)
        placed = [id(e) for e in kept]
        anchor = next((id(e) for e in reversed(data["variables"][:position]) if id(e) in placed), None)
        kept.insert(placed.index(anchor) + 1 if anchor is not None else 0, entry)
    if removed:
        edits.append(f"removed {', '.join(removed)}")
    if [e["name"] for e in kept] != [e["name"] for e in data["variables"]]:
        if not removed and not any(e.startswith("new variable") for e in edits):
            edits.append("variable order")
        data["variables"] = CommentedSeq(kept)
    edits += _merge_supp(data, spec, meta)
    return edits


def _set_variable(entry: CommentedMap, key: str, var: dict[str, Any], meta: DatasetMeta) -> None:
    if key == "mandatory":
        core = "Req" if var.get("core") == "Req" else ("Perm" if var["name"] in meta.keys else None)
        _set(entry, "core", core)
    else:
        _set(entry, key, var.get(key))


def _merge_supp(data: CommentedMap, spec: dict[str, Any], meta: DatasetMeta) -> list[str]:
    """Qualifier attributes (QLABEL, codelist, origin) from the workbook's SUPP-- value-level rows."""
    qualifiers = {q["qnam"]: q for q in spec.get("supp", [])}
    if not qualifiers and not getattr(meta, "supp", None):
        return []
    edits = []
    entries = {q["qnam"]: q for q in data.get("supp", [])}
    for qnam, qualifier in qualifiers.items():
        if qnam not in entries:
            data.setdefault("supp", CommentedSeq()).append(_styled(qualifier))
            edits.append(f"new qualifier {qnam}")
            continue
        current = next(q for q in meta.supp if q.qnam == qnam)
        for key in ("qlabel", "codelist", "origin"):
            now = current.origin if key == "origin" else getattr(current, key)
            given = qualifier.get(key)
            given = Origin.model_validate(given) if key == "origin" and given is not None else given
            if key == "origin" and given is None:
                given = Origin(type="Collected")
            if now != given:
                _set(entries[qnam], key, qualifier.get(key))
                edits.append(f"{qnam}: {key}")
    return edits


def _merge_codelists(study: Study, bundle: SpecBundle, folder: Path) -> list[str]:
    """Codelist edits into codelists.yaml: labels, NCI codes and terms; synonyms and extensibility kept.

    A codelist the workbook marks as CDISC/NCI terminology that the study takes from its CT release
    (it is not in codelists.yaml) is left to the release.
    """
    if study.spec.codelists is None:
        return []
    path = folder / study.spec.codelists
    data = _load_rt(path) if path.is_file() else CommentedMap(codelists=CommentedSeq())
    entries = {c["name"]: c for c in data.get("codelists") or []}
    own = {c.name: c for c in study.codelist_file.codelists}
    edits = []
    for codelist in bundle.codelists:
        name = codelist["name"]
        if name not in own:
            if name in bundle.ct_codelists and name in study.ct:
                continue
            data.setdefault("codelists", CommentedSeq()).append(_styled(codelist))
            edits.append(f"new codelist {name}")
            continue
        current = own[name]
        for key in ("label", "type", "nci"):
            if getattr(current, key) != codelist.get(key, Codelist.model_fields[key].default):
                _set(entries[name], key, codelist.get(key))
                edits.append(f"{name}: {key}")
        if [(t.value, t.decode, t.nci) for t in current.terms] != [(t["value"], t.get("decode"), t.get("nci")) for t in codelist["terms"]]:
            entries[name]["terms"] = CommentedSeq(_merged_terms(entries[name]["terms"], codelist["terms"]))
            edits.append(f"{name}: terms")
    if edits:
        _save_rt(path, data)
        return [f"{path}: {'; '.join(edits)}"]
    return []


def _merged_terms(old: list[Any], new: list[dict[str, Any]]) -> list[Any]:
    """The workbook's terms in its order; a term the file had keeps its synonyms and layout, with new decode/NCI code."""
    by_value = {str(t["value"]): t for t in old}
    out = []
    for term in new:
        entry = by_value.get(str(term["value"]))
        if entry is None:
            out.append(_styled(term))
            continue
        for key in ("decode", "nci"):
            _set(entry, key, term.get(key))
        out.append(entry)
    return out


def _set(entry: CommentedMap, key: str, value: Any) -> None:
    if value is None:
        entry.pop(key, None)
    else:
        entry[key] = _styled(value) if isinstance(value, (dict, list)) else value


def _styled(value: Any) -> Any:
    """Imported data as round-trip YAML nodes, laid out as the importer writes new files."""
    return YAML(typ="rt").load(dump({"x": value}))["x"]

