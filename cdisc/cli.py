"""The ``cdisc`` command line: run a study, check its specs, export the spec schema, simulate a study.

Every failure the user can cause prints a message and exits non-zero without a
traceback: 2 for a bad spec or bad usage, 1 for data that cannot be converted.
"""

from __future__ import annotations

import errno
import gc
import json
import os
import sys
from contextlib import suppress
from datetime import datetime
from pathlib import Path
from typing import Annotated, NoReturn

import typer
from rich.console import Console

from cdisc import __version__
from cdisc.collector import collector_paused
from cdisc.errors import CdiscError
from cdisc.memory import reuse_freed_memory

app = typer.Typer(
    name="cdisc",
    help="Raw EDC extracts to CDISC SDTM and ADaM (SAS XPORT v5 + define.xml), driven by YAML specs.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
err = Console(stderr=True, highlight=False, soft_wrap=True)
out = Console(highlight=False, soft_wrap=True)

StudyArg = Annotated[Path, typer.Argument(help="Study folder holding study.yaml (e.g. specs/)")]
RawOption = Annotated[
    Path | None, typer.Option("--raw", help="Raw extract folder to convert instead of raw.folder in study.yaml (a new transfer)")
]


def _version(value: bool) -> None:
    if value:
        out.print(f"cdisc {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version.")] = False,
) -> None:
    """Raw EDC extracts to CDISC SDTM and ADaM, driven by YAML specs."""


@app.command("check-spec")
def check_spec(study: StudyArg, raw: RawOption = None) -> None:
    """Check a study's specs (YAML, types, names, raw columns, codelists, dependencies) without running."""
    from cdisc.spec.load import load_study  # first: the spec models are made from the whole rule registry

    # isort: split
    from cdisc.rules.common.todo import still_to_write

    loaded = load_study(study, raw)
    names = ", ".join(loaded.datasets) or "none"
    out.print(f"{study}: spec OK - {len(loaded.datasets)} dataset(s) in build order: {names}")
    for warning in loaded.spec_warnings:
        out.print(f"warning: {warning}", markup=False)
    pending = still_to_write(loaded)
    if pending:
        out.print(f"{len(pending)} variable(s) still need a rule (todo:); cdisc run refuses the study until each has one:", markup=False)
        for issue in pending:
            out.print(str(issue), markup=False)


