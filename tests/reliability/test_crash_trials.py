"""Crash trials: each flow run in a child process and killed with SIGKILL at a seeded random moment.

CI: 4 trials per flow (20); full (``WINNOW_RELIABILITY=full``): 24 per flow (120). A trial's seed is
``flow base + number``, so ``-k "review and 3"`` reruns one (see out/crash-trials.md for the seeds).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.reliability import harness, report

FLOWS = ["import", "review", "job", "export", "merge"]
FLOW_SEED = {flow: 1000 * (number + 1) for number, flow in enumerate(FLOWS)}
TRIALS = 24 if os.environ.get("WINNOW_RELIABILITY") == "full" else 4

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("number", range(TRIALS))
@pytest.mark.parametrize("flow", FLOWS)
def test_crash_trial(
    flow: str,
    number: int,
    tmp_path: Path,
    shared_work: Path,
    size: harness.Size,
    calibration: harness.Calibration,
) -> None:
    seed = FLOW_SEED[flow] + number
    work = shared_work / f"{flow}-{number}"
    work.mkdir()
    trial = harness.TRIALS[flow](work, seed, size, calibration)
    report.TRIALS.append(trial)
    assert trial.checks, "a trial that checks nothing"
    assert trial.survived, "\n".join(trial.failures)
