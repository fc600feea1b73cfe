"""Merge imported specs into a study's YAML: take what the template holds, keep what it cannot hold.

A reviewer edits labels, lengths, codelists or origins in the exported workbook; the import
with ``--merge-into`` writes those edits into the study's YAML files in place and keeps every
rule, source, lookup, record step, test pivot, temporary variable, ``copy_from`` entry, synonym
and extensibility flag, which a workbook cannot hold. Values are compared by what they mean,
not how the file writes them (:func:`template_view` of the loaded spec): a label, role or core
a spec leaves to the IG, and the IG order the loader gives SDTM variables, are what the spec
says. So exporting and importing an unchanged study changes no file, and an edit rewrites only
the entries it changes (:mod:`~cdisc.specio.yamledit`); a value equal to the IG's is left out.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq

from cdisc.definexml.build import _with_predecessor
from cdisc.definexml.methods import describe_rule
from cdisc.spec.adam import AdamDataset
from cdisc.spec.load import DatasetFile, Study
from cdisc.spec.models import DatasetMeta, Origin, RuleSet, ValueLevel, VariableMeta
from cdisc.specio.bundle import SpecBundle
from cdisc.specio.listing import arranged, holders, written
from cdisc.specio.write import KEY_ORDER, dataset_file, dataset_text, dump
from cdisc.specio.yamledit import YamlText
from cdisc.standards_meta import ig_variable

DATASET_FIELDS = ("label", "class", "structure", "keys", "comment")
VARIABLE_FIELDS = ("label", "type", "length", "format", "codelist", "origin", "method", "comment", "role", "mandatory",
                   "value_level")


def template_view(study: Study, meta: DatasetMeta) -> dict[str, Any]:
    """What the P21 template holds of a dataset spec: dataset attributes and, per variable written to the
    data, its attributes as define.xml states them (mandatory, method in words, value-level metadata)."""
    variables = {var.name: variable_view(study, meta, var) for var in meta.variables if not getattr(var, "temporary", False)}
    return {"label": meta.label, "class": meta.dataset_class, "structure": meta.structure, "keys": list(meta.keys),
            "comment": _text(meta.comment), "variables": variables}


def variable_view(study: Study, meta: DatasetMeta, var: VariableMeta) -> dict[str, Any]:
    """What the P21 template holds of one variable of ``meta`` (an ADaM predecessor with the source and codelist
    define.xml gives it)."""
    if isinstance(meta, AdamDataset):
        var = _with_predecessor(study, meta, var)
    method = var.method
    if not method and var.origin.type == "Derived" and isinstance(var, RuleSet):
        method = describe_rule(var, var.name, study.spec)
    return {
        "label": var.label, "type": var.type, "length": var.length, "format": var.format, "codelist": var.codelist,
        "origin": var.origin, "method": _text(method), "comment": _text(var.comment), "role": var.role,
        "mandatory": var.core == "Req" or (var.core is None and var.name in meta.keys),
        "value_level": list(var.value_level),
    }


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


def _imported_variable(var: dict[str, Any]) -> dict[str, Any]:
    return imported_view({"variables": [var]})["variables"][var["name"]]


#: The order of the keys of a variable, qualifier, codelist, term and copy_from entry: a key an edit adds
#: goes before the first key that follows it (rule keys follow them all).
VARIABLE_KEYS = ("name", "label", "type", "length", "format", "codelist", "origin", "method", "comment", "role", "core",
                 "value_level")
QUALIFIER_KEYS = ("qnam", "qlabel", "codelist", "origin")
CODELIST_KEYS = ("name", "label", "type", "extensible", "nci", "dictionary", "version", "terms")
TERM_KEYS = ("value", "decode", "nci")
COPY_KEYS = ("copy_from", "names", "except", "by")


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
        doc = YamlText(path.read_text(encoding="utf-8"))
        edits = _merge_dataset(study, dataset, doc, spec, bundle)
        if edits:
            path.write_text(doc.text(), encoding="utf-8")
            changed.append(f"{path}: {'; '.join(edits)}")
    left = sorted(set(study.datasets) - {d["dataset"] for d in bundle.datasets})
    if left:
        bundle.note(f"not in {bundle.source}, left as they are: {', '.join(left)}")
    changed += _merge_codelists(study, bundle, folder)
    lines = [f"{bundle.source} merged into {folder}: {len(changed)} file(s) changed"]
    return lines + changed + [f"note: {n}" for n in bundle.notes if not n.startswith("sources assumed")]


def _merge_dataset(study: Study, dataset: DatasetFile, doc: YamlText, spec: dict[str, Any], bundle: SpecBundle) -> list[str]:
    """Record in ``doc`` (the dataset's file) what ``spec`` says differently from the loaded spec; the edits in words."""
    meta = dataset.spec
    old, new = template_view(study, meta), imported_view(spec)
    edits = []
    for key in DATASET_FIELDS:
        if old[key] != new[key]:
            doc.set(key, _node(spec.get(key)), before=KEY_ORDER[KEY_ORDER.index(key) + 1:])
            edits.append(key)
    edits += _merge_variables(study, meta, doc, spec, bundle)
    edits += _merge_supp(doc, spec, meta)
    return edits


def _merge_variables(study: Study, meta: DatasetMeta, doc: YamlText, spec: dict[str, Any], bundle: SpecBundle) -> list[str]:
    """The workbook's variables into the file's ``variables:`` entries: attributes, new and removed variables, order.

    A variable a ``copy_from`` entry copies keeps its source's attributes (an edit is named in a note); one the
    workbook drops is listed in the entry's ``except``. Temporary variables stay after the entry they followed.
    """
    entries = list(doc.data["variables"])
    others = {name: d.doc for name, d in study.datasets.items()}
    held = holders(entries, meta.dataset, others)
    holder = {name: index for index, name, _ in held}
    own = {entry["name"] for entry in entries if "copy_from" not in entry}
    loaded = {var.name: var for var in meta.variables}
    imported = {var["name"]: var for var in spec["variables"]}
    edits: list[str] = []
    changed: set[int] = set()
    for name, var in imported.items():
        if name not in loaded:
            continue
        temporary = getattr(loaded[name], "temporary", False)
        view = variable_view(study, meta, loaded[name])
        differ = [key for key in VARIABLE_FIELDS if view[key] != _imported_variable(var)[key]]
        if name not in own and differ:
            source = entries[holder[name]]["copy_from"]
            bundle.note(f"{meta.dataset}.{name}: not merged ({', '.join(differ)}): copied from {source} by copy_from; "
                        f"change {source}'s spec")
            continue
        entry = entries[holder[name]]
        if temporary:  # the workbook lists a variable the spec builds only for others to read: now written
            entry.pop("temporary")
        for key in differ:
            _set_variable(entry, key, var, meta, spec["keys"])
        if temporary or differ:
            changed.add(holder[name])
            edits.append(f"{name}: {', '.join(['no longer temporary'] * temporary + differ)}")
    removed = [name for name, var in loaded.items() if name not in imported and not getattr(var, "temporary", False)]
    for name in removed:
        if name not in own:
            _uncopy(entries[holder[name]], name)
            changed.add(holder[name])
    listing: list[tuple[int | None, Any]] = [(i, e) for i, e in enumerate(entries) if e.get("name") not in removed]
    node_of = {name: entries[index] for name, index in holder.items()}
    wanted = list(imported)
    for position, name in enumerate(wanted):
        if name in loaded:
            continue
        node = _node(imported[name])
        before = next((node_of[n] for n in reversed(wanted[:position]) if n in node_of), None)
        at = next((k + 1 for k, (_, e) in enumerate(listing) if e is before), 0)
        listing.insert(at, (None, node))
        node_of[name] = node
        edits.append(f"new variable {name}")
    if removed:
        edits.append(f"removed {', '.join(removed)}")
    listing, moved = _in_order(listing, wanted, meta, others, bundle)
    if moved:
        edits.append("variable order")
    if changed or removed or moved or len(listing) != len(entries):
        doc.set_items("variables", [(i, node, i is None or i in changed) for i, node in listing])
    return edits


def _in_order(listing: list[tuple[int | None, Any]], wanted: list[str], meta: DatasetMeta, others: dict[str, Any],
              bundle: SpecBundle) -> tuple[list[tuple[int | None, Any]], bool]:
    """``listing`` with its entries moved only when the variables would not load in the workbook's order
    (``wanted``) and moving them changes the order they load in; whether they were moved. What the loader
    orders itself (SDTM variables in SDTMIG order, copied variables in their dataset's order) is named in a
    note when the workbook says otherwise."""
    held = holders([node for _, node in listing], meta.dataset, others)
    now = written(held, meta.dataset, meta.dataset_class)
    if now == wanted:
        return listing, False
    moved = [listing[k] for k in arranged(len(listing), held, wanted)]
    got = written(holders([node for _, node in moved], meta.dataset, others), meta.dataset, meta.dataset_class)
    if got != wanted:
        placed = [want for name, want in zip(got, wanted, strict=False) if name != want]
        bundle.note(f"{meta.dataset}: the workbook's order of {', '.join(placed)} is not kept: SDTM variables are written "
                    "in SDTMIG order, and variables copied by copy_from in their dataset's order")
    return (moved, True) if got != now else (listing, False)


def _set_variable(entry: CommentedMap, key: str, var: dict[str, Any], meta: DatasetMeta, keys: list[str]) -> None:
    """Write the workbook's ``key`` of ``var`` into its entry; a label, role or core equal to the IG's is left out."""
    ig = ig_variable(meta.dataset, meta.dataset_class, var["name"])
    if key == "mandatory":
        default = ig.core if ig is not None else None
        if var.get("core") == "Req":
            core = None if default == "Req" else "Req"
        else:
            core = "Perm" if default == "Req" or (default is None and var["name"] in keys) else None
        _put(entry, "core", core, VARIABLE_KEYS)
        return
    value = var.get(key)
    if key in ("label", "role") and ig is not None and value == getattr(ig, key):
        value = None
    _put(entry, key, value, VARIABLE_KEYS)


def _uncopy(entry: CommentedMap, name: str) -> None:
    """A ``copy_from`` entry no longer copying ``name``: out of its ``names`` list, or into its ``except`` list."""
    names = entry.get("names", "all")
    if isinstance(names, list):
        _put(entry, "names", [n for n in names if n != name], COPY_KEYS)
    else:
        _put(entry, "except", [*entry.get("except", []), name], COPY_KEYS)


def _merge_supp(doc: YamlText, spec: dict[str, Any], meta: DatasetMeta) -> list[str]:
    """Qualifier attributes (QLABEL, codelist, origin) from the workbook's SUPP-- value-level rows; new qualifiers."""
    qualifiers = {q["qnam"]: q for q in spec.get("supp", [])}
    current = {q.qnam: q for q in getattr(meta, "supp", [])}
    entries = list(doc.data.get("supp") or [])
    index = {entry["qnam"]: i for i, entry in enumerate(entries)}
    edits: list[str] = []
    changed: set[int] = set()
    added = []
    for qnam, qualifier in qualifiers.items():
        if qnam not in index:
            added.append(_node(qualifier))
            edits.append(f"new qualifier {qnam}")
            continue
        for key in ("qlabel", "codelist", "origin"):
            now = getattr(current[qnam], key)
            given = qualifier.get(key)
            if key == "origin":
                given = Origin.model_validate(given) if given is not None else Origin(type="Collected")
            if now != given:
                _put(entries[index[qnam]], key, qualifier.get(key), QUALIFIER_KEYS)
                changed.add(index[qnam])
                edits.append(f"{qnam}: {key}")
    if "supp" in doc.data and (changed or added):
        doc.set_items("supp", [(i, entry, i in changed) for i, entry in enumerate(entries)] + [(None, q, True) for q in added])
    elif added:
        doc.set("supp", _node(list(qualifiers.values())))
    return edits


def _merge_codelists(study: Study, bundle: SpecBundle, folder: Path) -> list[str]:
    """Codelist edits into codelists.yaml: labels, NCI codes, dictionaries and terms; synonyms and extensibility kept.

    A codelist the workbook marks as CDISC/NCI terminology that the study takes from its CT release
    (it is not in codelists.yaml) is left to the release.
    """
    if study.spec.codelists is None:
        return []
    path = folder / study.spec.codelists
    doc = YamlText(path.read_text(encoding="utf-8") if path.is_file() else "")
    entries = list(doc.data.get("codelists") or [])
    index = {entry["name"]: i for i, entry in enumerate(entries)}
    own = {c.name: c for c in study.codelist_file.codelists}
    edits: list[str] = []
    changed: set[int] = set()
    added = []
    for codelist in bundle.codelists:
        name = codelist["name"]
        if name not in own:
            if name in bundle.ct_codelists and name in study.ct:
                continue
            added.append(_node(codelist))
            edits.append(f"new codelist {name}")
            continue
        current, entry = own[name], entries[index[name]]
        for key in ("label", "type", "nci", "dictionary", "version"):
            if getattr(current, key) != codelist.get(key, type(current).model_fields[key].default):
                _put(entry, key, codelist.get(key), CODELIST_KEYS)
                changed.add(index[name])
                edits.append(f"{name}: {key}")
        if [(t.value, t.decode, t.nci) for t in current.terms] != [(t["value"], t.get("decode"), t.get("nci")) for t in codelist.get("terms", [])]:
            _put(entry, "terms", CommentedSeq(_merged_terms(entry.get("terms") or [], codelist.get("terms", []))), CODELIST_KEYS)
            changed.add(index[name])
            edits.append(f"{name}: terms")
    if not edits:
        return []
    if "codelists" in doc.data and isinstance(doc.data["codelists"], list):
        doc.set_items("codelists", [(i, e, i in changed) for i, e in enumerate(entries)] + [(None, c, True) for c in added])
    else:
        doc.set("codelists", _node([*entries, *added]))
    path.write_text(doc.text(), encoding="utf-8")
    return [f"{path}: {'; '.join(edits)}"]


def _merged_terms(old: list[Any], new: list[dict[str, Any]]) -> list[Any]:
    """The workbook's terms in its order; a term the file had keeps its synonyms and layout, with new decode/NCI code."""
    by_value = {str(t["value"]): t for t in old}
    out = []
    for term in new:
        entry = by_value.get(str(term["value"]))
        if entry is None:
            out.append(_node(term))
            continue
        for key in ("decode", "nci"):
            _put(entry, key, term.get(key), TERM_KEYS)
        out.append(entry)
    return out


def _put(entry: CommentedMap, key: str, value: Any, order: tuple[str, ...]) -> None:
    """Set ``key`` of a round-trip mapping (None removes it); a new key goes where ``order`` places it."""
    if value is None:
        entry.pop(key, None)
        return
    value = value if isinstance(value, (CommentedMap, CommentedSeq)) else _node(value)
    if key in entry:
        entry[key] = value
        return
    rank = order.index(key)
    at = next((i for i, k in enumerate(entry) if k not in order or order.index(k) > rank), len(entry))
    entry.insert(at, key, value)


def _node(value: Any) -> Any:
    """Imported data as round-trip YAML nodes, laid out as the importer writes new files."""
    if not isinstance(value, (dict, list)):
        return value
    return YAML(typ="rt").load(dump({"x": value}))["x"]
