"""``cdisc define``: define.xml again from the specs and the XPT files a run already wrote.

Each standard's datasets are read back from its output folder (``sdtm/``, ``adam/``), so the
result describes exactly the files a reviewer receives. A data file without a spec, or a spec
without its data file, is an error.
"""

from __future__ import annotations

from functools import partial
from pathlib import Path

import pandas as pd

from cdisc.definexml import DefineDataset, DefineMismatchError, Finding, generate_define
from cdisc.definexml.build import standard_of
from cdisc.errors import UsageError
from cdisc.spec.load import display_path, load_study
from cdisc.xpt import read_xpt

FOLDERS = {"SDTM": "sdtm", "ADaM": "adam"}


def define_from_outputs(study_folder: Path, out_dir: Path | None = None, schema: Path | None = None) -> list[str]:
    """Write define.xml and define.html beside each standard's XPT files; lines for the user."""
    study = load_study(study_folder)
    target = out_dir if out_dir is not None else study.resolve(study.spec.output.folder)
    lines = []
    for standard, sub in FOLDERS.items():
        specs = [d.spec for d in study.datasets.values() if standard_of(d.spec) == standard]
        if not specs:
            continue
        folder = target / sub
        datasets = _read_datasets(specs, folder)
        paths, findings = generate_define(study, datasets, folder, schema)
        lines.append(f"{standard}: {len(datasets)} dataset(s) described in {', '.join(display_path(p) for p in paths)}")
        lines += [f"  {f}" for f in findings]
    if not lines:
        raise UsageError(f"{display_path(study_folder)}: the study has no dataset specs to describe")
    return lines


def _read_datasets(specs: list, folder: Path) -> list[DefineDataset]:
    expected = {f"{s.dataset.lower()}.xpt" for s in specs}
    expected |= {f"supp{s.dataset.lower()}.xpt" for s in specs if getattr(s, "supp", None)}
    missing = sorted(name for name in expected if not (folder / name).is_file())
    if missing:
        raise UsageError(
            f"{display_path(folder)}: no data file {', '.join(missing)}; run `cdisc run` first to write the datasets"
        )
    unknown = sorted(p.stem.upper() for p in folder.glob("*.xpt") if p.name not in expected)
    if unknown:
        raise DefineMismatchError(
            [Finding("error", name, None, f"{name.lower()}.xpt is in {display_path(folder)} but no spec describes it") for name in unknown]
        )
    datasets = []
    for spec in specs:  # each file is read when its dataset is described, one at a time
        supp = partial(_records, folder / f"supp{spec.dataset.lower()}.xpt") if getattr(spec, "supp", None) else None
        datasets.append(DefineDataset(spec, partial(_records, folder / f"{spec.dataset.lower()}.xpt"), supp))
    return datasets


def _records(path: Path) -> pd.DataFrame:
    """The records of an XPT file."""
    return read_xpt(path)[0]