@app.command()
def run(
    studies: Annotated[list[Path], typer.Argument(
        help="Study folder holding study.yaml (e.g. specs/); several folders, or a portfolio file (studies: [folder, ...]), convert a portfolio as one task "
             "graph",
    )],
    out_dir: Annotated[Path | None, typer.Option("--out", help="Output folder (default: output.folder in study.yaml)")] = None,
    raw: RawOption = None,
    created: Annotated[datetime | None, typer.Option(
        "--created", help="Creation date-time stamped into XPT headers, define.xml and reports/run.json (default: now)",
    )] = None,
    reproducible: Annotated[bool, typer.Option(
        "--reproducible", help="Stamp output.created of study.yaml instead of now: identical inputs give byte-identical outputs",
    )] = False,
    data_cutoff: Annotated[datetime | None, typer.Option(
        "--data-cutoff", formats=["%Y-%m-%d"], help="Data cutoff date of the transfer (YYYY-MM-DD): TS DCUTDTC, DCUTDTC in expressions, reports/run.json",
    )] = None,
    compare_to: Annotated[Path | None, typer.Option(
        "--compare-to", help="Previous run's output folder: reports/changes.txt lists what changed (default: the run already in the output folder)",
    )] = None,
    force: Annotated[bool, typer.Option(
        "--force", help="Rebuild every dataset (default: a dataset whose specs and raw inputs did not change since the run in the output folder is taken from "
                        "it, and a folder whose run had the same inputs and settings, its outputs untouched, is left as it is)",
    )] = False,
    scheduler: Annotated[str | None, typer.Option(
        "--scheduler", help="Where the datasets' task graph runs: 'processes' (worker processes forked from this one, one per core: the default with "
                            "more than one core), 'sync' (this process, one dataset at a time), 'threads' (Dask's threads, not yet race-free), or "
                            "tcp://HOST:PORT of a dask.distributed scheduler",
    )] = None,
    formats: Annotated[str | None, typer.Option(
        "--format", help="Dataset files to write side by side, e.g. xpt,json,ndjson (Dataset-JSON v1.1 and its NDJSON form; XPT is always written; default: "
                         "output.formats in study.yaml)",
    )] = None,
) -> None:
    """Convert the study: build every dataset its specs define and write the outputs."""
    with collector_paused():  # (importing makes objects that live as long as the process: a collection midway frees nothing)
        from cdisc.datasetjson_files import FORMATS
        from cdisc.errors import UsageError
        from cdisc.study import RunOptions, run_study

        gc.freeze()  # (before the collector runs again: no collection need scan them, not even the next young one)

    chosen = tuple(f.strip().lower() for f in formats.split(",") if f.strip()) if formats else None
    unknown = sorted(set(chosen or ()) - set(FORMATS))
    if unknown:
        raise UsageError(f"--format {formats}: unknown format(s) {', '.join(unknown)}; choose from {', '.join(FORMATS)}")
    options = RunOptions(created, reproducible or created is not None, data_cutoff.date() if data_cutoff else None, compare_to, chosen, force, scheduler,
                         keep_records=False, skip_up_to_date=True)
    folders = _portfolio(studies)
    if len(folders) == 1 and studies[0].is_dir():
        result = run_study(folders[0], out_dir, progress=err, raw=raw, options=options)
        for line in result.summary_lines():
            out.print(line)
        return
    if raw is not None or compare_to is not None:
        raise UsageError("--raw and --compare-to name one study's folders: use them with a single study")
    from cdisc.study import run_portfolio

    worst, failed, current = 0, list[str](), 0  # exit code, folders not converted, folders up to date
    for folder, outcome in run_portfolio(folders, out_dir, progress=err, options=options):
        if isinstance(outcome, Exception):
            err.print(f"{folder}: not converted", markup=False)
            err.print("\n".join(filter(None, [str(outcome), outcome.epilogue])), markup=False)
            worst, failed = max(worst, outcome.exit_code), [*failed, str(folder)]
        else:
            current += outcome.up_to_date is not None
            for line in outcome.summary_lines():
                out.print(line)
    shown = (f" ({current} of them up to date: nothing to convert)" if current else "") + (f"; not converted: {', '.join(failed)}" if failed else "")
    out.print(f"Portfolio: {len(folders) - len(failed)} of {len(folders)} study(ies) converted{shown}")
    if worst:
        raise typer.Exit(worst)


def _portfolio(paths: list[Path]) -> list[Path]:
    """Study folders from the command line: folders as given, a file as the folders its ``studies:`` list names."""
    from ruamel.yaml import YAML

    from cdisc.errors import UsageError

    folders: list[Path] = []
    for path in paths:
        if path.is_dir():
            folders.append(path)
            continue
        if not path.is_file():
            raise UsageError(f"{path}: no such study folder or portfolio file")
        try:
            listed = YAML(typ="safe").load(path.read_text(encoding="utf-8"))
        except Exception as exc:  # any YAML error: the file is not a portfolio
            raise UsageError(f"{path}: not a portfolio file ({exc})") from None
        if not isinstance(listed, dict) or not isinstance(listed.get("studies"), list) or not listed["studies"]:
            raise UsageError(f"{path}: a portfolio file lists its study folders as studies: [folder, ...]")
        folders += [path.parent / str(entry) for entry in listed["studies"]]
    return folders


