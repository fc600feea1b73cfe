"""The `cdisc` command: help, version, schema export, check-spec on the bundled example study."""

import errno
import json
import subprocess
import sys

import pytest
from conftest import REPO, minimal_study

from cdisc.cli import main


def cdisc(*args, cwd=REPO):
    return subprocess.run([sys.executable, "-m", "cdisc", *args], cwd=cwd, capture_output=True, text=True)


def test_help_lists_every_command():
    done = cdisc("--help")
    assert done.returncode == 0
    for command in ("run", "check-spec", "schema", "simulate", "validate", "diff", "define"):
        assert command in done.stdout


def test_version():
    assert cdisc("--version").stdout.startswith("cdisc ")


@pytest.mark.parametrize("kind, keys", [
    ("sdtm", {"dataset", "label", "class", "keys", "source", "variables", "supp"}),
    ("adam", {"dataset", "label", "class", "keys", "source", "variables", "listing"}),
    ("study", {"study", "raw", "inputs", "terminology", "output", "reference_dates", "visits"}),
    ("codelists", {"codelists"}),
])
def test_schema_for_editors(kind, keys, tmp_path):
    target = tmp_path / f"{kind}.json"
    assert cdisc("schema", "--kind", kind, "-o", str(target)).returncode == 0
    schema = json.loads(target.read_text())
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert keys <= set(schema["properties"])


def test_unknown_schema_kind_is_a_usage_error():
    done = cdisc("schema", "--kind", "nope")
    assert done.returncode == 2
    assert "unknown schema kind 'nope'; choose one of sdtm, adam, study, codelists" in done.stderr


def test_check_spec_on_the_example_study():
    done = cdisc("check-spec", "specs")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("specs: spec OK - ")


@pytest.mark.parametrize("args, message", [
    (["--scheduler", "proceses"], "--scheduler proceses: not a scheduler; choose processes, sync or threads"),
    (["--out", "{file}/out"], "cannot be the output folder, {file} is a file"),
    (["--out", "{file}"], "cannot be the output folder, {file} is a file"),
])
def test_a_run_that_cannot_run_or_write_is_a_usage_error(args, message, tmp_path):
    """A mistyped scheduler, or an output folder under a file, is refused before anything is built (exit 2, in words)."""
    (tmp_path / "notes.txt").write_text("not a folder")
    file = str(tmp_path / "notes.txt")
    done = cdisc("run", "specs", *[a.format(file=file) for a in args])
    assert done.returncode == 2, done.stderr
    assert message.format(file=file) in done.stderr and "Traceback" not in done.stderr
    assert not (tmp_path / "out").exists()


def test_a_full_disk_is_said_in_words_and_leaves_no_output_folder(tmp_path, monkeypatch, capsys):
    """The disk filling up while the outputs are written is not a bug of cdisc: exit 1, in words, no output folder."""
    folder = minimal_study(tmp_path / "study")

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr("cdisc.study.write_define", full)
    monkeypatch.setattr(sys, "argv", ["cdisc", "run", str(folder), "--out", str(tmp_path / "out"), "--scheduler", "sync"])
    with pytest.raises(SystemExit) as exited:
        main()
    assert exited.value.code == 1
    assert "cdisc: the disk is full" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()
