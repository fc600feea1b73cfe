"""The rule registry: every rule and record step has a parameter model, an implementation, a method text in
words and an example that the loader accepts; the language guide is generated from it."""

import re
from pathlib import Path

import pytest
from pydantic import TypeAdapter
from ruamel.yaml import YAML

from cdisc.rules import rules
from cdisc.spec.adam import AdamVariable, RecordStep
from cdisc.spec.guide import language_guide
from cdisc.spec.load import load_study
from cdisc.spec.sdtm import SdtmVariable

REPO = Path(__file__).parent.parent
ALL = [(engine, rule) for engine in ("sdtm", "adam", "steps") for rule in rules(engine).values()]
IDS = [f"{engine}:{rule.name}" for engine, rule in ALL]


@pytest.fixture(scope="module")
def study_spec():
    return load_study(REPO / "specs").spec


def examples(engine: str, rule) -> list[dict]:
    loaded = YAML(typ="safe").load(rule.example)
    items = loaded["steps"] if isinstance(loaded, dict) and "steps" in loaded else loaded
    assert isinstance(items, list) and items, f"{rule.name}: the example is not a list of variables or steps"
    return items


@pytest.mark.parametrize("engine,rule", ALL, ids=IDS)
def test_every_rule_has_a_model_an_implementation_and_a_docstring(engine, rule):
    TypeAdapter(rule.params)  # a type pydantic can validate
    assert callable(rule.build)
    assert len(rule.summary.split()) >= 4, f"{rule.name}: document what the rule does"


@pytest.mark.parametrize("engine,rule", ALL, ids=IDS)
def test_every_example_is_accepted_and_its_method_is_words(engine, rule, study_spec):
    model = {"sdtm": SdtmVariable, "adam": AdamVariable, "steps": RecordStep}[engine]
    used = 0
    for item in examples(engine, rule):
        parsed = model.model_validate(item)
        name, params = parsed.rule
        if name != rule.name:
            continue
        used += 1
        text = rule.method(params, parsed.name if engine != "steps" else "ADVS", study_spec)
        if rule.name == "todo":  # a placeholder from an imported workbook: its method is the workbook's own text
            continue
        assert text.endswith(".") and len(text.split()) >= 5, f"{rule.name}: {text!r} is not a sentence"
        assert not re.search(rf"\b{rule.name}\(", text), f"{rule.name}: the method text is rule syntax: {text!r}"
    assert used, f"{rule.name}: the example does not use the rule"


def test_the_guide_in_the_repository_is_the_generated_one():
    assert (REPO / "docs" / "LANGUAGE.md").read_text(encoding="utf-8") == language_guide(), (
        "docs/LANGUAGE.md is out of date: run `cdisc guide -o docs/LANGUAGE.md`"
    )


def test_the_guide_documents_every_rule_with_an_example():
    guide = language_guide()
    for _, rule in ALL:
        assert f"### `{rule.name}`" in guide
        assert rule.example.splitlines()[0] in guide
