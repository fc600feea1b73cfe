"""The JSON Schema an editor uses (``cdisc schema``) agrees with the loader: every bundled spec passes it,
and the broken-spec corpus is rejected wherever JSON Schema can express the rule."""

import datetime
from pathlib import Path

import jsonschema
import pytest
from ruamel.yaml import YAML

from cdisc.spec.schema import spec_schema

REPO = Path(__file__).parent.parent
CORPUS = Path(__file__).parent / "broken_specs"
SPECS = [
    ("study", "specs/study.yaml"), ("codelists", "specs/codelists.yaml"),
    ("sdtm", "specs/sdtm/*.yaml"), ("adam", "specs/adam/*.yaml"),
    ("study", "examples/*/study.yaml"), ("sdtm", "examples/*/sdtm/*.yaml"), ("adam", "examples/*/adam/*.yaml"),
    ("study", "tests/fixtures/minimal/study.yaml"), ("sdtm", "tests/fixtures/minimal/sdtm/*.yaml"),
]
#: Corpus cases whose mistake JSON Schema can express (the others need the raw data, other files or the
#: expression parser: unknown columns, cycles, YAML syntax, ...).
EXPRESSIBLE = [
    "codelist_term_missing_value", "keys_not_a_list", "label_not_ascii", "label_too_long", "length_not_a_number",
    "length_too_large", "missing_required_key", "name_bad_characters", "name_lower_case", "name_too_long", "no_rule",
    "two_rules", "study_bad_created", "study_unknown_key", "unknown_data_type", "unknown_dataset_class",
    "unknown_key_typo", "unknown_origin", "unknown_rule_typo",
]


def plain(value):
    """YAML as an editor's language server sees it: timestamps are text."""
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    if isinstance(value, (datetime.date, datetime.datetime)):
        return value.isoformat()
    return value


def errors(kind: str, path: Path) -> list[str]:
    validator = jsonschema.Draft202012Validator(spec_schema(kind), format_checker=jsonschema.FormatChecker())
    return [e.message for e in validator.iter_errors(plain(YAML(typ="safe").load(path.read_text(encoding="utf-8"))))]


def kind_of(path: Path) -> str:
    if path.name == "study.yaml":
        return "study"
    if path.name == "codelists.yaml":
        return "codelists"
    return "adam" if path.parent.name == "adam" else "sdtm"


BUNDLED = [(kind, path) for kind, pattern in SPECS for path in sorted(REPO.glob(pattern))]


@pytest.mark.parametrize("kind,path", BUNDLED, ids=[str(p.relative_to(REPO)) for _, p in BUNDLED])
def test_every_bundled_spec_passes_the_schema(kind, path):
    assert errors(kind, path) == []


def test_the_bundled_specs_were_found():
    assert len(BUNDLED) >= 30


@pytest.mark.parametrize("case", EXPRESSIBLE)
def test_the_broken_spec_corpus_is_rejected_by_the_schema(case):
    files = sorted((CORPUS / case).rglob("*.yaml"))
    found = [message for path in files for message in errors(kind_of(path), path)]
    assert found, f"the schema accepts {case}, which the loader refuses"


def test_a_variable_rule_is_a_real_one_of():
    variable = spec_schema("sdtm")["$defs"]["SdtmVariable"]
    assert {"required": ["assign"]} in variable["oneOf"] and {"required": ["iso8601"]} in variable["oneOf"]


def test_labels_and_names_carry_their_xpt_limits():
    variable = spec_schema("sdtm")["$defs"]["SdtmVariable"]["properties"]
    assert variable["label"]["maxLength"] == 40 and variable["name"]["pattern"] == "^[A-Z][A-Z0-9_]{0,7}$"
