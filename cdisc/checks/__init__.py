"""``cdisc validate``: conformance rules (SDTMIG 3.4, ADaMIG 1.3, FDA) run on written XPT files and define.xml.

Each rule has an id, the requirement it enforces, a severity and a message;
findings name the rule, dataset, record (1-based row), variable and value.
Exit codes of ``cdisc validate``: 0 no errors (warnings allowed), 1 errors found, 2 bad usage.
"""

from __future__ import annotations

from cdisc.checks.registry import RULES, Rule
from cdisc.checks.run import Validation, validate

__all__ = ["RULES", "Rule", "Validation", "validate"]
