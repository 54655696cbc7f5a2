"""Shared fixtures of the Python tests."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[2]
LOCAL_TINY = HERE / "data" / "tiny"


@pytest.fixture(scope="session")
def local_tiny() -> Path:
    """This suite's own tiny data set (its money in CNY)."""
    return LOCAL_TINY


@pytest.fixture(scope="session")
def shared_tiny() -> Path:
    """The tiny scenario shared by the Rust, C and Python tests (falls back to ours)."""
    shared = REPO / "testdata" / "tiny"
    return shared if (shared / "transactions.csv").is_file() else LOCAL_TINY


@pytest.fixture()
def tiny_copy(tmp_path: Path) -> Path:
    """A writable copy of the local tiny data set."""
    dst = tmp_path / "tiny"
    shutil.copytree(LOCAL_TINY, dst)
    return dst
