"""Sizes of the reliability suite, and its report at the end of the session."""

from __future__ import annotations

import os

import pytest

from tests.reliability import harness, report


def full() -> bool:
    return os.environ.get("WINNOW_RELIABILITY") == "full"


def pytest_configure(config: pytest.Config) -> None:
    # ``--reliability-full`` (registered in tests/conftest.py) is the same as the environment variable.
    if config.getoption("--reliability-full", default=False):
        os.environ["WINNOW_RELIABILITY"] = "full"


@pytest.fixture(scope="session")
def size() -> harness.Size:
    return harness.FULL_SIZE if full() else harness.CI_SIZE


@pytest.fixture(scope="session")
def calibration() -> harness.Calibration:
    return harness.Calibration()


@pytest.fixture(scope="session")
def shared_work(tmp_path_factory: pytest.TempPathFactory):
    """A folder for what trials share (a big source file, a base project), made once per session."""
    return tmp_path_factory.mktemp("reliability")


def pytest_sessionfinish(session: pytest.Session) -> None:
    written = report.write()
    if written is not None:
        print(f"\nreliability report: {written}")
