"""Apply an SDTM dataset spec to raw tables: select, merge, exclude, build variables, SUPP--, sort, check keys."""

from __future__ import annotations

import numpy as np
import pandas as pd

from cdisc.arrowtext import TEXT, arrow_codes, arrow_text, held_if_repeats, plain_columns, plain_text
from cdisc.built import BuiltDataset
from cdisc.collect import located, reads_failed
from cdisc.errors import DataError, DataErrors
from cdisc.raw import FILE, ROW
from cdisc.rules import rules
from cdisc.rules.records import AdamRecords, SdtmRecords, run_step
from cdisc.sdtm.findings import pivot_columns, pivot_tests
from cdisc.sdtm.keys import first_in_group, key_order
from cdisc.sdtm.parts import Segment, SegmentRows, bind_parts, build_variable, parts_read_failed
from cdisc.spec.expr import ExpressionDataError, parse_expression
from cdisc.spec.load import Study
from cdisc.spec.models import NUMERIC_TYPES, Codelist
from cdisc.spec.order import build_order
from cdisc.spec.sdtm import SdtmDataset
from cdisc.terminology import CodelistTerms
from cdisc.upstream import source_names

RULES = rules("sdtm")


class Codelists:
    """Codelists by name: the study's own first, then CDISC CT."""

    def __init__(self, study: Study):
        self.study = study
        self.own = {c.name: c for c in study.codelist_file.codelists}
        self.made: dict[str, CodelistTerms] = {}
        self.values: dict[str, frozenset[str]] = {}

    def __call__(self, name: str) -> CodelistTerms:
        if name not in self.made:
            self.made[name] = _from_spec(self.own[name]) if name in self.own else self.study.ct[name]
        return self.made[name]

    def submission_values(self, name: str) -> frozenset[str]:
        """The codelist's submission values (each codelist's made once per dataset)."""
        if name not in self.values:
            self.values[name] = frozenset(self(name).terms["value"].astype("str"))
        return self.values[name]


def _from_spec(codelist: Codelist) -> CodelistTerms:
    terms = pd.DataFrame(
        {
            "value": [str(t.value) for t in codelist.terms],
            "decode": [t.decode for t in codelist.terms],
            "nci": [t.nci for t in codelist.terms],
            "synonyms": [list(t.synonyms) for t in codelist.terms],
        }
    )
    return CodelistTerms(codelist.name, codelist.label, codelist.nci, codelist.extensible, terms)


def merged_row_column(table: str) -> str:
    """Lineage column holding the row of merged table ``table`` behind each record."""
    return f"{ROW}:{table}"


