"""libyaml's reading of a spec (cdisc.spec.yamlfast) gives ruamel's data and positions, or declines.

Spec files are read with libyaml when it can vouch for the result, else with ruamel's round-trip loader; a
message must point at the same line and column either way, and the data (``no`` is text, ``2026-01-12`` a
date) must be the same.
"""

import datetime as dt
from pathlib import Path

import pytest

from cdisc.spec.yamlfast import compose
from cdisc.spec.yamlsource import _load_ruamel

ROOT = Path(__file__).parent.parent


def _typed(data):
    """The data with every scalar's type, so 1 and True, or '1' and 1, differ."""
    if isinstance(data, dict):
        return {key: _typed(value) for key, value in data.items()}
    if isinstance(data, list):
        return [_typed(value) for value in data]
    return type(data).__name__, data


def _same_as_ruamel(text: str) -> bool:
    """True when libyaml reads ``text`` as ruamel does; False when it declines (ruamel then reads it)."""
    composed = compose(text)
    if composed is None:
        return False
    data, values, keys = composed
    doc = _load_ruamel("spec.yaml", text)  # raises if ruamel refuses what libyaml accepted
    assert _typed(data) == _typed(doc.data)
    assert values == doc.value_positions
    assert keys == doc.key_positions
    return True


def test_every_bundled_spec_reads_as_with_ruamel():
    """The example studies and the test fixtures: libyaml reads each as ruamel does (only broken YAML declined)."""
    paths = sorted(path for folder in ("specs", "examples", "tests") for path in (ROOT / folder).rglob("*.yaml"))
    declined = [path.relative_to(ROOT) for path in paths if not _same_as_ruamel(path.read_text(encoding="utf-8"))]
    assert all(path.parts[:2] == ("tests", "broken_specs") for path in declined), declined
    examples = [path for path in paths if path.relative_to(ROOT).parts[0] in ("specs", "examples")]
    assert examples
    assert all(_same_as_ruamel(path.read_text(encoding="utf-8").replace("\n", "\r\n")) for path in examples[:10])


@pytest.mark.parametrize(
    ("text", "read_by_libyaml"),
    [
        # YAML 1.2 scalars as ruamel resolves them: yes/no/on stay text, 017 is 17, 0o17 is 15
        ("b: [true, True, FALSE, yes, no, on, off, y, ~, null, NULL, nULL]\n", True),
        ("n: [0, +1, -1, 1_000, 0b101, 0o17, 017, 0x1F, 1.5, 1e3, .5, -.inf, .NaN, 1., 09]\n", True),
        ("t: [2026-01-12, 2026-01-12T09:00:00, 2026-01-12 09:00:00.5, 2026-01-12T09:00:00+01:00, 2026-1-2 3:04:05]\n", True),
        ("1: a\n2.5: b\n2026-01-01: c\n0x1F: d\n", True),
        ("a: |\n  line1\n   line2\n\n  line3\nb: >\n  folded\n  text\nc: |-\n  x\n", True),
        ("a: 'it''s'\nb: \"\\u00e9 \\x41\"\nc: \"multi\n  line\"\n", True),
        ("# c\n---\na: 1 # c\nb: [1, 2,\n  3]\n...\n", True),
        ("é: ü\nb: 😀 x\nc: {😀: 1, d: 2}\n", True),
        ("u: {a: null, b: ~}\n", True),
        ("", True),
        # a duplicate key, also where the keys differ only as text (1 and true are one key to ruamel)
        ("x: 1\n'x': 2\n", False),
        ("1: a\ntrue: b\n", False),
        # '{a: x, b}': a key without a value, which yamlhints.cut_values explains
        ("t: {a: x, b}\n", False),
        # placed or read differently by libyaml: empty values, tabs, anchors, tags, merge keys, directives
        ("a:\nb: 1\n", False),
        ("a:\tb\n", False),
        ("a: &x true\nb: *x\n", False),
        ("a: !!str 1\n", False),
        ("<<: {a: 1}\n", False),
        ("%YAML 1.1\n---\na: yes\n", False),
        ("? [x]\n: 2\n", False),
        ("a: 2026-02-30\n", False),
        # syntax errors: ruamel words them
        ("a: b: c\n", False),
        ("a: [1, 2\nb: 3\n", False),
    ],
)
def test_read_as_with_ruamel_or_declined(text, read_by_libyaml):
    if read_by_libyaml:
        assert _same_as_ruamel(text)
    else:
        assert compose(text) is None


def test_scalars_are_yaml_1_2():
    data, _, _ = compose("flags: [yes, no, on, true]\nwhen: 2026-01-12\nn: 017\n")
    assert data == {"flags": ["yes", "no", "on", True], "when": dt.date(2026, 1, 12), "n": 17}
