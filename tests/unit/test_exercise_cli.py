"""`carebridge exercise` turns the checker's verdict into its exit status and last line."""

from __future__ import annotations

import dataclasses

import pytest
from click.testing import CliRunner

from carebridge.cli import main
from carebridge_lab import exercise
from carebridge_lab.chaos import ChaosReport
from carebridge_lab.verify import Summary

CLEAN = Summary(sent=5, acked=5, stored=5, lost=0, duplicated=0, client_errors=2,
                imports_completed=1, imports_partial=0, imports_expected=1, import_retries=1,
                facility_calls=1, facility_failures=0, error_reasons=(("HTTP 503", 2),))


@pytest.mark.parametrize(("summary", "status"), [
    (CLEAN, 0),
    (dataclasses.replace(CLEAN, stored=4, lost=1), 1),
    (dataclasses.replace(CLEAN, duplicated=1), 1),
    (dataclasses.replace(CLEAN, acked=4), 1),
    (dataclasses.replace(CLEAN, imports_completed=0, imports_partial=1), 1),
    (dataclasses.replace(CLEAN, facility_failures=1), 1),
])
def test_exit_status_follows_the_summary(monkeypatch: pytest.MonkeyPatch, summary: Summary,
                                         status: int) -> None:
    monkeypatch.setattr(exercise, "run_exercise",
                        lambda options, say: exercise.ExerciseResult(summary, ChaosReport(), 1.0))
    monkeypatch.setattr("carebridge_lab.packages.missing_packages", lambda: [])
    result = CliRunner().invoke(main, ["exercise", "--messages", "5"])
    assert result.exit_code == status, result.output
    assert result.output.splitlines()[-1] == summary.line()
