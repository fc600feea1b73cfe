"""Specs where teams keep them: Pinnacle 21-template Excel workbooks and define.xml, to and from the YAML specs.

``cdisc spec import`` reads a workbook (:mod:`~cdisc.specio.xlsx_import`) or a define.xml
(:mod:`~cdisc.specio.define_import`) and writes a study folder (:mod:`~cdisc.specio.write`) or
merges into one (:mod:`~cdisc.specio.merge`); ``cdisc spec export`` writes a workbook
(:mod:`~cdisc.specio.xlsx_export`). Rules cannot live in a workbook: the import writes the
method text as a ``todo:`` placeholder rule (``cdisc/rules/common/todo.py``), and a merge keeps
the study's rules.
"""

from __future__ import annotations

from pathlib import Path

from cdisc.errors import SpecError, UsageError
from cdisc.specio.bundle import SpecBundle, check_bundle


def read_specs(path: Path) -> SpecBundle:
    """The specs in a workbook (.xlsx) or a define.xml (.xml), with any problems in ``issues``."""
    if not path.is_file():
        raise UsageError(f"{path}: no such file")
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        from cdisc.specio.xlsx_import import read_workbook

        bundle = read_workbook(path)
    elif suffix == ".xml":
        from cdisc.specio.define_import import read_define_file

        bundle = read_define_file(path)
    else:
        raise UsageError(f"{path}: expected a P21-template workbook (.xlsx) or a define.xml (.xml)")
    bundle.issues = check_bundle(bundle)
    return bundle


def import_specs(path: Path, out: Path, merge_into: Path | None = None) -> list[str]:
    """Write the specs of ``path`` as a study in ``out``, or merge them into the study ``merge_into``
    (written in place, after copying it to ``out`` when that is another folder). Lines to print."""
    bundle = read_specs(path)
    if bundle.issues:
        raise SpecError(bundle.issues)
    if merge_into is None:
        from cdisc.specio.write import write_study

        return write_study(bundle, out)
    from cdisc.spec.load import load_study
    from cdisc.specio.merge import merge_into as merge

    study = load_study(merge_into)
    if out.resolve() != study.folder.resolve():
        import shutil

        shutil.copytree(study.folder, out, dirs_exist_ok=True)
    return merge(bundle, study, out)


def export_specs(study_dir: Path, out: Path, data: Path | None = None) -> list[str]:
    """Write the specs of the study in ``study_dir`` as a P21-template workbook ``out``. ``data``: a run's
    output folder (default: the study's output folder when it holds a define.xml) restricting CT codelists."""
    from cdisc.spec.load import load_study
    from cdisc.specio.xlsx_export import export_workbook

    study = load_study(study_dir)
    if data is None:
        default = study.resolve(study.spec.output.folder)
        data = default if any(default.glob("*/define.xml")) else None
    elif not data.is_dir():
        raise UsageError(f"{data}: no such output folder")
    return export_workbook(study, out, data)
