"""Editing a spec file as text (what ``cdisc spec import --merge-into`` writes): untouched lines stay as they were.

Each case: the file, the edit, and the file after it, side by side.
"""

from __future__ import annotations

import doctest

import cdisc.specio.listing
import cdisc.specio.yamledit
from cdisc.specio.merge import _node
from cdisc.specio.yamledit import YamlText

SPEC = """\
# header comment
dataset: AE
keys: [STUDYID, USUBJID]   # why these
steps:
  - derive: [A, B,
             C]   # wrapped by hand
variables:
  # identifiers
  - {name: STUDYID, type: text,
     study: id}
  - {name: AETERM, type: text, assign: AETERM}   # verbatim term

  - name: AEDECOD
    type: text   # coded
    assign: AEPT
# qualifiers follow
supp:
  - {qnam: AEDLT, qlabel: DLT}
"""


def test_an_edited_item_is_written_again_and_every_other_line_is_kept():
    doc = YamlText(SPEC)
    term = doc.data["variables"][1]
    term.insert(1, "label", "Reported Term")
    doc.set_items("variables", [(i, item, i == 1) for i, item in enumerate(doc.data["variables"])])
    assert doc.text() == SPEC.replace(
        "  - {name: AETERM, type: text, assign: AETERM}   # verbatim term",
        "  - {name: AETERM, label: Reported Term, type: text, assign: AETERM}   # verbatim term")


def test_items_move_with_the_comment_and_blank_lines_above_them():
    doc = YamlText(SPEC)
    items = list(doc.data["variables"])
    doc.set_items("variables", [(2, items[2], False), (0, items[0], False), (1, items[1], False)])
    assert doc.text() == SPEC.replace("""\
  # identifiers
  - {name: STUDYID, type: text,
     study: id}
  - {name: AETERM, type: text, assign: AETERM}   # verbatim term

  - name: AEDECOD
    type: text   # coded
    assign: AEPT
""", """\

  - name: AEDECOD
    type: text   # coded
    assign: AEPT
  # identifiers
  - {name: STUDYID, type: text,
     study: id}
  - {name: AETERM, type: text, assign: AETERM}   # verbatim term
""")


def test_new_items_and_top_level_keys_go_where_the_importer_writes_them():
    doc = YamlText(SPEC)
    doc.set_items("supp", [(0, doc.data["supp"][0], False), (None, _node({"qnam": "AEREL", "qlabel": "Causality"}), True)])
    doc.set("label", "Adverse Events", before=("class", "keys", "steps", "variables"))
    doc.set("keys", _node(["STUDYID", "USUBJID", "AESEQ"]))
    assert doc.text() == SPEC.replace(
        "keys: [STUDYID, USUBJID]   # why these\n", "label: Adverse Events\nkeys: [STUDYID, USUBJID, AESEQ]   # why these\n",
    ).replace("  - {qnam: AEDLT, qlabel: DLT}\n", "  - {qnam: AEDLT, qlabel: DLT}\n  - {qnam: AEREL, qlabel: Causality}\n")


def test_a_removed_key_leaves_the_comment_above_the_next_one():
    doc = YamlText(SPEC)
    doc.set("steps", None)
    assert doc.text() == SPEC.replace("steps:\n  - derive: [A, B,\n             C]   # wrapped by hand\n", "")


def test_no_edit_gives_the_file_back():
    assert YamlText(SPEC).text() == SPEC


def test_the_docstring_examples():
    for module in (cdisc.specio.yamledit, cdisc.specio.listing):
        result = doctest.testmod(module)
        assert result.attempted > 0 and result.failed == 0, module.__name__
