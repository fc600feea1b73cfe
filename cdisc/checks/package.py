"""Load an output folder for validation: every ``.xpt`` under it, grouped by folder, with define.xml keys.

A folder holding ``ad*.xpt`` files is an ADaM package, any other folder with
``.xpt`` files an SDTM package. Keys come from the folder's ``define.xml``
(``KeySequence`` in Define-XML 2.x, ``def:DomainKeys`` in 1.0); DM, ADSL,
TS, TE and SUPP-- have well-known keys when define.xml gives none.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from lxml import etree

from cdisc.checks.standards import Standards
from cdisc.compare.tables import Table, read_table
from cdisc.errors import DataError, UsageError

DEFAULT_KEYS = {
    "DM": ["STUDYID", "USUBJID"],
    "ADSL": ["STUDYID", "USUBJID"],
    "TS": ["STUDYID", "TSPARMCD", "TSSEQ"],
    "TE": ["STUDYID", "ETCD"],
    "SUPP": ["STUDYID", "RDOMAIN", "USUBJID", "IDVAR", "IDVARVAL", "QNAM"],
}


@dataclass
class Dataset:
    """One dataset file of the output."""

    name: str  # upper case, e.g. "AE", "SUPPAE", "ADSL"
    model: str  # "SDTM" | "ADaM"
    table: Table
    keys: list[str]

    @property
    def frame(self):
        return self.table.frame

    @property
    def domain(self) -> str:
        """The SDTM domain: DOMAIN of a split dataset (``LBCH`` -> ``LB``, ``QSCO`` -> ``QS``), else the name."""
        if self.model == "SDTM" and "DOMAIN" in self.frame.columns and len(self.frame):
            value = str(self.frame["DOMAIN"].iloc[0]).strip()
            if value and value != self.name and self.name.startswith(value):
                return value
        return self.name


@dataclass
class Package:
    """A folder of datasets of one model, with its define.xml when present."""

    folder: Path
    model: str
    files: list[str]  # lower-case file names, e.g. "dm.xpt"
    define: Path | None


@dataclass
class Submission:
    """Everything validation looks at: the datasets, their packages and the IG/CT metadata."""

    root: Path
    standards: Standards
    packages: list[Package] = field(default_factory=list)
    datasets: list[Dataset] = field(default_factory=list)
    unreadable: list[str] = field(default_factory=list)

    def find(self, name: str) -> Dataset | None:
        return next((d for d in self.datasets if d.name == name), None)

    def model(self, model: str) -> list[Dataset]:
        return [d for d in self.datasets if d.model == model]


def load_submission(root: Path, standards: Standards) -> Submission:
    """Read every XPT under ``root`` (ASCII, else Windows-1252, which the ASCII rule then reports)."""
    if not root.is_dir():
        raise UsageError(f"{root}: no such folder")
    submission = Submission(root, standards=standards)
    folders = sorted({p.parent for p in root.rglob("*") if p.suffix.lower() == ".xpt"})
    if not folders:
        raise UsageError(f"{root}: no .xpt datasets found in this folder or below")
    for folder in folders:
        paths = sorted(p for p in folder.iterdir() if p.suffix.lower() == ".xpt")
        model = "ADaM" if any(p.stem.lower().startswith("ad") for p in paths) else "SDTM"
        define = next((p for p in folder.iterdir() if p.name.lower() == "define.xml"), None)
        submission.packages.append(Package(folder, model, [p.name.lower() for p in paths], define))
        keys = _define_keys(define) if define else {}
        for path in paths:
            try:
                table = read_table(path)
            except DataError as exc:
                submission.unreadable.append(str(exc))
                continue
            name = path.stem.upper()
            default = DEFAULT_KEYS.get("SUPP" if name.startswith("SUPP") else name, [])
            chosen = [k for k in keys.get(name, default) if k in table.frame.columns]
            submission.datasets.append(Dataset(name, "ADaM" if name.startswith("AD") else "SDTM", table, chosen))
    return submission


def _define_keys(path: Path) -> dict[str, list[str]]:
    """Key variables per dataset from a define.xml (1.0 or 2.x); empty when it cannot be parsed."""
    try:
        tree = etree.parse(str(path))
    except (OSError, etree.XMLSyntaxError):
        return {}
    names = {item.get("OID"): item.get("Name") for item in tree.xpath("//*[local-name()='ItemDef']")}
    keys: dict[str, list[str]] = {}
    for group in tree.xpath("//*[local-name()='ItemGroupDef']"):
        refs = [(int(r.get("KeySequence")), names.get(r.get("ItemOID"), "")) for r in group.xpath("./*[local-name()='ItemRef']") if r.get("KeySequence")]
        domain_keys = next((v for k, v in group.attrib.items() if k.endswith("DomainKeys")), "")
        found = [name for _, name in sorted(refs)] or [k.strip() for k in domain_keys.split(",") if k.strip()]
        if found and group.get("Name"):
            keys[group.get("Name").upper()] = found
    return keys
