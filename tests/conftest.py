"""Shared fixtures."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data" / "real"


@pytest.fixture
def shared_data() -> Path:
    """Path to ../shared/data/real; the test is skipped when it is absent (e.g. in a clone)."""
    if not SHARED.is_dir():
        pytest.skip("../shared/data/real is not available")
    return SHARED