spec_app = typer.Typer(help="Import and export specs as Pinnacle 21-template Excel workbooks and define.xml.", no_args_is_help=True)
app.add_typer(spec_app, name="spec")


@spec_app.command("import")
def spec_import(
    source: Annotated[Path, typer.Argument(help="P21-template workbook (.xlsx) or define.xml (Define-XML 2.1 or 2.0)")],
    out_dir: Annotated[Path, typer.Option("--out", help="Study folder to write (YAML dataset specs, codelists.yaml, study.yaml)")],
    merge_into: Annotated[Path | None, typer.Option(
        "--merge-into", help="Existing study whose rules are kept; the workbook's labels, lengths, ... are merged in",
    )] = None,
) -> None:
    """Read a spec workbook or define.xml into YAML specs; methods become todo: rules to write."""
    from cdisc.specio import import_specs

    for line in import_specs(source, out_dir, merge_into):
        out.print(line, markup=False)


@spec_app.command("export")
def spec_export(
    study: StudyArg,
    output: Annotated[Path, typer.Option("--out", help="Workbook to write (.xlsx)")],
    data: Annotated[Path | None, typer.Option(
        "--data", help="A run's output folder: CT codelists list only the terms its define.xml files use (default: output.folder when it has them)",
    )] = None,
) -> None:
    """Write the study's specs as a P21-template workbook (methods in words, value-level metadata, codelists)."""
    from cdisc.specio import export_specs

    for line in export_specs(study, output, data):
        out.print(line, markup=False)


@app.command()
def schema(
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write to this file instead of standard output")] = None,
    kind: Annotated[str, typer.Option(help="Which file's schema: sdtm, adam, study or codelists")] = "sdtm",
) -> None:
    """Print the JSON Schema of spec files, for YAML editors' completion and checking."""
    from cdisc.spec.schema import spec_schema

    text = json.dumps(spec_schema(kind), indent=2, sort_keys=True) + "\n"
    if output is None:
        sys.stdout.write(text)
    else:
        output.write_text(text, encoding="utf-8")
        out.print(f"wrote {output}")


@app.command()
def guide(
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write to this file instead of standard output")] = None,
) -> None:
    """Print the spec-language guide (every rule and record step with an example), generated from the rule registry."""
    from cdisc.spec.guide import language_guide

    text = language_guide()
    if output is None:
        sys.stdout.write(text)
    else:
        output.write_text(text, encoding="utf-8")
        out.print(f"wrote {output}")


@app.command()
def simulate(
    out_dir: Annotated[Path, typer.Option("--out", help="Folder to write raw/ and answer_key/ into")],
    subjects: Annotated[int, typer.Option(min=1, help="Number of subjects to enrol")] = 60,
    seed: Annotated[int, typer.Option(help="Random seed; the same seed gives byte-identical files")] = 20240101,
) -> None:
    """Write a synthetic raw EDC extract of the example study (BAT8008 + BAT1308), with its answer key."""
    from cdisc.simulate import simulate_study

    summary = simulate_study(out_dir, subjects=subjects, seed=seed)
    for line in summary.lines():
        out.print(line, markup=False)


def main() -> None:
    """Entry point: run the app, turning package errors into messages and exit codes."""
    reuse_freed_memory()  # before pyarrow is imported
    try:
        app()
    except CdiscError as exc:
        err.print("\n".join(filter(None, [str(exc), exc.epilogue])), markup=False)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        err.print("interrupted", markup=False)
        sys.exit(130)
    except OSError as exc:
        refused = _refused_write(exc)
        if refused is None:
            _internal_error(exc)
        err.print(refused[0], markup=False)
        sys.exit(refused[1])
    except Exception as exc:  # a bug in cdisc, not in the user's input
        _internal_error(exc)