def _origin_rows(study: Study, spec: SdtmDataset, built: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """The source's rows with provenance: raw rows, records of a built dataset, or records in the spec."""
    source = spec.source
    if source.table is not None:
        return study.raw_frame(source.table).copy(deep=False)  # copy-on-write: the data is copied only if written
    if source.dataset is not None:  # (only the columns the spec names, when its steps read no others: SV's steps copy
        rows = built[source.dataset]  # DM's records, DM's 25 other columns missing on each of 700,000 visit records)
        names = source_names(spec)
        rows = (rows if names is None else rows[[c for c in rows.columns if c in names]]).copy(deep=False)
        label = source.dataset
    elif source.visits:
        rows = _visit_rows(study)
        label = "study.yaml visits"
    else:
        rows = pd.DataFrame(source.records).astype("str").where(pd.DataFrame(source.records).notna())
        label = f"{spec.dataset} spec records"
    rows[FILE] = label
    rows[ROW] = pd.RangeIndex(1, len(rows) + 1)
    return _run_steps(study, spec, rows, built)


def _visit_rows(study: Study) -> pd.DataFrame:
    """The planned visits of study.yaml, one row each, in their order there."""
    visits = study.spec.visits
    return pd.DataFrame({
        "VISITNUM": pd.Series([v.visitnum for v in visits], dtype=float),
        "VISIT": pd.Series([v.visit for v in visits], dtype="str"),
        "VISITDY": pd.Series([v.visitdy for v in visits], dtype=float),
        "STARTRULE": pd.Series([v.start_rule for v in visits], dtype="str"),
    })


def _run_steps(study: Study, spec: SdtmDataset, rows: pd.DataFrame, built: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """The source rows after the source's record steps (the ADaM steps), in order; a record a step makes carries
    the lineage (file, row) of the first source record of its group."""
    for index, step in enumerate(spec.source.steps):
        records = AdamRecords(study, spec.dataset, f"source step {index + 1} ({step.rule[0]})", rows, {}, built, [])
        rows = run_step(step, index, "source step", records, "which the records do not have")
    return rows


def _selected(spec: SdtmDataset, rows: pd.DataFrame, studyid: str) -> pd.DataFrame:
    """The records of a dataset or spec source (after its steps) that meet the source's ``where``."""
    if spec.source.where is None:
        return rows
    try:
        keep = parse_expression(spec.source.where).mask(rows, {"STUDYID": studyid})
    except ExpressionDataError as exc:
        raise DataError(f"{spec.dataset}: source where {spec.source.where!r}: {exc}") from None
    return rows[keep].reset_index(drop=True)


def _expand(rows: pd.DataFrame, expand: dict[str, list]) -> pd.DataFrame:
    """Every row once per listed value (a cross join), in the listed order."""
    for column, values in expand.items():
        rows = rows.merge(pd.DataFrame({column: pd.Series([str(v) for v in values], dtype="str")}), how="cross")
    return rows


def source_rows(study: Study, spec: SdtmDataset, built: dict[str, pd.DataFrame]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The rows to map (merged tables joined on) and the rows excluded, with their reasons."""
    rows, kept, excluded = _marked_rows(study, spec, built)
    return (rows if kept.all() else rows[kept.to_numpy(bool)]).reset_index(drop=True), excluded  # (a copy only where rows go)


def _marked_rows(study: Study, spec: SdtmDataset, built: dict[str, pd.DataFrame]) -> tuple[pd.DataFrame, pd.Series, pd.DataFrame]:
    """The source rows (merged tables joined on), whether each is kept, and the rows excluded, with their reasons."""
    rows = _expand(_selected(spec, _origin_rows(study, spec, built), study.spec.study.id), spec.source.expand)
    for merge in spec.source.merge:
        other = study.raw_frame(merge.table).rename(columns=merge.rename)
        duplicated = other.duplicated(merge.on, keep=False)
        if duplicated.any():
            first = other[duplicated].head(4)
            where = ", ".join(f"{f} row {r}" for f, r in zip(first[FILE], first[ROW]))
            raise DataError(
                f"{spec.dataset}: raw table '{merge.table}' has more than one row per {', '.join(merge.on)} "
                f"({where}); a merged table needs one row per key"
            )
        extra = [c for c in other.columns if c not in rows.columns and c not in (FILE, ROW)]
        joined = other[[*merge.on, *extra, ROW]].rename(columns={ROW: merged_row_column(merge.table)})
        rows = rows.merge(joined, on=merge.on, how="left", validate="many_to_one")
    reasons = pd.Series(pd.NA, index=rows.index, dtype="str")
    if spec.source.deduplicate is not None:
        first = first_in_group(rows, spec.source.deduplicate.by)
        repeated = first != np.arange(len(rows))
        first_row = rows[ROW].take(first[repeated]).set_axis(rows.index[repeated])
        reasons = reasons.mask(repeated, spec.source.deduplicate.reason + " (same as row " + first_row.astype("str") + ")")
    constants = {"STUDYID": study.spec.study.id}
    for exclusion in spec.source.exclude:
        try:
            hit = parse_expression(exclusion.when).mask(rows, constants)
        except ExpressionDataError as exc:
            raise DataError(f"{spec.dataset}: exclusion {exclusion.when!r}: {exc}") from None
        reasons = reasons.mask(hit & reasons.isna(), exclusion.reason)
    kept = reasons.isna()
    excluded = rows.loc[~kept, [FILE, ROW]].assign(dataset=spec.dataset, reason=reasons[~kept])
    return rows, kept, excluded.reset_index(drop=True)


def build_dataset(study: Study, spec: SdtmDataset, built: dict[str, pd.DataFrame], hold: bool = False) -> BuiltDataset:
    """Build one SDTM domain from its spec; ``built`` holds the domains built before it (DM, ...).

    The source records, and all that was made of them but the variables, are let go before the variables are copied
    in key order, each freed once copied. With ``hold`` (a worker process, whose :meth:`cdisc.handoff.Handoff.store`
    writes it as text) a large domain's repetitive text is held once per distinct value as each variable is built
    (:func:`~cdisc.arrowtext.held_if_repeats`: LB's records at 10,000 subjects ~390 MB -> ~90 MB); else the records'
    text is text, as the datasets built from it read it."""
    out, order, lineage, excluded, supp, warnings = _variables(study, spec, built, hold)
    names = [var.name for var in spec.variables if not var.temporary]
    frame = pd.DataFrame({name: out.pop(name).take(order).reset_index(drop=True) for name in names}, copy=False)
    if not hold:
        frame = plain_columns(frame)
    if "USUBJID" in frame:
        lineage.insert(0, "USUBJID", frame["USUBJID"])
    return BuiltDataset(spec, frame, lineage, excluded, supp, warnings)


def _variables(study: Study, spec: SdtmDataset, built: dict[str, pd.DataFrame], hold: bool):
    """(the variables of a domain, by name, on its source records; their positions in key order; the lineage of the
    records in key order; the excluded rows, the SUPP-- records, the warnings)."""
    codelists = Codelists(study)
    tests = None
    if spec.tests:
        raw, tests, excluded = _pivoted(study, spec, built, codelists)
    else:
        raw, excluded = source_rows(study, spec, built)
    segments = None
    if spec.parts:
        raw, excluded, segments = _with_parts(study, spec, raw, excluded, built)
    segment_rows = SegmentRows(raw)
    out: dict[str, pd.Series] = {}
    reused: dict = {}  # what a rule makes once for every variable of the dataset (Records.once)
    warnings: list[str | DataError] = []
    errors: list[DataError] = []
    failed: set[str] = set()

    cut: dict[tuple[str, int], pd.Series] = {}  # a built variable on the records of a segment's frame (frames are kept)

    def build_on(var, rules, frame: pd.DataFrame, segment: Segment | None) -> pd.Series:
        """One rule (the variable's, or a part's) on the records of ``frame``."""
        whole = len(frame) == len(raw)
        for name in () if whole else out:
            if (name, id(frame)) not in cut:
                cut[name, id(frame)] = out[name].loc[frame.index]
        on = out if whole else {k: cut[k, id(frame)] for k in out}
        part = segment.part if segment is not None else None
        records = SdtmRecords(
            study, spec.dataset, var.name if part is None else f"{var.name} ({part.label})", frame, on, built, warnings,
            codelists, spec.keys, getattr(rules, "codelist", None) or var.codelist,
            tests if segment is not None and part is None else None, var.value_level, reused=reused,
        )
        rule_name, params = rules.rule
        return records.typed(RULES[rule_name].build(params, records), var.type)

    for var in build_order(spec.variables, spec.keys, spec.part_reads()):
        name, params = var.rule
        if reads_failed(var, spec.keys, failed) or (segments is not None and parts_read_failed(spec, var.name, failed)):
            failed.add(var.name)
            continue
        rows = SdtmRecords(study, spec.dataset, var.name, raw, out, built, warnings, codelists, spec.keys, var.codelist, tests,
                           var.value_level, reused=reused)
        try:
            if segments is None:
                out[var.name] = rows.typed(RULES[name].build(params, rows), var.type)
            else:
                out[var.name] = rows.typed(build_variable(var, spec, segment_rows, segments, build_on), var.type)
            levels = rows.level_codelists() if var.type not in NUMERIC_TYPES else []
            if var.codelist and var.type not in NUMERIC_TYPES:  # a value level's codelist replaces it on its records
                values = out[var.name]
                if levels:
                    values = values.where(~np.logical_or.reduce([selected.to_numpy(bool) for _, _, selected in levels]))
                _check_terms(values, codelists, var.codelist, rows, study.spec.strict_ct)
            for codelist, where, selected in levels:
                _check_terms(out[var.name].where(selected), codelists, codelist, rows, study.spec.strict_ct, where)
            if hold:
                out[var.name] = held_if_repeats(out[var.name])
        except DataError as exc:
            errors.append(located(exc, spec.dataset, var.name))
            failed.add(var.name)
    if segments is None:
        supp = _build_supp(study, spec, raw, out, codelists, built, warnings, tests, errors)
    else:  # qualifiers of the main source's records
        main = segments[0].index
        own = {k: v.loc[main] for k, v in out.items()}
        supp = _build_supp(study, spec, raw.loc[main, segments[0].columns], own, codelists, built, warnings, tests, errors)
    if errors:
        raise errors[0] if len(errors) == 1 else DataErrors(errors)
    merges = [*spec.source.merge, *(m for part in spec.parts for m in part.source.merge)]
    raw = raw.reindex(columns=[FILE, ROW, *dict.fromkeys(merged_row_column(m.table) for m in merges)])  # not every raw column
    # the other source columns, the test fields, what rules made once and the temporary variables go before the records
    # are ordered (LB's 1.2 M records: ~550 MB)
    rows = segment_rows = tests = None  # type: ignore[assignment]
    cut.clear()
    reused.clear()
    for var in spec.variables:
        if var.temporary and var.name not in spec.keys:
            out.pop(var.name, None)
    order, repeated = key_order(pd.DataFrame({key: out[key] for key in spec.keys}, index=raw.index, copy=False), spec.keys)
    _check_unique_keys(spec, repeated, raw)
    lineage = raw.take(order).reset_index(drop=True)
    return out, order, lineage, excluded, supp, warnings


def _pivoted(study: Study, spec: SdtmDataset, built: dict[str, pd.DataFrame], codelists: Codelists):
    """(the source row of each record of a findings domain, the records' test fields, the rows excluded). The pivot
    reads only the columns it needs of the rows kept; each record's row is then taken once from the source rows (of a
    raw table: the table itself), not from a copy of the rows kept: a 1.2 M-row lab page was held three times over."""
    rows, kept, excluded = _marked_rows(study, spec, built)
    at_kept = None if kept.all() else np.flatnonzero(kept.to_numpy(bool))
    subjects = study.spec.subjects.usubjid if study.spec.subjects is not None else None
    read = rows[pivot_columns(spec, rows.columns, subjects)]
    read = (read if at_kept is None else read.take(at_kept)).reset_index(drop=True)
    records = SdtmRecords(study, spec.dataset, "tests", read, _subjects(study, read), built, [], codelists, spec.keys)
    at, tests, empty = pivot_tests(records, spec)
    del records, read  # (before the records' rows are taken)
    long = rows.take(at if at_kept is None else at_kept[at]).reset_index(drop=True)
    return long, tests, pd.concat([excluded, empty], ignore_index=True)


def _with_parts(study: Study, spec: SdtmDataset, raw: pd.DataFrame, excluded: pd.DataFrame, built: dict[str, pd.DataFrame]):
    """The main source's rows bound with every part's (each from its own source, merges and exclusions), the
    excluded rows of all, and the records of each source."""
    parts = []
    for part in spec.parts:
        rows, dropped = source_rows(study, spec.model_copy(update={"source": part.source, "parts": [], "tests": []}), built)
        parts.append((part, rows))
        excluded = pd.concat([excluded, dropped], ignore_index=True)
    rows, segments = bind_parts(raw, parts)
    return rows, excluded, segments


def _subjects(study: Study, raw: pd.DataFrame) -> dict[str, pd.Series]:
    """USUBJID of the source rows, to name subjects in messages about them (none if the rows lack its columns)."""
    if study.spec.subjects is None:
        return {}
    rows = SdtmRecords(study, "", "USUBJID", raw, {}, {})
    try:
        return {"USUBJID": rows.evaluate(study.spec.subjects.usubjid)}
    except DataError:
        return {}


def _check_terms(values: pd.Series, codelists: Codelists, name: str, rows: SdtmRecords, strict: bool, where: str = "") -> None:
    """Values outside the variable's codelist ``name`` (or, with ``where``, a value level's), whatever rule made them:
    an error for a non-extensible codelist (or with ``strict_ct``), else listed in the run's warnings as extensions,
    with their counts."""
    codelist = codelists(name)
    if codelist.terms.empty:  # an external dictionary (MedDRA, WHODrug) lists no terms to check against
        return
    outside = _outside(values, codelists.submission_values(name))
    if not outside.any():
        return
    counts = plain_text(values[outside]).value_counts(sort=False).sort_index()  # (held text: its values, not every category)
    shown = ", ".join(f"{v!r} ({n} record{'s' if n > 1 else ''})" for v, n in counts.head(8).items())
    at = f" where {where}" if where else ""
    if codelist.extensible and not strict:
        rows.warnings.append(f"{rows.dataset}.{rows.variable}{at}: {len(counts)} value(s) extend codelist {codelist.name}: {shown}")
        return
    why = "strict_ct is set in study.yaml" if codelist.extensible else "the codelist is not extensible"
    raise rows.fail(f"{int(outside.sum())} value(s){at} are not in codelist {codelist.name} ({why}): {shown}", outside, values)


def _outside(values: pd.Series, allowed: frozenset[str]) -> pd.Series:
    """Values (not missing) that are not among ``allowed``; text is checked once per distinct value.

    >>> _outside(pd.Series(["Y", None, "X", "Y"], dtype="str"), frozenset({"Y", "N"})).tolist()
    [False, False, True, False]
    """
    if values.dtype != TEXT:
        return values.notna() & ~values.isin(allowed)
    codes, distinct = arrow_codes(arrow_text(values.array))
    unknown = np.array([v not in allowed for v in distinct.to_pylist()] + [False])  # the last: code -1, missing
    return pd.Series(unknown[codes], index=values.index)


def _check_unique_keys(spec: SdtmDataset, duplicated: np.ndarray, raw: pd.DataFrame) -> None:
    """Records that share their keys (``duplicated``) are an error naming their raw rows."""
    if duplicated.any():
        rows = raw.loc[duplicated, [FILE, ROW]].head(6)
        where = ", ".join(f"{f} row {r}" for f, r in zip(rows[FILE], rows[ROW]))
        raise DataError(
            f"{spec.dataset}: {int(duplicated.sum())} records share their keys ({', '.join(spec.keys)}) "
            f"with another record: {where}; make the keys unique or exclude the duplicates with a reason"
        )


def _build_supp(study, spec, raw, out, codelists, built, warnings, tests, errors) -> pd.DataFrame | None:
    """SUPP-- records: one per parent record and qualifier with a value; IDVAR is --SEQ when there is one.

    Every qualifier is checked; one that fails is added to ``errors`` (and then no record is built)."""
    if not spec.supp:
        return None
    seq_var = next((v.name for v in spec.variables if v.seq is not None), None)
    parts = []
    for qualifier in spec.supp:
        name, params = qualifier.rule
        rows = SdtmRecords(study, f"SUPP{spec.dataset}", qualifier.qnam, raw, out, built, warnings, codelists, spec.keys, qualifier.codelist, tests)
        try:
            value = RULES[name].build(params, rows).astype("str")
        except DataError as exc:
            errors.append(located(exc, f"SUPP{spec.dataset}", qualifier.qnam))
        if errors:
            continue
        keep = value.notna() & value.str.strip().ne("")
        parts.append(
            pd.DataFrame(
                {
                    "STUDYID": out["STUDYID"][keep],
                    "RDOMAIN": spec.dataset,
                    "USUBJID": out["USUBJID"][keep],
                    "IDVAR": seq_var or "",
                    "IDVARVAL": out[seq_var][keep].astype("int64").astype("str") if seq_var else "",
                    "QNAM": qualifier.qnam,
                    "QLABEL": qualifier.qlabel,
                    "QVAL": value[keep],
                    "QORIG": qualifier.origin.type,
                    "QEVAL": qualifier.evaluator or "",
                }
            )
        )
    if errors:
        return None
    supp = pd.concat(parts, ignore_index=True)
    supp = supp.sort_values(["USUBJID", "IDVAR", "IDVARVAL", "QNAM"], kind="mergesort", key=_natural).reset_index(drop=True)
    return supp.astype("str").replace({"": np.nan}).astype("str")


def _natural(column: pd.Series) -> pd.Series:
    """Sort IDVARVAL numerically (2 before 10); other columns as text."""
    if column.name == "IDVARVAL":
        return pd.to_numeric(column, errors="coerce")
    return column
