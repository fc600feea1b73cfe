"""A standards folder that is none (CDISC_STANDARDS set to the wrong folder) is refused before anything is built."""

from __future__ import annotations

import pytest
from conftest import minimal_study

from cdisc.errors import UsageError
from cdisc.study import RunOptions, run_study


@pytest.mark.parametrize("scheduler", ["processes", "sync"])
def test_a_wrong_standards_folder_is_refused_before_the_build(tmp_path, monkeypatch, scheduler):
    study = minimal_study(tmp_path / "study")
    (tmp_path / "empty").mkdir()
    monkeypatch.setenv("CDISC_STANDARDS", str(tmp_path / "empty"))
    with pytest.raises(UsageError, match=r"CDISC_STANDARDS=.*empty: not a standards folder .*unset CDISC_STANDARDS"):
        run_study(study, tmp_path / "out", options=RunOptions(scheduler=scheduler))
    assert not (tmp_path / "out").exists()


def test_a_wrong_standards_option_is_named_as_given(tmp_path):
    from cdisc.checks.standards import locate_standards

    with pytest.raises(UsageError, match=r"^--standards .*nowhere: not a standards folder .*shipped copy$"):
        locate_standards(tmp_path / "nowhere")