def console() -> NoReturn:
    """The ``cdisc`` command (and ``python -m cdisc``): :func:`main`, then the process ends at once with its exit code,
    its output flushed, without the interpreter's teardown: freeing every object of a run one by one (on the example
    study ~0.3 s) hands back nothing the system does not take back when the process ends. Every file is written and
    closed by then (no temporary folder is left to a finalizer)."""
    try:
        main()
        code = 0
    except SystemExit as exc:
        code = _exit_code(exc)
    for stream in (sys.stdout, sys.stderr):
        with suppress(OSError):  # (a reader gone, as with | head: what is left unwritten is lost either way)
            stream.flush()
    os._exit(code)


def _exit_code(exc: SystemExit) -> int:
    """The process's exit code for ``exc``, as the interpreter gives it (text is printed to stderr: code 1).

    >>> [_exit_code(SystemExit(c)) for c in (None, 0, 2)]
    [0, 0, 2]
    """
    if exc.code is None or isinstance(exc.code, int):
        return exc.code or 0
    print(exc.code, file=sys.stderr)
    return 1


def _refused_write(exc: OSError) -> tuple[str, int] | None:
    """The words and exit code for a file system that refuses to take the outputs (full: 1; not writable: 2), or None.

    >>> _refused_write(OSError(28, "No space left on device"))[1]
    1
    """
    text = str(exc)
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):  # (Arrow's write errors carry the errno too)
        return (f"cdisc: the disk is full ({text}). Nothing was changed in the output folder; free some space and run again.", 1)
    if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return (f"cdisc: cannot write there ({text}). Nothing was changed in the output folder; choose a folder you can write to "
                "(--out).", 2)
    return None


def _internal_error(exc: Exception) -> NoReturn:
    """Exit 3 for a bug in cdisc, in words (the traceback with CDISC_DEBUG=1)."""
    if os.environ.get("CDISC_DEBUG"):
        raise exc
    err.print(
        f"cdisc: internal error ({type(exc).__name__}: {exc}). This is a bug in cdisc, not in your input; "
        "please report it with the command you ran. Set CDISC_DEBUG=1 to see the traceback.",
        markup=False,
    )
    sys.exit(3)


@app.command("init")
def init_command(
    domain: Annotated[str, typer.Argument(help="SDTM domain, e.g. CM")],
    raw: Annotated[str, typer.Option("--raw", help="Raw table of the study (or a raw file) the domain is built from")],
    study: Annotated[Path, typer.Option("--study", help="Study folder holding study.yaml")] = Path("."),
    output: Annotated[Path | None, typer.Option("--out", help="Spec file to write (default: STUDY/sdtm/<domain>.yaml)")] = None,
) -> None:
    """Write a starter spec: the domain's SDTMIG variables, with rules from the raw columns that look like them."""
    from cdisc.starter import init_spec

    written = init_spec(domain, raw, study, output)
    out.print(f"wrote {written}: check every rule and write each todo: (cdisc check-spec lists them)", markup=False)


