"""cdisc spec import of define.xml: the official Define-XML 2.1 examples and the PHUSE TDF ADaM define (2.0).

The source is read again here with lxml alone (not with the package's define reader), and every
dataset, variable, value-level entry and codelist the spec can hold must equal it. What the spec
cannot hold is named in the import's notes and checked here to be exactly those items: where
clauses other than EQ/IN or on another dataset's variable, unnamed w.d display formats of
variables. External dictionaries (MedDRA, ISO 3166) arrive as codelists naming the dictionary and version.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from lxml import etree
from typer.testing import CliRunner

from cdisc.cli import app
from cdisc.specio import read_specs
from cdisc.specio.values import FORMAT, codelist_name

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
EXAMPLES = SHARED / "standards" / "define-xml-2.1" / "examples"
PHUSE = SHARED / "reference" / "phuse-tdf" / "adam" / "define.xml"
SOURCES = [EXAMPLES / "defineV21-SDTM.xml", EXAMPLES / "defineV21-ADaM.xml", PHUSE]

ODM = "{http://www.cdisc.org/ns/odm/v1.3}"


def _ns(root) -> str:
    return "{" + next(v for k, v in root.nsmap.items() if k == "def") + "}"


def _text(element) -> str | None:
    found = element.find(f"{ODM}Description/{ODM}TranslatedText")
    return found.text if found is not None else None


def _source(path: Path) -> dict:
    """Datasets, variables (with value-level items) and codelists of a define.xml, read with lxml only."""
    root = etree.parse(str(path)).getroot()
    d = _ns(root)
    mdv = root.find(f"{ODM}Study/{ODM}MetaDataVersion")
    by_oid = {e.get("OID"): e for e in mdv.iter() if e.get("OID")}
    codelists = {}
    for cl in mdv.iter(f"{ODM}CodeList"):
        items = [(i.get("CodedValue"), i.findtext(f"{ODM}Decode/{ODM}TranslatedText"))
                 for i in cl if i.tag in (f"{ODM}CodeListItem", f"{ODM}EnumeratedItem")]
        external = cl.find(f"{ODM}ExternalCodeList")
        codelists[cl.get("OID")] = {"label": cl.get("Name"), "terms": items, "external": external is not None,
                                    "dictionary": None if external is None else (external.get("Dictionary"), external.get("Version"))}

    def item(ref):
        it = by_oid[ref.get("ItemOID")]
        cl = it.find(f"{ODM}CodeListRef")
        return {"name": it.get("Name"), "label": _text(it), "type": it.get("DataType"),
                "length": int(it.get("Length")) if it.get("Length") else None, "format": it.get(f"{d}DisplayFormat"),
                "codelist": cl.get("CodeListOID") if cl is not None else None, "mandatory": ref.get("Mandatory") == "Yes",
                "method": _text(by_oid.get(ref.get("MethodOID"))) if by_oid.get(ref.get("MethodOID")) is not None else None,
                "values": it.find(f"{d}ValueListRef")}

    datasets = {}
    for group in mdv.iter(f"{ODM}ItemGroupDef"):
        klass = group.find(f"{d}Class")
        variables = []
        for ref in group.iter(f"{ODM}ItemRef"):
            var = item(ref)
            levels = []
            if var["values"] is not None:
                for vref in by_oid[var["values"].get("ValueListOID")].iter(f"{ODM}ItemRef"):
                    level = item(vref)
                    where = []
                    for wref in vref.iter(f"{d}WhereClauseRef"):
                        for check in by_oid[wref.get("WhereClauseOID")].iter(f"{ODM}RangeCheck"):
                            target = check.get(f"{d}ItemOID")
                            owner = target.split(".")[1] if target.count(".") == 2 else group.get("Name")
                            where.append((by_oid[target].get("Name"), check.get("Comparator"),
                                          [v.text for v in check.iter(f"{ODM}CheckValue")], owner == group.get("Name")))
                    levels.append((where, level))
            var["levels"] = levels
            variables.append(var)
        keys = sorted((int(r.get("KeySequence")), by_oid[r.get("ItemOID")].get("Name")) for r in group.iter(f"{ODM}ItemRef") if r.get("KeySequence"))
        datasets[group.get("Name")] = {
            "label": _text(group), "class": klass.get("Name") if klass is not None else group.get(f"{d}Class"),
            "structure": group.get(f"{d}Structure"), "keys": [k for _, k in keys], "variables": variables,
        }
    return {"datasets": datasets, "codelists": codelists}


def _holdable(where) -> bool:
    return all(comparator in ("EQ", "IN") and same for _, comparator, _, same in where)


@pytest.fixture(scope="module", params=SOURCES, ids=lambda p: p.name if p != PHUSE else "phuse-tdf-adam")
def imported(request):
    if not request.param.is_file():
        pytest.skip(f"{request.param} is absent (the shared reference folder is not beside the repository)")
    return request.param, read_specs(request.param), _source(request.param)


def test_every_dataset_arrives_with_its_attributes(imported):
    _, bundle, source = imported
    specs = {d["dataset"]: d for d in bundle.datasets}
    parents = {n for n in source["datasets"] if not n.startswith("SUPP")}
    assert set(specs) == parents
    for name in parents:
        want, got = source["datasets"][name], specs[name]
        assert (got["label"], got["structure"], got["keys"]) == (want["label"], want["structure"], want["keys"])
        adam_class_given = want["class"] in ("SUBJECT LEVEL ANALYSIS DATASET", "BASIC DATA STRUCTURE", "OCCURRENCE DATA STRUCTURE", "ADAM OTHER")
        if adam_class_given or not name.startswith("AD"):
            assert got["class"] == want["class"]
        else:  # a pre-ADaMIG 1.1 class (PHUSE TDF ADAE: "ADAE"): replaced, and said so
            assert any(n.startswith(f"{name}: class {want['class']!r} is not an ADaM class") for n in bundle.notes)


def test_every_variable_arrives_with_its_attributes(imported):
    _, bundle, source = imported
    specs = {d["dataset"]: d for d in bundle.datasets}
    names = {cl: codelist_name(cl, set()) for cl in source["codelists"]}
    compared = 0
    for name, spec in specs.items():
        want_vars = source["datasets"][name]["variables"]
        assert [v["name"] for v in spec["variables"]] == [v["name"] for v in want_vars]
        for got, want in zip(spec["variables"], want_vars, strict=True):
            assert got["label"] == want["label"]
            assert got["type"] == want["type"]
            assert got.get("length") == want["length"]
            assert (got.get("core") == "Req") == want["mandatory"]
            assert got.get("method") == want["method"]
            if want["format"] and FORMAT.fullmatch(want["format"].upper()):
                assert got["format"] == want["format"].upper()
            else:
                assert "format" not in got
            if want["codelist"] is None:
                assert "codelist" not in got
            elif want["codelist"] not in source["codelists"]:  # a dangling CodeListRef (PHUSE TDF ADLBHPV.PARAM)
                assert "codelist" not in got
                assert f"{name}.{got['name']}: codelist {want['codelist']} is not defined in the file; left out" in bundle.notes
            else:  # a codelist or an external dictionary, which arrives as a codelist too
                assert got["codelist"] in {names[want["codelist"]], *(c["name"] for c in bundle.codelists)}
            compared += 1
    assert compared == sum(len(d["variables"]) for n, d in source["datasets"].items() if not n.startswith("SUPP"))


def test_value_level_metadata_equals_the_source(imported):
    _, bundle, source = imported
    specs = {d["dataset"]: d for d in bundle.datasets}
    left_out = 0
    for name, spec in specs.items():
        for got, want in zip(spec["variables"], source["datasets"][name]["variables"], strict=True):
            held = [(w, level) for w, level in want["levels"] if _holdable(w)]
            left_out += len(want["levels"]) - len(held)
            levels = got.get("value_level", [])
            assert len(levels) == len(held)
            for level, (where, attrs) in zip(levels, held, strict=True):
                assert {k: [str(v) for v in vs] for k, vs in level["where"].items()} == {n: vals for n, _, vals, _ in where}
                assert (level.get("label"), level["type"], level.get("length"), level.get("method")) == (
                    attrs["label"], attrs["type"], attrs["length"], attrs["method"])
    notes = [n for n in bundle.notes if "value-level entry '" in n]
    assert len(notes) == left_out


def test_supp_datasets_become_qualifiers_of_their_parent(imported):
    _, bundle, source = imported
    specs = {d["dataset"]: d for d in bundle.datasets}
    for name, supp in source["datasets"].items():
        if not name.startswith("SUPP"):
            continue
        qval = next(v for v in supp["variables"] if v["name"] == "QVAL")
        want = [(w[0][2][0], attrs["label"]) for w, attrs in qval["levels"]]
        assert [(q["qnam"], q["qlabel"]) for q in specs[name[4:]]["supp"]] == want


def test_codelists_equal_the_source(imported):
    _, bundle, source = imported
    got = {c["name"]: c for c in bundle.codelists}
    taken: set[str] = set()
    for oid, want in source["codelists"].items():
        name = codelist_name(oid, taken)
        taken.add(name)
        codelist = got[name]
        assert codelist["label"] == want["label"]
        assert (codelist.get("dictionary"), codelist.get("version")) == (want["dictionary"] or (None, None))
        assert [(str(t["value"]), t.get("decode")) for t in codelist.get("terms", [])] == [
            (re.sub(r"\.0$", "", v) if codelist["type"] != "text" else v, d) for v, d in want["terms"]]
    assert len(got) == len(source["codelists"])


def test_values_the_spec_refuses_are_errors_at_their_line(imported):
    path, bundle, source = imported
    too_long = {n: d["label"] for n, d in source["datasets"].items() if len(d["label"]) > 40}
    assert [str(i) for i in bundle.issues] == [
        f"{path.name}:{_line(path, n)}: {n}: label is {len(label)} characters long; XPT v5 allows at most 40: '{label}'"
        for n, label in too_long.items()
    ]


def _line(path: Path, dataset: str) -> int:
    return next(i for i, line in enumerate(path.read_text().splitlines(), 1) if f' OID="IG.{dataset}"' in line)


def test_define_20_origin_types_map_to_21():
    from cdisc.specio.values import origin_value

    table = [
        # Define-XML origin, source, pages            -> spec origin
        (("CRF", None, "12"),                          {"type": "Collected", "page": "12"}),
        (("eDT", None, None),                          {"type": "Collected", "source": "Vendor"}),
        (("Derived", None, None),                      "Derived"),
        (("Collected", "Investigator", None),          {"type": "Collected", "source": "Investigator"}),
        ((None, None, None),                           None),
    ]  # fmt: skip
    for (kind, source, pages), expected in table:
        assert origin_value(kind, source, pages) == expected


@pytest.mark.parametrize("path", SOURCES[:2], ids=lambda p: p.name)
def test_written_specs_load_with_the_spec_models(path, tmp_path):
    if not path.is_file():
        pytest.skip(f"{path} is absent (the shared reference folder is not beside the repository)")
    from cdisc.spec.adam import AdamDataset
    from cdisc.spec.models import CodelistFile
    from cdisc.spec.sdtm import SdtmDataset
    from cdisc.spec.yamlsource import load_yaml

    result = CliRunner().invoke(app, ["spec", "import", str(path), "--out", str(tmp_path / "study")])
    assert result.exit_code == 0, result.output
    bundle = read_specs(path)
    files = sorted((tmp_path / "study").glob("*/*.yaml"))
    assert [f.stem.upper() for f in files] == sorted(d["dataset"] for d in bundle.datasets)
    for file in files:
        model = AdamDataset if file.parent.name == "adam" else SdtmDataset
        spec = model.model_validate(load_yaml(file).data)
        assert len(spec.variables) == len(next(d for d in bundle.datasets if d["dataset"] == spec.dataset)["variables"])
    codelists = CodelistFile.model_validate(load_yaml(tmp_path / "study" / "codelists.yaml").data)
    assert len(codelists.codelists) == len(bundle.codelists)
