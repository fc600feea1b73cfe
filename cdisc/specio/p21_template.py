"""The Pinnacle 21 spec template: its sheets, their columns, and the spellings of the variants metacore reads.

The export writes exactly the sheets and columns below, in this order (P21's Define-XML 2.1
layout). The import finds each sheet and column by name, case-insensitively and ignoring
spaces, and accepts the alternative names metacore's ``spec_to_metacore`` accepts (``Domains``
for ``Datasets``, ``Derivations`` for ``Methods``, ``Variable Name``, ``Controlled Term``, a
separate ``WhereClauses`` sheet as in the older P21 template, ...).
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Sheet:
    """A template sheet: its name, its columns in order, and other names of the sheet and its columns."""

    name: str
    columns: tuple[str, ...]
    aliases: tuple[str, ...] = ()
    column_aliases: tuple[tuple[str, tuple[str, ...]], ...] = ()

    def names(self) -> tuple[str, ...]:
        return (self.name, *self.aliases)

    def spellings(self, column: str) -> tuple[str, ...]:
        """Every accepted header of ``column``."""
        return (column, *dict(self.column_aliases).get(column, ()))


DEFINE = Sheet("Define", ("Attribute", "Value"))
STANDARDS = Sheet("Standards", ("ID", "Name", "Type", "Publishing Set", "Version", "Status", "Comment"))
DATASETS = Sheet(
    "Datasets",
    ("Dataset", "Label", "Class", "SubClass", "Structure", "Key Variables", "Standard", "Has No Data", "Repeating",
     "Reference Data", "Comment", "Developer Notes"),
    aliases=("Domains", "Dataset", "Domain"),
    column_aliases=(("Dataset", ("Name", "Domain")), ("Label", ("Description",)), ("Key Variables", ("Keys",))),
)
_VARIABLE_ALIASES = (
    ("Variable", ("Variable Name", "Name")),
    ("Order", ("Variable Order",)),
    ("Data Type", ("Type",)),
    ("Codelist", ("Controlled Term", "Controlled Terms", "Codelist ID")),
    ("Dataset", ("Domain",)),
    ("Mandatory", ("Keep",)),
)
VARIABLES = Sheet(
    "Variables",
    ("Order", "Dataset", "Variable", "Label", "Data Type", "Length", "Significant Digits", "Format", "Mandatory",
     "Assigned Value", "Codelist", "Common", "Origin", "Source", "Pages", "Method", "Predecessor", "Role",
     "Has No Data", "Comment", "Developer Notes"),
    aliases=("Variable",),
    column_aliases=_VARIABLE_ALIASES,
)
VALUE_LEVEL = Sheet(
    "ValueLevel",
    ("Order", "Dataset", "Variable", "Where Clause", "Label", "Data Type", "Length", "Significant Digits", "Format",
     "Mandatory", "Assigned Value", "Codelist", "Origin", "Source", "Pages", "Method", "Predecessor", "Comment",
     "Developer Notes"),
    aliases=("Value Level", "Value Level Metadata", "VLM"),
    column_aliases=(*_VARIABLE_ALIASES, ("Where Clause", ("Where", "Where Clause ID"))),
)
WHERE_CLAUSES = Sheet("WhereClauses", ("ID", "Dataset", "Variable", "Comparator", "Value", "Comment"), aliases=("Where Clauses",))
CODELISTS = Sheet(
    "Codelists",
    ("ID", "Name", "NCI Codelist Code", "Data Type", "Terminology", "Comment", "Order", "Term", "NCI Term Code",
     "Decoded Value"),
    aliases=("Codelist", "Controlled Terms", "Controlled Terminology"),
    column_aliases=(("Term", ("Code", "Coded Value", "Submission Value")), ("Decoded Value", ("Decode",)),
                    ("NCI Codelist Code", ("Codelist Code",)), ("NCI Term Code", ("Term Code",))),
)
DICTIONARIES = Sheet("Dictionaries", ("ID", "Name", "Data Type", "Dictionary", "Version"))
METHODS = Sheet(
    "Methods",
    ("ID", "Name", "Type", "Description", "Expression Context", "Expression Code", "Document", "Pages"),
    aliases=("Method", "Derivations", "Derivation"),
    column_aliases=(("Description", ("Definition", "Derivation")),),
)
COMMENTS = Sheet("Comments", ("ID", "Description", "Document", "Pages"), aliases=("Comment",))
DOCUMENTS = Sheet("Documents", ("ID", "Title", "Href"))
ANALYSIS_DISPLAYS = Sheet("Analysis Displays", ("ID", "Title", "Document", "Pages"))
ANALYSIS_RESULTS = Sheet(
    "Analysis Results",
    ("Display", "ID", "Description", "Variables", "Reason", "Purpose", "Selection Criteria", "Join Comment",
     "Documentation", "Documentation Refs", "Programming Context", "Programming Code", "Programming Document", "Pages"),
)

#: The sheets the export writes, in order (P21's template sheets).
TEMPLATE = (DEFINE, STANDARDS, DATASETS, VARIABLES, VALUE_LEVEL, CODELISTS, DICTIONARIES, METHODS, COMMENTS,
            DOCUMENTS, ANALYSIS_DISPLAYS, ANALYSIS_RESULTS)

#: Column widths (characters) of the wide text columns; the others are sized to their header.
WIDE = {"Label": 40, "Structure": 50, "Key Variables": 40, "Description": 80, "Method": 24, "Comment": 24,
        "Where Clause": 40, "Decoded Value": 40, "Name": 30, "Term": 24, "Predecessor": 20, "Value": 60,
        "Title": 40, "Class": 30, "Role": 18}


def normalise(header: object) -> str:
    """A header as the import compares it: lower case, without spaces, underscores or punctuation."""
    return re.sub(r"[^a-z0-9]", "", str(header).lower()) if header is not None else ""
