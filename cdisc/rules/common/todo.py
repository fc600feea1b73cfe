"""``todo``: a placeholder for a rule still to be written, left by ``cdisc spec import``.

A spec workbook or define.xml says in words how a variable is derived (its method), never as
a rule. The import keeps those words as the variable's ``method:`` and writes ``todo:`` with
the same text in place of the rule. ``cdisc check-spec`` accepts the spec and lists every
variable still to do; ``cdisc run`` refuses it with the same list (:func:`still_to_write`).
"""

from __future__ import annotations

from cdisc.errors import SpecError, SpecIssue
from cdisc.rules import BOTH, Reference, rule


def _no_references(text) -> list[Reference]:
    return []


@rule(
    "todo", engines=BOTH, params=str, references=_no_references,
    method=lambda text, variable, spec: text,
    example='- {name: AGEGR1, label: Pooled Age Group 1, type: text, origin: Derived, method: "<65, >=65", todo: "<65, >=65"}',
)
def todo(text, records):
    """No rule yet: the text says what the rule must do. A spec holding one cannot be run."""
    raise SpecError([SpecIssue("", 0, 0, "", f"a variable still needs its rule ({text}); run cdisc check-spec to list them")])


def still_to_write(study) -> list[SpecIssue]:
    """One located issue per variable or qualifier of ``study`` whose rule is still ``todo``, with its text."""
    issues = []
    for name, dataset in study.datasets.items():
        for part, key in (("variables", "name"), ("supp", "qnam")):
            for i, entry in enumerate(getattr(dataset.spec, part, [])):
                if entry.rule[0] == "todo":
                    subject = f"{name}.{getattr(entry, key)}" if part == "variables" else f"SUPP{name}.{entry.qnam}"
                    issues.append(dataset.doc.issue((part, i, "todo"), subject, f"still needs a rule: {entry.todo}"))
    return issues