@app.command("diff")
def diff_command(
    base: Annotated[Path, typer.Argument(help="Base dataset (.xpt, .csv, .parquet) or folder of datasets")],
    compare: Annotated[Path, typer.Argument(help="Compare dataset or folder; folders are searched recursively and paired by relative path and dataset name")],
    keys: Annotated[list[str], typer.Option(
        "--keys", "-k", help="Key variables: VAR,VAR for every dataset or DATASET:VAR,VAR (repeatable); none = record order",
    )] = [],  # noqa: B006
    absolute: Annotated[list[str], typer.Option(
        "--abs", help="Absolute numeric tolerance: VALUE for every variable or VAR=VALUE (repeatable)",
    )] = [],  # noqa: B006
    relative: Annotated[list[str], typer.Option("--rel", help="Relative numeric tolerance (of |base|): VALUE or VAR=VALUE (repeatable)")] = [],  # noqa: B006
    var: Annotated[list[str], typer.Option("--var", help="Compare only these variables: [DATASET:]VAR,VAR (PROC COMPARE VAR)")] = [],  # noqa: B006
    with_: Annotated[list[str], typer.Option(
        "--with", help="Compare-side variables paired one to one with --var: [DATASET:]VAR,VAR (PROC COMPARE WITH)",
    )] = [],  # noqa: B006
    exclude: Annotated[list[str], typer.Option("--exclude", "-x", help="Leave these variables out: [DATASET:]VAR,VAR")] = [],  # noqa: B006
    dates: Annotated[list[str], typer.Option(
        "--dates", help="Read these variables' text as SAS dates (ISO 8601 or DATE9.): [DATASET:]VAR,VAR",
    )] = [],  # noqa: B006
    datetimes: Annotated[list[str], typer.Option("--datetimes", help="Read these variables' text as SAS datetimes: [DATASET:]VAR,VAR")] = [],  # noqa: B006
    max_records: Annotated[int, typer.Option("--max-records", min=0, help="Differing records listed per variable")] = 20,
    json_out: Annotated[Path | None, typer.Option("--json", help="Also write the full report as JSON here")] = None,
    html_out: Annotated[Path | None, typer.Option("--html", help="Also write a self-contained HTML report here")] = None,
) -> None:
    """Compare datasets like PROC COMPARE. Exit code 0: equal; 1: different; 2: nothing (or not everything) could be compared."""
    from cdisc.compare import compare_paths, parse_keys, parse_selections, parse_tolerances
    from cdisc.compare.report import text_report, to_html, to_json

    selections = parse_selections(var, with_, exclude, dates, datetimes)
    result = compare_paths(base, compare, parse_keys(keys), parse_tolerances(absolute, relative), max_records, selections)
    sys.stdout.write(text_report(result))
    if json_out is not None:
        json_out.write_text(to_json(result), encoding="utf-8")
    if html_out is not None:
        html_out.write_text(to_html(result), encoding="utf-8")
    if result.exit_code:
        raise typer.Exit(result.exit_code)


@app.command("validate")
def validate_command(
    output_dir: Annotated[Path, typer.Argument(help="Output folder: every .xpt below it is checked, with define.xml")],
    standards: Annotated[Path | None, typer.Option(
        "--standards", envvar="CDISC_STANDARDS", help="Folder of SDTMIG/ADaMIG metadata and CT (default: the copy shipped with cdisc)",
    )] = None,
    json_out: Annotated[Path | None, typer.Option("--json", help="Also write every finding as JSON here")] = None,
    html_out: Annotated[Path | None, typer.Option("--html", help="Also write a self-contained HTML report here")] = None,
) -> None:
    """Check written datasets against SDTMIG 3.4 / ADaMIG 1.3 / FDA rules. Exit code 0: no errors; 1: errors."""
    from cdisc.checks import validate
    from cdisc.checks.report import print_summary, to_html, to_json

    result = validate(output_dir, standards)
    print_summary(result, out)
    if json_out is not None:
        json_out.write_text(to_json(result), encoding="utf-8")
    if html_out is not None:
        html_out.write_text(to_html(result), encoding="utf-8")
    if result.count("error"):
        raise typer.Exit(1)


@app.command("define")
def define_command(
    study: StudyArg,
    out_dir: Annotated[Path | None, typer.Option("--out", help="Output folder of the run (default: output.folder in study.yaml)")] = None,
    schema: Annotated[Path | None, typer.Option(
        "--schema", envvar="CDISC_DEFINE_SCHEMA", help="Define-XML schema folder (default: the copy shipped with cdisc)",
    )] = None,
) -> None:
    """Write define.xml and define.html again from the specs and the XPT files already in the output folder."""
    from cdisc.definexml.outputs import define_from_outputs

    for line in define_from_outputs(study, out_dir, schema):
        out.print(line, markup=False)


if __name__ == "__main__":  # python -m cdisc.cli: the command, ending with the interpreter's teardown (profilers report then)
    main()
