"""Shared test settings: hypothesis runs 1,000 examples per property in CI, fewer locally; small studies
for tests that convert whole studies several times."""

import os
import re
import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

settings.register_profile("ci", max_examples=1000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("dev", max_examples=200, deadline=None)
settings.load_profile("ci" if os.environ.get("CI") else "dev")

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"


def minimal_study(folder: Path, study_id: str = "MINI-01") -> Path:
    """A copy of ``tests/fixtures/minimal`` (DM and AE from three raw tables) at ``folder``, as study ``study_id``;
    its raw tables are its own (``folder/raw``), its CT file named by absolute path."""
    shutil.copytree(REPO / "tests" / "fixtures" / "minimal", folder)
    study_yaml = folder / "study.yaml"
    text = study_yaml.read_text().replace("../../../specs/ct/", f"{(REPO / 'specs' / 'ct').as_posix()}/")
    study_yaml.write_text(re.sub(r"(?m)^  id: MINI-01$", f"  id: {study_id}", text))
    return folder


@pytest.fixture(scope="session")
def small_example(tmp_path_factory) -> Path:
    """The example study's specs (every SDTM and ADaM dataset) at ``ROOT/study`` converting an 8-subject simulated
    extract at ``ROOT/extract/raw`` (named relatively), made once per test process; copy both before changing them."""
    from cdisc.simulate import simulate_study

    root = tmp_path_factory.mktemp("small-example")
    simulate_study(root / "extract", subjects=8, seed=11)
    study = root / "study"
    shutil.copytree(REPO / "specs", study)
    study_yaml = study / "study.yaml"
    study_yaml.write_text(re.sub(r"(?m)^  folder: \.\./examples/bat8008/raw", "  folder: ../extract/raw", study_yaml.read_text()))
    return study


@pytest.fixture(scope="session")
def small_example_run(small_example) -> Path:
    """The output folder of the default run of ``small_example`` (made once per test process; read only)."""
    from cdisc.study import run_study

    out = small_example.parent / "out"
    run_study(small_example, out)
    return out
