"""The broken-spec corpus: each case overlays files on the minimal study and must fail with a located message.

Each folder under ``tests/broken_specs/`` holds the spec files that replace the
minimal study's, and ``expected.txt``: the exact message ``cdisc check-spec``
prints (file:line:column, subject, what was expected).
"""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from cdisc.cli import main

HERE = Path(__file__).parent
MINIMAL = HERE / "fixtures" / "minimal"
CORPUS = HERE / "broken_specs"
CASES = sorted(p.name for p in CORPUS.iterdir() if p.is_dir())


def make_study(tmp_path: Path, case: str) -> Path:
    """The minimal study with the case's files laid over it, at tmp_path/study."""
    study = tmp_path / "study"
    shutil.copytree(MINIMAL, study)
    for path in (CORPUS / case).rglob("*.yaml"):
        target = study / path.relative_to(CORPUS / case)
        target.write_text(path.read_text(encoding="utf-8"), encoding="utf-8")
    ct = (MINIMAL / "../../../specs/ct/SDTM_Terminology_2025-03-28.txt.gz").resolve()
    study_yaml = study / "study.yaml"
    study_yaml.write_text(study_yaml.read_text().replace("../../../specs/ct/SDTM_Terminology_2025-03-28.txt.gz", str(ct)))
    return study


def check_spec(monkeypatch, capsys, tmp_path: Path, case: str) -> tuple[int, str]:
    make_study(tmp_path, case)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "argv", ["cdisc", "check-spec", "study"])
    with pytest.raises(SystemExit) as exit_info:
        main()
    return exit_info.value.code, capsys.readouterr().err


def test_corpus_is_large_enough():
    assert len(CASES) >= 25


@pytest.mark.parametrize("case", CASES)
def test_broken_spec_message(case, monkeypatch, capsys, tmp_path):
    code, message = check_spec(monkeypatch, capsys, tmp_path, case)
    expected = (CORPUS / case / "expected.txt").read_text(encoding="utf-8")
    assert code == 2
    assert message == expected
    assert "Traceback" not in message


def test_minimal_study_passes(monkeypatch, capsys, tmp_path):
    make_study(tmp_path, CASES[0])  # then undo the overlay: the plain minimal study must pass
    shutil.rmtree(tmp_path / "study")
    shutil.copytree(MINIMAL, tmp_path / "study")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "argv", ["cdisc", "check-spec", str(MINIMAL)])
    with pytest.raises(SystemExit) as exit_info:
        main()
    assert exit_info.value.code == 0
    assert "spec OK - 2 dataset(s) in build order: DM, AE" in capsys.readouterr().out


def test_real_process_exits_2_without_traceback(tmp_path):
    make_study(tmp_path, "unknown_source_column")
    done = subprocess.run(
        [sys.executable, "-m", "cdisc", "check-spec", "study"], cwd=tmp_path, capture_output=True, text=True
    )
    assert done.returncode == 2
    assert done.stderr.startswith("study/sdtm/ae.yaml:")
    assert "Traceback" not in done.stderr
