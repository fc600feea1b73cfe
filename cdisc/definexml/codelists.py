"""define.xml CodeLists: the study's and CDISC CT's codelists, restricted to the terms the data uses.

A codelist named in a spec is the study's own (``codelists.yaml``) if it has that name,
otherwise the CT codelist with that submission value. NCI codes come from CT, also for
study codelists that restate a CT list (``nci:``) without repeating the term codes.
A value the data uses that the list does not hold is kept as a sponsor extension
(``def:ExtendedValue="Yes"``) when the list is extensible; otherwise it is left out
and the define-against-data check reports it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cached_property
from weakref import WeakKeyDictionary

import pyarrow as pa
import pyarrow.compute as pc

from cdisc.definexml.model import CodeList, Term
from cdisc.errors import DataError
from cdisc.spec.load import Study
from cdisc.spec.models import Codelist as SpecCodelist
from cdisc.terminology import CodelistTerms


@dataclass(frozen=True)
class _Source:
    """A codelist definition from either file, reduced to what define.xml needs."""

    name: str
    label: str
    data_type: str
    nci: str | None
    extensible: bool
    terms: tuple[Term, ...]  # every term, or those among the values used (then a value used not among them is not in the list)
    dictionary: str | None = None
    version: str | None = None


class CodelistRegistry:
    """Collects the values each codelist is used with while datasets are described, then lists the CodeLists.

    ``ct_standard`` gives the OID of the CT standard (def:Standard) a CT codelist code belongs to.
    """

    def __init__(self, study: Study, ct_standard: Callable[[str], str]):
        self.study = study
        self.ct_standard = ct_standard
        self.own = {c.name: c for c in study.codelist_file.codelists}
        self.used: dict[str, set[str] | None] = {}

    def use(self, name: str, values: Iterable[str] | None) -> str:
        """Record that ``values`` occur with codelist ``name`` (None: no data, list every term); its OID."""
        if name not in self.own and name not in self.study.ct:
            raise DataError(f"codelist {name} is named in a spec but is neither in the study codelists nor in CT")
        used = self.used.get(name, set())
        if values is None or used is None:
            self.used[name] = None
        else:
            self.used[name] = used
            used.update(values)
        return oid(name)

    def codelists(self) -> list[CodeList]:
        """The CodeLists in name order, each holding the used terms in the list's own order.

        A codelist none of whose values occur in the data is left out (its variables have no data).
        """
        restricted = [self._restricted(self._source(name, used), used) for name, used in sorted(self.used.items())]
        return [codelist for codelist in restricted if codelist.terms or codelist.dictionary]

    def _restricted(self, source: _Source, used: set[str] | None) -> CodeList:
        if source.dictionary is not None:
            return CodeList(oid(source.name), source.label, source.data_type, [], dictionary=source.dictionary, version=source.version)
        if used is None:
            terms = list(source.terms)
        else:
            terms = [t for t in source.terms if t.value in used]
            if source.extensible:
                terms += [Term(v, extended=True) for v in sorted(used - {t.value for t in source.terms})]
            elif used and not terms:
                shown = ", ".join(f"'{v}'" for v in sorted(used)[:5])
                raise DataError(f"none of the values {shown} is in codelist {source.name}, which is not extensible")
        standard = self.ct_standard(source.nci) if source.nci else None
        return CodeList(oid(source.name), source.label, source.data_type, terms, source.nci, standard)

    def _source(self, name: str, used: set[str] | None) -> _Source:
        """The codelist ``name``; of a CT list only the terms among ``used`` (None: every term) are made."""
        if name in self.own:
            return self._from_study(self.own[name])
        return _from_ct(self.study.ct[name], used)

    def _from_study(self, codelist: SpecCodelist) -> _Source:
        ct = self._ct_by_code.get(codelist.nci) if codelist.nci else None
        ct_codes = dict(zip(ct.terms["value"], ct.terms["nci"])) if ct is not None else {}
        terms = []
        for term in codelist.terms:
            value = str(term.value)
            nci = term.nci or ct_codes.get(value) or None
            extended = codelist.nci is not None and codelist.extensible and nci is None
            terms.append(Term(value, term.decode, nci, extended))
        return _Source(codelist.name, codelist.label, codelist.type, codelist.nci, codelist.extensible, tuple(terms),
                       codelist.dictionary, codelist.version)

    @cached_property
    def _ct_by_code(self) -> dict[str, CodelistTerms]:
        return {c.nci: c for c in self.study.ct.values() if c.nci}


def oid(name: str) -> str:
    """OID of the CodeList for the codelist ``name``."""
    return f"CL.{name}"


def _from_ct(codelist: CodelistTerms, used: set[str] | None) -> _Source:
    """A CT codelist with its terms among ``used`` (None: every term); a CT list may hold thousands, so they are chosen
    by Arrow and only those become Python objects."""
    if used is None:
        return _every_term(codelist)
    return _terms_among(codelist, used)


def _every_term(codelist: CodelistTerms) -> _Source:
    """A CT codelist with all its terms, made once per codelist (a worker process describes each dataset's spec alone,
    every term of its codelists: UNIT's thousand for most of them) and kept as long as the codelist is."""
    if codelist not in _EVERY_TERM:
        _EVERY_TERM[codelist] = _terms_among(codelist, None)
    return _EVERY_TERM[codelist]


_EVERY_TERM: WeakKeyDictionary[CodelistTerms, _Source] = WeakKeyDictionary()


def _terms_among(codelist: CodelistTerms, used: set[str] | None) -> _Source:
    columns = [pa.array(codelist.terms[name].array) for name in ("value", "decode", "nci")]
    if used is not None:
        rows = pc.indices_nonzero(pc.is_in(columns[0], value_set=pa.array(sorted(used), type=columns[0].type)))
        columns = [column.take(rows) for column in columns]
    values, decodes, codes = (column.to_pylist() for column in columns)
    terms = tuple(Term(str(value), decode or None, nci or None) for value, decode, nci in zip(values, decodes, codes, strict=True))
    return _Source(codelist.name, codelist.label, "text", codelist.nci, codelist.extensible, terms)
