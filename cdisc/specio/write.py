"""Write imported specs as a study folder: ``study.yaml``, ``codelists.yaml``, ``sdtm/*.yaml``, ``adam/*.yaml``.

The YAML reads like a hand-written spec: dataset attributes first, one line per variable
where it fits (flow style), longer variables as blocks.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq

from cdisc.specio.bundle import SpecBundle
from cdisc.specio.values import ADAM_CLASSES

#: A variable or term written on one line when its flow form is at most this long.
LINE = 180
#: The top-level keys of a dataset spec file, in the order the importer writes them.
KEY_ORDER = ("dataset", "label", "class", "structure", "keys", "comment", "source", "variables", "supp")


def dump(data: Any) -> str:
    """YAML text of plain data, mappings that fit on a line written in flow style."""
    yaml = YAML()
    yaml.width = 4096
    yaml.indent(mapping=2, sequence=4, offset=2)
    stream = io.StringIO()
    yaml.dump(_styled(data, 0), stream)
    return stream.getvalue()


def _styled(data: Any, depth: int) -> Any:
    if isinstance(data, dict):
        out = CommentedMap((k, _styled(v, depth + 1)) for k, v in data.items())
        pairs = any(isinstance(v, list) and any(isinstance(i, dict) for i in v) for v in data.values())
        if depth > 0 and len(_flow_text(data)) <= LINE and not pairs:
            out.fa.set_flow_style()
        return out
    if isinstance(data, list):
        seq = CommentedSeq(_styled(v, depth + 1) for v in data)
        if all(not isinstance(v, (dict, list)) for v in data):
            seq.fa.set_flow_style()
        return seq
    return data


def _flow_text(data: Any) -> str:
    if isinstance(data, dict):
        return "{" + ", ".join(f"{k}: {_flow_text(v)}" for k, v in data.items()) + "}"
    if isinstance(data, list):
        return "[" + ", ".join(_flow_text(v) for v in data) + "]"
    return str(data)


def dataset_text(spec: dict[str, Any]) -> str:
    """One dataset spec file's text: its attributes in the usual order, then the variables."""
    ordered = {k: spec[k] for k in KEY_ORDER if k in spec}
    ordered.update({k: v for k, v in spec.items() if k not in ordered})
    return dump(ordered)


def dataset_file(spec: dict[str, Any]) -> Path:
    """Where a dataset spec goes inside the study folder: ``adam/`` or ``sdtm/``, by its class."""
    folder = "adam" if spec.get("class") in ADAM_CLASSES else "sdtm"
    return Path(folder) / f"{spec['dataset'].lower()}.yaml"


def write_study(bundle: SpecBundle, folder: Path) -> list[str]:
    """Write the bundle as a new study in ``folder``; the lines to print (what was written, what is left)."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    study_file = folder / "study.yaml"
    if study_file.exists():
        bundle.note(f"{study_file} exists and was left as it is")
    else:
        header = f"# Imported from {bundle.source} by cdisc spec import. Point raw/inputs at the study's data.\n"
        study_file.write_text(header + dump(bundle.study), encoding="utf-8")
        written.append(str(study_file))
    codelists = folder / "codelists.yaml"
    codelists.write_text(dump({"codelists": bundle.codelists}), encoding="utf-8")
    written.append(str(codelists))
    for spec in bundle.datasets:
        path = folder / dataset_file(spec)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(dataset_text(spec), encoding="utf-8")
        written.append(str(path))
    return summary(bundle, written)


def summary(bundle: SpecBundle, written: list[str]) -> list[str]:
    """What an import did: counts, files, notes, and how many rules are still to write."""
    variables = sum(len(d["variables"]) for d in bundle.datasets)
    levels = sum(len(v.get("value_level", [])) for d in bundle.datasets for v in d["variables"])
    todo = sum(1 for d in bundle.datasets for v in [*d["variables"], *d.get("supp", [])] if "todo" in v)
    lines = [(f"{bundle.source}: {len(bundle.datasets)} dataset(s), {variables} variable(s), {levels} value-level "
              f"entr{'y' if levels == 1 else 'ies'}, {len(bundle.codelists)} codelist(s); wrote {len(written)} file(s)")]
    lines += [f"note: {n}" for n in bundle.notes]
    if todo:
        lines.append(f"{todo} variable(s) still need a rule (todo:); cdisc check-spec lists them with their method text")
    return lines
